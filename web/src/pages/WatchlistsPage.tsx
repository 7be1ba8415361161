// Watchlists (/watchlists, /watchlists/NAME): partners, suppliers, peers and our own perimeter,
// with owner, criticality, contacts and members (networks, hosts, AS numbers, domains). Every
// finding that involves a member carries the watchlist's name. List, create, edit, delete
// (analysts; organisation-wide, so a network-scoped account is refused with the server's reason).

import { useCallback, useEffect, useState } from 'react';
import { api, CRITICALITIES, WATCHLIST_KINDS, type Watchlist } from '../api';
import { Problem } from '../components/Problem';
import type { SectionProps } from '../extensions';
import { navigate } from '../router';
import './Workspace.css';

interface Draft {
  name: string;
  kind: string;
  owner: string;
  criticality: string;
  contacts: string;
  description: string;
  members: string;
}

const CRIT_CLASS: Record<string, string> = { critical: 'bad', high: 'bad', medium: 'warn' };

const EMPTY: Draft = { name: '', kind: 'partner', owner: '', criticality: 'medium', contacts: '', description: '', members: '' };

/** Members one per line, a note after ` # `. */
function membersText(w: Watchlist): string {
  return w.members.map((m) => `${m.value}${m.note ? ` # ${m.note}` : ''}`).join('\n');
}

function parseMembers(text: string): (string | { value: string; note: string })[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const at = l.indexOf(' #');
      return at < 0 ? l : { value: l.slice(0, at).trim(), note: l.slice(at + 2).trim() };
    });
}

const draftOf = (w: Watchlist): Draft => ({ name: w.name, kind: w.kind, owner: w.owner, criticality: w.criticality, contacts: w.contacts.join(', '), description: w.description, members: membersText(w) });

