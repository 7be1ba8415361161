// The investigation notebook (/cases, /cases/NAME): cases holding the entities, queries (with
// their window) and findings an analyst pinned from the IP page, Explore and the findings inbox,
// with notes; export as Markdown or JSON. Viewers read; analysts open cases, pin, unpin, delete.
// A network-scoped account sees only the cases it opened.

import { useCallback, useEffect, useState } from 'react';
import { api, type CaseItem, type CaseSummary, type InvestigationCase } from '../api';
import { Problem } from '../components/Problem';
import type { SectionProps } from '../extensions';
import { utc } from '../format';
import { explorePath, Link, navigate, profilePath } from '../router';
import './Workspace.css';

const TYPE_CLASS: Record<string, string> = { entity: 'accent', query: '', finding: 'warn', note: '' };

function ItemBody({ item }: { item: CaseItem }) {
  switch (item.type) {
    case 'entity':
      return (
        <Link to={profilePath(item.value)} className="mono what">
          {item.value}
        </Link>
      );
    case 'query':
      return (
        <span className="what">
          <Link to={explorePath(item.value, { from: item.from, to: item.to })} className="mono">
            {item.value}
          </Link>{' '}
          <span className="muted small">{item.from || item.to ? `${utc(item.from) || 'start'} – ${utc(item.to) || 'now'} UTC` : 'all data'}</span>
        </span>
      );
    case 'finding':
      return (
        <span className="what">
          <Link to={`/findings/${item.value}`} className="mono">
            {item.finding ? `${item.finding.kind}/${item.finding.subkind}` : item.value.slice(0, 8)}
          </Link>{' '}
          {item.finding && (
            <>
              <span className="badge">{item.finding.severity}</span> {item.finding.summary}
            </>
          )}
        </span>
      );
    case 'note':
      return <span className="what" style={{ whiteSpace: 'pre-wrap' }}>{item.value}</span>;
  }
}

