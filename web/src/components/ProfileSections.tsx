// The sections of an entity profile (GET /api/profile/{entity}): context, intelligence with
// provenance, passive DNS, services, certificates, peers and findings, each a small table that
// says "none" when empty. Used by the IP page and the profile page of other entities.

import { useEffect, useState, type ReactNode } from 'react';
import { api, ApiFailure, type EntityProfile, type ProfileRow, type TimeRange } from '../api';
import { bytes, cell, compact, utc } from '../format';
import { Link, pivotPath, profilePath } from '../router';
import './ProfileSections.css';

interface Col {
  key: string;
  label: string;
  render?: (row: ProfileRow) => ReactNode;
  num?: boolean;
}

const time = (key: string): Col => ({ key, label: key, render: (r) => <span className="mono small">{utc(r[key] as string | null)}</span> });
const entityLink = (value: unknown) => <Link to={profilePath(String(value ?? ''))}>{String(value ?? '')}</Link>;

function Section({ title, rows, cols, testId, note }: { title: string; rows: ProfileRow[]; cols: Col[]; testId: string; note?: string }) {
  return (
    <section className={`card panel profile-section${rows.length === 0 ? ' empty' : ''}`} data-testid={testId}>
      <header>
        <h2>
          {title} <span className="muted small">{rows.length || 'none'}</span>
        </h2>
        {note && <span className="muted small">{note}</span>}
      </header>
      {rows.length === 0 ? null : (
        <div className="profile-scroll">
          <table className="simple profile-table">
            <thead>
              <tr>
                {cols.map((c) => (
                  <th key={c.key} className={c.num ? 'num' : undefined}>
                    {c.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r, i) => (
                <tr key={i}>
                  {cols.map((c) => (
                    <td key={c.key} className={c.num ? 'num' : undefined}>
                      {c.render ? c.render(r) : c.num ? compact(Number(r[c.key] ?? 0)) : cell(r[c.key])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The profile of an entity over a time range; `onLoaded` hears the profile (or undefined when nothing is known). */
export function ProfileSections({ entity, range, rangeKey, showPeers = true }: { entity: string; range: TimeRange; rangeKey: string; showPeers?: boolean }) {
  const [profile, setProfile] = useState<EntityProfile>();
  const [error, setError] = useState<ApiFailure>();

  useEffect(() => {
    const ctl = new AbortController();
    setProfile(undefined);
    setError(undefined);
    api
      .profile(entity, range, ctl.signal)
      .then(setProfile)
      .catch((err: unknown) => {
        if ((err as Error).name !== 'AbortError') setError(err instanceof ApiFailure ? err : new ApiFailure(0, 'CLIENT', String(err)));
      });
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [entity, rangeKey]);

  if (error?.status === 404) return <p className="muted" data-testid="profile-empty">{error.message}.</p>;
  if (error) return <p className="error">{`${error.code}: ${error.message}`}</p>;
  if (!profile) return <p className="muted">Loading profile…</p>;

  const p = profile;
  const isDomain = p.entity.type === 'domain';
  const asn = p.context.asn;
  return (
    <div className="profile" data-testid="profile">
      <dl className="facts profile-context">
        <div>
          <dt>AS</dt>
          <dd data-testid="profile-asn">{asn ? `AS${asn.number}${asn.org ? ` · ${asn.org}` : ''}` : '—'}</dd>
        </div>
        <div>
          <dt>Country</dt>
          <dd>{p.context.country ?? '—'}</dd>
        </div>
        {p.entity.type !== 'ip' && (
          <>
            <div>
              <dt>Flows</dt>
              <dd>{compact(p.flows.flows)}</dd>
            </div>
            <div>
              <dt>Bytes</dt>
              <dd>{bytes(p.flows.bytes)}</dd>
            </div>
          </>
        )}
        {p.entity.type === 'domain' && (
          <div>
            <dt>Graph</dt>
            <dd>
              <Link to={pivotPath(p.entity.value)} className="chip" data-testid="profile-pivot">
                Pivot
              </Link>
            </dd>
          </div>
        )}
      </dl>
      <div className="grid2">
        <Section
          title="Intelligence"
          testId="profile-intel"
          rows={p.intel}
          cols={[
            { key: 'indicator', label: 'indicator', render: (r) => <span className="mono">{cell(r.indicator)}</span> },
            { key: 'kind', label: 'kind' },
            { key: 'how', label: 'how' },
            { key: 'source', label: 'source' },
            { key: 'family', label: 'family' },
            { key: 'confidence', label: 'conf.' },
            time('last_seen'),
          ]}
        />
        <Section
          title={isDomain ? 'Passive DNS: answers' : 'Passive DNS: names pointing here'}
          testId="profile-dns"
          rows={isDomain ? p.dns.answers : p.dns.names}
          cols={[{ key: 'value', label: isDomain ? 'answer' : 'name', render: (r) => entityLink(r.value) }, { key: 'type', label: 'type' }, { key: 'count', label: 'count', num: true }, time('first'), time('last')]}
        />
        {isDomain && (
          <Section
            title="Passive DNS: subdomains"
            testId="profile-subdomains"
            rows={p.dns.subdomains}
            cols={[{ key: 'value', label: 'name', render: (r) => entityLink(r.value) }, { key: 'type', label: 'types' }, { key: 'count', label: 'count', num: true }, time('last')]}
          />
        )}
        <Section
          title="Services"
          testId="profile-services"
          rows={p.services}
          cols={[
            { key: 'port', label: 'port', render: (r) => `${cell(r.port)}/${cell(r.transport)}` },
            { key: 'service', label: 'service' },
            { key: 'product', label: 'product' },
            { key: 'source', label: 'source' },
            { key: 'count', label: 'seen', num: true },
            time('last'),
          ]}
        />
        <Section
          title="Certificates"
          testId="profile-certificates"
          rows={p.certificates}
          cols={[
            { key: 'subject', label: 'subject' },
            { key: 'issuer', label: 'issuer' },
            { key: 'port', label: 'port' },
            { key: 'names', label: 'names', render: (r) => ((r.names as string[]) ?? []).slice(0, 4).join(' ') },
            time('notAfter'),
            { key: 'count', label: 'seen', num: true },
          ]}
        />
        {showPeers && (
          <Section
            title="Peers it sent to"
            testId="profile-peers-out"
            rows={p.peers.asSource}
            cols={[{ key: 'peer', label: 'peer', render: (r) => entityLink(r.peer) }, { key: 'ports', label: 'ports' }, { key: 'flows', label: 'flows', num: true }, { key: 'bytes', label: 'bytes', render: (r) => bytes(Number(r.bytes)), num: true }]}
          />
        )}
        {showPeers && (
          <Section
            title="Peers that sent to it"
            testId="profile-peers-in"
            rows={p.peers.asDestination}
            cols={[{ key: 'peer', label: 'peer', render: (r) => entityLink(r.peer) }, { key: 'ports', label: 'ports' }, { key: 'flows', label: 'flows', num: true }, { key: 'bytes', label: 'bytes', render: (r) => bytes(Number(r.bytes)), num: true }]}
          />
        )}
        {p.entity.type !== 'ip' && (
          <Section
            title="Addresses"
            testId="profile-members"
            rows={p.members}
            cols={[{ key: 'address', label: 'address', render: (r) => entityLink(r.address) }, { key: 'flows', label: 'flows', num: true }, { key: 'bytes', label: 'bytes', render: (r) => bytes(Number(r.bytes)), num: true }]}
          />
        )}
        <Section
          title="Findings"
          testId="profile-findings"
          rows={p.findings}
          note={p.findings.length ? undefined : 'run the detections to raise findings'}
          cols={[
            { key: 'id', label: 'id', render: (r) => <Link to={`/findings/${String(r.id)}`} className="mono">{String(r.id).slice(0, 10)}</Link> },
            { key: 'kind', label: 'kind', render: (r) => `${cell(r.kind)}/${cell(r.subkind)}` },
            { key: 'severity', label: 'severity' },
            { key: 'status', label: 'status' },
            { key: 'roles', label: 'roles' },
            { key: 'summary', label: 'summary' },
          ]}
        />
      </div>
    </div>
  );
}