export default function WatchlistsPage({ subpath }: SectionProps) {
  const selected = decodeURIComponent(subpath.replace(/^\//, ''));
  const [lists, setLists] = useState<Watchlist[]>();
  const [error, setError] = useState<unknown>();
  const [draft, setDraft] = useState<Draft>();
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<string>();
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    const ctl = new AbortController();
    api
      .watchlists(ctl.signal)
      .then((r) => {
        setLists(r.watchlists);
        setError(undefined);
      })
      .catch((e: unknown) => (e as Error).name !== 'AbortError' && setError(e));
    return () => ctl.abort();
  }, [tick]);

  // The path names the watchlist being edited; /watchlists/new a blank one.
  useEffect(() => {
    if (!selected) setDraft(undefined);
    else if (selected === 'new') setDraft((d) => (d && !lists?.some((w) => w.name === d.name) ? d : { ...EMPTY }));
    else {
      const w = lists?.find((x) => x.name === selected);
      if (w) setDraft(draftOf(w));
    }
  }, [selected, lists]);

  const save = async () => {
    if (!draft) return;
    setSaving(true);
    setError(undefined);
    try {
      const stored = await api.putWatchlist({
        name: draft.name.trim(),
        kind: draft.kind,
        owner: draft.owner.trim(),
        criticality: draft.criticality,
        contacts: draft.contacts
          .split(/[,\n]/)
          .map((c) => c.trim())
          .filter(Boolean),
        description: draft.description,
        members: parseMembers(draft.members),
      });
      setSaved(`Saved ${stored.name}: ${stored.members.length} member${stored.members.length === 1 ? '' : 's'}.`);
      navigate(`/watchlists/${encodeURIComponent(stored.name)}`, true);
      refresh();
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  const remove = async (name: string) => {
    if (!confirm(`Remove the watchlist ${name}? Findings raised from now on no longer carry it.`)) return;
    try {
      await api.deleteWatchlist(name);
      setSaved(`Removed ${name}.`);
      navigate('/watchlists', true);
      refresh();
    } catch (e) {
      setError(e);
    }
  };

  const set = (k: keyof Draft) => (e: { target: { value: string } }) => setDraft((d) => (d ? { ...d, [k]: e.target.value } : d));
  const editing = selected && selected !== 'new';

  return (
    <main className="page watchlists-page" data-testid="watchlists-page">
      <header className="page-head">
        <h1>Watchlists</h1>
        <p className="muted small">
          Partners, suppliers, peers and our own perimeter. Every finding that involves a member is marked with its watchlist; a watched partner's host that talks to C2, beacons or scans
          raises a <span className="mono">partner-compromised</span> finding with its connections to us.
        </p>
      </header>
      <div className="toolbar">
        <button className="primary" onClick={() => navigate('/watchlists/new')} data-testid="watchlist-new">
          New watchlist
        </button>
        <button className="chip" onClick={refresh}>
          ↻ Refresh
        </button>
        {saved && (
          <span className="small muted" data-testid="watchlist-saved">
            {saved}
          </span>
        )}
      </div>
      <Problem error={error} what="Watchlists" />
      <div className={draft ? 'split with-side' : 'split'}>
        <section className="card">
          {lists && lists.length === 0 ? (
            <p className="muted">No watchlists yet. Create one for each partner, supplier or peer network you exchange traffic with, and one for your own perimeter.</p>
          ) : (
            <table className="simple pickable" data-testid="watchlists-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Kind</th>
                  <th>Owner</th>
                  <th>Criticality</th>
                  <th>Contacts</th>
                  <th className="num">Members</th>
                </tr>
              </thead>
              <tbody>
                {(lists ?? []).map((w) => (
                  <tr key={w.name} data-name={w.name} className={w.name === selected ? 'selected' : ''} tabIndex={0} onClick={() => navigate(`/watchlists/${encodeURIComponent(w.name)}`)} onKeyDown={(e) => e.key === 'Enter' && navigate(`/watchlists/${encodeURIComponent(w.name)}`)}>
                    <td className="mono">{w.name}</td>
                    <td>
                      <span className={`badge ${w.kind === 'perimeter' ? 'accent' : ''}`}>{w.kind}</span>
                    </td>
                    <td>{w.owner}</td>
                    <td>
                      <span className={`badge ${CRIT_CLASS[w.criticality] ?? ''}`}>{w.criticality}</span>
                    </td>
                    <td className="small">{w.contacts.join(', ')}</td>
                    <td className="num mono" title={w.members.map((m) => m.value).join('\n')}>
                      {w.members.length}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        {draft && (
          <form
            className="card"
            data-testid="watchlist-form"
            onSubmit={(e) => {
              e.preventDefault();
              void save();
            }}
          >
            <h2>{editing ? `Edit ${selected}` : 'New watchlist'}</h2>
            <div className="form-grid">
              <label className="field">
                <span className="small muted">Name</span>
                <input value={draft.name} onChange={set('name')} required readOnly={!!editing} placeholder="acme" data-testid="wl-name" />
              </label>
              <label className="field">
                <span className="small muted">Kind</span>
                <select value={draft.kind} onChange={set('kind')} data-testid="wl-kind">
                  {WATCHLIST_KINDS.map((k) => (
                    <option key={k}>{k}</option>
                  ))}
                </select>
              </label>
              <label className="field">
                <span className="small muted">Owner</span>
                <input value={draft.owner} onChange={set('owner')} placeholder="ACME Payments Ltd" data-testid="wl-owner" />
              </label>
              <label className="field">
                <span className="small muted">Criticality</span>
                <select value={draft.criticality} onChange={set('criticality')} data-testid="wl-criticality">
                  {CRITICALITIES.map((k) => (
                    <option key={k}>{k}</option>
                  ))}
                </select>
              </label>
              <label className="field wide">
                <span className="small muted">Contacts (comma-separated)</span>
                <input value={draft.contacts} onChange={set('contacts')} placeholder="soc@acme.example, +44 20 7946 0000" data-testid="wl-contacts" />
              </label>
              <label className="field wide">
                <span className="small muted">Description</span>
                <input value={draft.description} onChange={set('description')} data-testid="wl-description" />
              </label>
              <label className="field wide">
                <span className="small muted">Members, one per line: a network (192.0.2.0/24), a host, an AS number (AS64500) or a domain; a note after “ # ”</span>
                <textarea value={draft.members} onChange={set('members')} rows={8} className="mono" placeholder={'192.0.2.0/24 # ACME office\nAS64500\nacme.example'} data-testid="wl-members" />
              </label>
            </div>
            <div className="form-actions">
              <button type="submit" className="primary" disabled={saving} data-testid="wl-save">
                {saving ? 'Saving…' : 'Save'}
              </button>
              <button type="button" onClick={() => navigate('/watchlists')}>
                Close
              </button>
              <span className="spacer" />
              {editing && (
                <button type="button" className="chip danger" onClick={() => void remove(selected)} data-testid="wl-delete">
                  Delete
                </button>
              )}
            </div>
          </form>
        )}
      </div>
    </main>
  );
}
