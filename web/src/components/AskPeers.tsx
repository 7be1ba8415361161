// The IP page's "Ask peers" panel (loaded on first click): asks every configured peer whether it
// has seen the address over the page's time range, and shows each peer's answer.

import { useEffect, useState } from 'react';
import { api, type PeerAnswer, type TimeRange } from '../api';
import { PeerAnswers } from './PeerAnswers';
import { Problem } from './Problem';

export default function AskPeers({ value, range, onClose }: { value: string; range: TimeRange; onClose: () => void }) {
  const [answers, setAnswers] = useState<PeerAnswer[]>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    const ctl = new AbortController();
    api
      .askPeers({ value, from: range.from, to: range.to }, ctl.signal)
      .then((r) => setAnswers(r.answers))
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(e));
    return () => ctl.abort();
  }, [value, range.from, range.to]);

  return (
    <section className="card panel" data-testid="ask-peers">
      <header>
        <h2>Peers' sightings of {value}</h2>
        <button className="chip" onClick={onClose}>
          Close
        </button>
      </header>
      <p className="muted small" style={{ marginTop: 0 }}>
        Aggregates only: each peer counts its own flows with this address{range.from || range.to ? ' in this time range' : ''}; no flow leaves either side.
      </p>
      <Problem error={error} what="Asking peers" />
      {answers ? <PeerAnswers answers={answers} testId="ip-peer-answers" /> : !error && <p className="muted">Asking peers…</p>}
    </section>
  );
}