export default function CasesPage({ me, subpath }: SectionProps) {
  const selected = decodeURIComponent(subpath.replace(/^\//, ''));
  const canWrite = me.role === 'analyst' || me.role === 'admin';
  const [cases, setCases] = useState<CaseSummary[]>();
  const [current, setCurrent] = useState<InvestigationCase>();
  const [error, setError] = useState<unknown>();
  const [newName, setNewName] = useState('');
  const [newTitle, setNewTitle] = useState('');
  const [note, setNote] = useState('');
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    const ctl = new AbortController();
    api
      .cases(ctl.signal)
      .then((r) => setCases(r.cases))
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(e));
    return () => ctl.abort();
  }, [tick]);

  useEffect(() => {
    if (!selected) {
      setCurrent(undefined);
      return;
    }
    const ctl = new AbortController();
    api
      .case(selected, ctl.signal)
      .then((c) => {
        setCurrent(c);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setCurrent(undefined);
        setError(e);
      });
    return () => ctl.abort();
  }, [selected, tick]);

  const act = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      refresh();
    } catch (e) {
      setError(e);
    }
  };

  const open = () =>
    act(async () => {
      const c = await api.putCase({ name: newName.trim(), ...(newTitle.trim() ? { title: newTitle.trim() } : {}) });
      setNewName('');
      setNewTitle('');
      navigate(`/cases/${encodeURIComponent(c.name)}`);
    });

  return (
    <main className="page cases-page" data-testid="cases-page">
      <header className="page-head">
        <h1>Cases</h1>
        <p className="muted small">
          The investigation notebook: pin entities (IP page), queries (Explore) and findings to a case with notes, then export it as Markdown for a report or JSON for another tool.
        </p>
      </header>
      {canWrite && (
        <form
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            void open();
          }}
        >
          <input value={newName} onChange={(e) => setNewName(e.target.value)} placeholder="case name: acme-beaconing" required pattern="[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}" data-testid="case-new-name" />
          <input value={newTitle} onChange={(e) => setNewTitle(e.target.value)} placeholder="title (optional)" size={36} data-testid="case-new-title" />
          <button type="submit" className="primary" data-testid="case-open">
            Open case
          </button>
        </form>
      )}
      <Problem error={error} what="Cases" />
      <div className={current ? 'split with-side' : 'split'}>
        <section className="card">
          {cases && cases.length === 0 ? (
            <p className="muted">No cases yet{canWrite ? ': open one above, or pin something from an IP page, Explore or a finding.' : '.'}</p>
          ) : (
            <table className="simple pickable" data-testid="cases-table">
              <thead>
                <tr>
                  <th>Case</th>
                  <th>Title</th>
                  <th className="num">Items</th>
                  <th>Owner</th>
                  <th>Last changed</th>
                </tr>
              </thead>
              <tbody>
                {(cases ?? []).map((c) => (
                  <tr key={c.name} data-name={c.name} className={c.name === selected ? 'selected' : ''} tabIndex={0} onClick={() => navigate(`/cases/${encodeURIComponent(c.name)}`)} onKeyDown={(e) => e.key === 'Enter' && navigate(`/cases/${encodeURIComponent(c.name)}`)}>
                    <td className="mono">{c.name}</td>
                    <td>{c.title}</td>
                    <td className="num mono">{c.items}</td>
                    <td>{c.owner}</td>
                    <td className="mono small">{utc(c.updatedAt).slice(0, 16)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        {current && (
          <section className="card stack" data-testid="case-detail" aria-label={`case ${current.name}`}>
            <div className="toolbar">
              <h2 style={{ margin: 0 }}>{current.title}</h2>
              <span className="spacer" />
              <button className="chip" onClick={() => void act(() => api.exportCase(current.name, 'md'))} data-testid="case-export-md">
                ⇩ Markdown
              </button>
              <button className="chip" onClick={() => void act(() => api.exportCase(current.name, 'json'))} data-testid="case-export-json">
                ⇩ JSON
              </button>
              <button className="icon" onClick={() => navigate('/cases')} aria-label="close the case" title="Close">
                ✕
              </button>
            </div>
            <p className="muted small" style={{ margin: 0 }}>
              <span className="mono">{current.name}</span> · opened by {current.owner} {utc(current.createdAt).slice(0, 16)} UTC · {current.items.length} item{current.items.length === 1 ? '' : 's'}
            </p>
            {current.description && <p style={{ margin: 0 }}>{current.description}</p>}
            {current.items.length === 0 ? (
              <p className="muted small">Nothing pinned yet: use “📌 Pin to case” on an IP page, in Explore or on a finding, or write a note below.</p>
            ) : (
              <ol className="case-items" data-testid="case-items">
                {current.items.map((item) => (
                  <li key={item.id} className="case-item" data-type={item.type} data-testid="case-item">
                    <span className={`badge ${TYPE_CLASS[item.type] ?? ''}`}>{item.type}</span>
                    <ItemBody item={item} />
                    {canWrite ? (
                      <button className="icon" title="Remove from the case" aria-label={`remove item ${item.id}`} onClick={() => void act(() => api.unpin(current.name, item.id))}>
                        ✕
                      </button>
                    ) : (
                      <span />
                    )}
                    {item.note && <span className="note small">{item.note}</span>}
                    <span className="by muted small">
                      {item.addedBy} · {utc(item.addedAt).slice(0, 16)} UTC
                    </span>
                  </li>
                ))}
              </ol>
            )}
            {canWrite && (
              <form
                className="stack"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (note.trim())
                    void act(async () => {
                      await api.pin(current.name, { type: 'note', value: note.trim() });
                      setNote('');
                    });
                }}
              >
                <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={3} placeholder="A note: what you found, who you called, what is next…" data-testid="case-note" />
                <div className="toolbar">
                  <button type="submit" className="primary" disabled={!note.trim()} data-testid="case-add-note">
                    Add note
                  </button>
                  <span className="spacer" />
                  <button
                    type="button"
                    className="chip danger"
                    onClick={() => {
                      if (confirm(`Delete the case ${current.name} and its ${current.items.length} items?`))
                        void act(async () => {
                          await api.deleteCase(current.name);
                          navigate('/cases', true);
                        });
                    }}
                    data-testid="case-delete"
                  >
                    Delete case
                  </button>
                </div>
              </form>
            )}
          </section>
        )}
      </div>
    </main>
  );
}
