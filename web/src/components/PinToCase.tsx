// "Pin to case": a button that pins an entity, a query (with its window) or a finding to a case
// of the investigation notebook, with a note. The dialog lists the caller's cases and can open a
// new one; after pinning it links to the case.

import { useEffect, useRef, useState } from 'react';
import { api, type CasePin, type CaseSummary } from '../api';
import { Link } from '../router';
import { problemText } from './Problem';

const NEW = '\u0000new';

/** The last case pinned to, offered first next time. */
const LAST_CASE = 'vantage-last-case';

/** The pin button and its dialog. */
export function PinToCase({ pin, label = 'Pin to case', className = 'chip' }: { pin: Omit<CasePin, 'note'>; label?: string; className?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className={className} onClick={() => setOpen(true)} data-testid="pin-button" title={`Pin this ${pin.type} to a case of the notebook`}>
        📌 {label}
      </button>
      {open && <PinDialog pin={pin} onClose={() => setOpen(false)} />}
    </>
  );
}

function PinDialog({ pin, onClose }: { pin: Omit<CasePin, 'note'>; onClose: () => void }) {
  const [cases, setCases] = useState<CaseSummary[]>();
  const [choice, setChoice] = useState('');
  const [name, setName] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();
  const first = useRef<HTMLSelectElement>(null);

  useEffect(() => {
    api
      .cases()
      .then((r) => {
        setCases(r.cases);
        const last = localStorage.getItem(LAST_CASE);
        setChoice(r.cases.some((c) => c.name === last) ? last! : (r.cases[0]?.name ?? NEW));
      })
      .catch((e: unknown) => setError(problemText(e)));
  }, []);
  useEffect(() => first.current?.focus(), [cases]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      let target = choice;
      if (choice === NEW) {
        target = name.trim();
        if (!target) throw new Error('Give the new case a name (letters, digits, . _ -).');
        await api.putCase({ name: target });
      }
      await api.pin(target, { ...pin, ...(note.trim() ? { note: note.trim() } : {}) });
      localStorage.setItem(LAST_CASE, target);
      setDone(target);
    } catch (e) {
      setError(e instanceof Error && !(e as { code?: string }).code ? e.message : problemText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="overlay" role="dialog" aria-label="pin to a case" onClick={onClose}>
      <form
        className="card pin-dialog"
        onClick={(e) => e.stopPropagation()}
        onSubmit={(e) => {
          e.preventDefault();
          if (!done) void submit();
        }}
      >
        <h2>Pin {pin.type}</h2>
        <code className="mono small pin-value">{pin.value}</code>
        {pin.type === 'query' && (pin.from || pin.to) && (
          <span className="muted small">
            over {pin.from ?? 'the start'} – {pin.to ?? 'now'}
          </span>
        )}
        {done ? (
          <p data-testid="pin-done">
            Pinned to{' '}
            <Link to={`/cases/${encodeURIComponent(done)}`} onClick={onClose}>
              {done}
            </Link>
            .
          </p>
        ) : (
          <>
            <label className="field">
              <span className="small muted">Case</span>
              <select ref={first} value={choice} onChange={(e) => setChoice(e.target.value)} data-testid="pin-case" disabled={!cases}>
                {(cases ?? []).map((c) => (
                  <option key={c.name} value={c.name}>
                    {c.title === c.name ? c.name : `${c.title} (${c.name})`} · {c.items} item{c.items === 1 ? '' : 's'}
                  </option>
                ))}
                <option value={NEW}>New case…</option>
              </select>
            </label>
            {choice === NEW && (
              <label className="field">
                <span className="small muted">New case name</span>
                <input value={name} onChange={(e) => setName(e.target.value)} placeholder="acme-beaconing" pattern="[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}" data-testid="pin-new-case" autoFocus />
              </label>
            )}
            <label className="field">
              <span className="small muted">Note (optional)</span>
              <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={3} data-testid="pin-note" />
            </label>
          </>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="toolbar">
          <span className="spacer" />
          <button type="button" onClick={onClose}>
            {done ? 'Close' : 'Cancel'}
          </button>
          {!done && (
            <button type="submit" className="primary" disabled={busy || !cases} data-testid="pin-submit">
              {busy ? 'Pinning…' : 'Pin'}
            </button>
          )}
        </div>
      </form>
    </div>
  );
}
