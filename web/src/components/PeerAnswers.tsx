// Peers' answers to "have you seen this value?" (POST /api/peers/ask): one row per peer with its
// counts, first and last seen, busiest ports and passive DNS, or the error that peer gave (no
// answer in time, unreachable, refused), so one broken peer never hides the others.

import type { PeerAnswer } from '../api';
import { bytes, compact, utc } from '../format';

/** The answers as a table; `testId` marks it for the browser test. */
export function PeerAnswers({ answers, testId = 'peer-answers' }: { answers: PeerAnswer[]; testId?: string }) {
  if (answers.length === 0) return <p className="muted small">No peers to ask: an administrator adds them on the Sharing page.</p>;
  return (
    <table className="simple small" data-testid={testId}>
      <thead>
        <tr>
          <th>Peer</th>
          <th className="num">Flows</th>
          <th className="num">Packets</th>
          <th className="num">Bytes</th>
          <th className="num" title="distinct addresses at the other end">Peers</th>
          <th>First seen</th>
          <th>Last seen</th>
          <th>Ports</th>
          <th>Passive DNS</th>
        </tr>
      </thead>
      <tbody>
        {answers.map((a) => {
          const s = a.sighting;
          if (!s)
            return (
              <tr key={a.peer} data-peer={a.peer}>
                <td className="mono">{a.peer}</td>
                <td colSpan={8} className="error" data-testid="peer-error">
                  {a.error ?? 'no answer'}
                </td>
              </tr>
            );
          return (
            <tr key={a.peer} data-peer={a.peer} className={s.flows > 0 ? 'hot' : ''}>
              <td className="mono">{a.peer}</td>
              <td className="num mono" data-testid="peer-flows">
                {compact(s.flows)}
              </td>
              <td className="num mono">{compact(s.packets)}</td>
              <td className="num mono">{bytes(s.bytes)}</td>
              <td className="num mono">{s.distinctPeers}</td>
              <td className="mono">{s.first ? utc(s.first).slice(0, 19) : '—'}</td>
              <td className="mono">{s.last ? utc(s.last).slice(0, 19) : '—'}</td>
              <td className="mono">{s.ports.map((p) => `${p.port}/${p.proto} (${p.flows})`).join(', ')}</td>
              <td>{s.passiveDns && s.passiveDns.records > 0 ? `${s.passiveDns.records} records, ${s.passiveDns.names} names` : ''}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
