// Block lists (/blocklists, /blocklists/NAME): the saved lists, and one built now: its entries with
// reason, confidence and expiry, the entries the safety check held back and why (allow-listed, our
// own or a watched partner's range, substantial two-way traffic...), the External Dynamic List URL
// a firewall polls, and downloads in every format. Saved with `vantage blocklist` or the API.

import { useEffect, useState } from 'react';
import { api, type BuiltBlocklist, type SavedBlocklist } from '../api';
import { Problem } from '../components/Problem';
import type { SectionProps } from '../extensions';
import { utc } from '../format';
import { navigate, profilePath, Link } from '../router';
import './Workspace.css';

const FORMATS = ['plain', 'csv', 'nft', 'ipset', 'json'];

export default function BlocklistsPage({ subpath }: SectionProps) {
  const selected = decodeURIComponent(subpath.replace(/^\//, ''));
  const [lists, setLists] = useState<SavedBlocklist[]>();
  const [built, setBuilt] = useState<BuiltBlocklist>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    const ctl = new AbortController();
    api
      .blocklists(ctl.signal)
      .then((r) => setLists(r.blocklists))
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(e));
    return () => ctl.abort();
  }, []);

  useEffect(() => {
    setBuilt(undefined);
    if (!selected) return;
    const ctl = new AbortController();
    setLoading(true);
    api
      .blocklist(selected, ctl.signal)
      .then((b) => {
        setBuilt(b);
        setError(undefined);
      })
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(e))
      .finally(() => setLoading(false));
    return () => ctl.abort();
  }, [selected]);

  const edl = `${location.origin}/api/blocklists/${encodeURIComponent(selected)}/edl`;

  return (
    <main className="page blocklists-page stack" data-testid="blocklists-page">
      <header className="page-head">
        <h1>Block lists</h1>
        <p className="muted small">
          Lists built from findings and indicators, each entry with its evidence. A safety check holds back allow-listed addresses, our own and watched partners' ranges, and addresses with
          substantial two-way traffic, with the reason shown. Save lists with <span className="mono">vantage blocklist save</span> or POST /api/blocklists.
        </p>
      </header>
      <Problem error={error} what="Block lists" />
      <section className="card">
        {lists && lists.length === 0 ? (
          <p className="muted">No saved block lists.</p>
        ) : (
          <table className="simple pickable" data-testid="blocklists-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Description</th>
                <th>Criteria</th>
                <th>Saved</th>
              </tr>
            </thead>
            <tbody>
              {(lists ?? []).map((b) => (
                <tr key={b.name} className={b.name === selected ? 'selected' : ''} tabIndex={0} onClick={() => navigate(`/blocklists/${encodeURIComponent(b.name)}`)} onKeyDown={(e) => e.key === 'Enter' && navigate(`/blocklists/${encodeURIComponent(b.name)}`)}>
                  <td className="mono">{b.name}</td>
                  <td>{b.description}</td>
                  <td className="mono small">{JSON.stringify(b.criteria)}</td>
                  <td className="small">
                    {b.savedBy} · {utc(b.savedAt).slice(0, 16)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {selected && (
        <section className="card stack" data-testid="blocklist-detail">
          <h2>{selected}</h2>
          <label className="field">
            <span className="small muted">External Dynamic List (plain text; a firewall polls it with a viewer token: Authorization: Bearer …)</span>
            <span className="copy-field">
              <input readOnly value={edl} onFocus={(e) => e.currentTarget.select()} data-testid="blocklist-edl" />
              <button className="chip" onClick={() => void navigator.clipboard?.writeText(edl)}>
                Copy
              </button>
            </span>
          </label>
          <div className="toolbar small">
            Download:
            {FORMATS.map((f) => (
              <a key={f} className="chip" href={`/api/blocklists/${encodeURIComponent(selected)}?format=${f}`} download>
                {f}
              </a>
            ))}
          </div>
          {loading && <p className="muted">Building…</p>}
          {built && (
            <>
              <p className="muted small" style={{ margin: 0 }}>
                Built {utc(built.builtAt)} UTC{built.window ? `, evidence from ${utc(built.window.from)} to ${utc(built.window.to)}` : ''}: {built.entries.length} entr{built.entries.length === 1 ? 'y' : 'ies'}, {built.held.length} held back.
              </p>
              <h3 className="small muted">Entries</h3>
              <table className="simple small" data-testid="blocklist-entries">
                <thead>
                  <tr>
                    <th>Value</th>
                    <th>Reason</th>
                    <th>Confidence</th>
                    <th>First seen</th>
                    <th>Last seen</th>
                    <th>Expires</th>
                    <th className="num">Evidence</th>
                  </tr>
                </thead>
                <tbody>
                  {built.entries.map((e) => (
                    <tr key={e.value}>
                      <td>
                        <Link to={profilePath(e.value.replace(/\/(32|128)$/, ''))} className="mono">
                          {e.value}
                        </Link>
                      </td>
                      <td>{e.reason}</td>
                      <td>{e.confidence ?? ''}</td>
                      <td className="mono">{utc(e.firstSeen).slice(0, 16)}</td>
                      <td className="mono">{utc(e.lastSeen).slice(0, 16)}</td>
                      <td className="mono">{e.expires ? utc(e.expires).slice(0, 16) : 'never'}</td>
                      <td className="num" title={JSON.stringify(e.evidence, null, 1)}>
                        {e.evidence.length}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <h3 className="small muted">Held back by the safety check</h3>
              {built.held.length === 0 ? (
                <p className="muted small">None.</p>
              ) : (
                <table className="simple small" data-testid="blocklist-held">
                  <thead>
                    <tr>
                      <th>Value</th>
                      <th>Would be listed for</th>
                      <th>Held back because</th>
                    </tr>
                  </thead>
                  <tbody>
                    {built.held.map((e) => (
                      <tr key={e.value}>
                        <td className="mono">{e.value}</td>
                        <td>{e.reason}</td>
                        <td>
                          {e.held.map((h) => (
                            <div key={h.rule}>
                              <span className="badge warn">{h.rule}</span> {h.detail}
                            </div>
                          ))}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </>
          )}
        </section>
      )}
    </main>
  );
}
