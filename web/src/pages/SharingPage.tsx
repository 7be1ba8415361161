// Sharing (/sharing): what we give peers and what we take from them. Analysts download our
// findings and indicators as a STIX 2.1 bundle or a MISP event (TLP and "since" chosen here),
// publish that export into our TAXII collections, and ask peers whether they have seen a value.
// Admins also create collections, grant tokens read or write on them, pull a peer's TAXII
// collection into intelligence, and keep the list of peers (their tokens shown masked).

import { useCallback, useEffect, useState, type ChangeEvent, type FormEvent } from 'react';
import { api, TLP_LEVELS, type PeerAnswer, type PeerInfo, type TaxiiCollection, type TaxiiGrant, type TaxiiPublishResult, type TaxiiPullResult, type Token } from '../api';
import { PeerAnswers } from '../components/PeerAnswers';
import { Problem } from '../components/Problem';
import type { SectionProps } from '../extensions';
import { utc } from '../format';
import './Workspace.css';

/** A form's fields as state, with an onChange per field. */
function useForm<T extends Record<string, string | boolean>>(initial: T) {
  const [form, setForm] = useState(initial);
  const set = (key: keyof T) => (e: ChangeEvent<HTMLInputElement | HTMLSelectElement>) => {
    const target = e.target as HTMLInputElement;
    setForm((f) => ({ ...f, [key]: target.type === 'checkbox' ? target.checked : target.value }));
  };
  return { form, set, reset: () => setForm(initial) };
}

/** Runs a change with a busy flag and an error slot. */
function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

export default function SharingPage({ me, range }: SectionProps) {
  const isAdmin = me.permissions.includes('admin');
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  const [loadError, setLoadError] = useState<unknown>();
  const [collections, setCollections] = useState<TaxiiCollection[]>();
  const [grants, setGrants] = useState<TaxiiGrant[]>();
  const [tokens, setTokens] = useState<Token[]>();
  const [peers, setPeers] = useState<PeerInfo[]>();

  useEffect(() => {
    const ctl = new AbortController();
    const fail = (e: unknown) => (e as Error).name !== 'AbortError' && setLoadError(e);
    api.taxiiCollections(ctl.signal).then((r) => setCollections(r.collections), fail);
    if (isAdmin) {
      api.taxiiGrants(ctl.signal).then((r) => setGrants(r.grants), fail);
      api.tokens().then((r) => setTokens(r.tokens.filter((t) => !t.revoked)), fail);
      api.peers(ctl.signal).then((r) => setPeers(r.peers), fail);
    }
    return () => ctl.abort();
  }, [isAdmin, tick]);

  // Export options, shared by the downloads and the publish buttons.
  const exp = useForm({ tlp: 'amber', since: '', org: '' });
  const download = useAction();
  const options = { tlp: exp.form.tlp, since: exp.form.since.trim() || undefined, org: exp.form.org.trim() || undefined };

  const publish = useAction();
  const [published, setPublished] = useState<TaxiiPublishResult & { title: string }>();

  const create = useAction();
  const newCollection = useForm({ title: '', alias: '', description: '' });

  const grant = useAction();
  const grantForm = useForm({ token: '', collection: '', read: true, write: false });

  const pull = useAction();
  const pullForm = useForm({ url: '', collection: '', token: '', addedAfter: '' });
  const [pulled, setPulled] = useState<TaxiiPullResult>();

  const peer = useAction();
  const peerForm = useForm({ name: '', url: '', token: '' });

  const ask = useAction();
  const askForm = useForm({ value: '' });
  const [answers, setAnswers] = useState<{ value: string; answers: PeerAnswer[] }>();

  const submit = (work: () => Promise<void>, action: ReturnType<typeof useAction>) => (e: FormEvent) => {
    e.preventDefault();
    void action.run(work);
  };

  return (
    <main className="page sharing-page stack" data-testid="sharing-page">
      <header className="page-head">
        <h1>Sharing</h1>
        <p className="muted small">
          Our findings and threat indicators as STIX 2.1 or a MISP event, marked with a TLP level and signed by our organisation; our TAXII 2.1 server's collections (peers read them at{' '}
          <span className="mono">{location.origin}/taxii2/</span> with a token granted below); pulls from peers' TAXII servers; and peer sightings: counts only, never a flow.
        </p>
      </header>
      <Problem error={loadError} what="Sharing" />

      <section className="card" data-testid="share-export">
        <h2>Export</h2>
        <div className="form-grid">
          <label className="field">
            <span className="small muted">TLP 2.0 marking</span>
            <select value={exp.form.tlp} onChange={exp.set('tlp')} data-testid="share-tlp">
              {TLP_LEVELS.map((t) => (
                <option key={t} value={t}>
                  TLP:{t.toUpperCase()}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="small muted">Since (findings active, indicators seen; empty: everything)</span>
            <input value={exp.form.since} onChange={exp.set('since')} placeholder="-7d or 2026-10-01" data-testid="share-since" />
          </label>
          <label className="field wide">
            <span className="small muted">Our organisation (the identity every object names as its source)</span>
            <input value={exp.form.org} onChange={exp.set('org')} placeholder="Vantage" data-testid="share-org" />
          </label>
        </div>
        <div className="form-actions">
          <button className="primary" disabled={download.busy} onClick={() => void download.run(() => api.share('stix', options))} data-testid="share-stix">
            Download STIX 2.1 bundle
          </button>
          <button disabled={download.busy} onClick={() => void download.run(() => api.share('misp', options))} data-testid="share-misp">
            Download MISP event
          </button>
          <span className="muted small">Our own hosts (victims) are never exported; findings judged false positive are left out.</span>
        </div>
        <Problem error={download.error} what="Export" />
      </section>

      <section className="card" data-testid="taxii-section">
        <h2>TAXII collections</h2>
        {collections && collections.length === 0 ? (
          <p className="muted small">No collections yet{isAdmin ? ': create one below' : ' (an administrator creates them)'}.</p>
        ) : (
          <table className="simple small" data-testid="taxii-collections">
            <thead>
              <tr>
                <th>Title</th>
                <th>Alias</th>
                <th className="num">Objects</th>
                <th className="num">Versions</th>
                <th>Peers read it at</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(collections ?? []).map((c) => (
                <tr key={c.id} data-id={c.id} title={c.description}>
                  <td>{c.title}</td>
                  <td className="mono">{c.alias}</td>
                  <td className="num mono" data-testid="taxii-objects">
                    {c.objects}
                  </td>
                  <td className="num mono">{c.versions}</td>
                  <td className="mono">{c.url}</td>
                  <td>
                    <button
                      className="chip"
                      disabled={publish.busy}
                      title={`publish the export (TLP:${exp.form.tlp.toUpperCase()}${options.since ? `, since ${options.since}` : ''}) into this collection`}
                      onClick={() =>
                        void publish.run(async () => {
                          setPublished({ ...(await api.taxiiPublish({ collection: c.id, ...options })), title: c.title });
                          refresh();
                        })
                      }
                      data-testid="taxii-publish"
                    >
                      Publish
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {published && (
          <p className="small" data-testid="taxii-publish-result">
            Published {published.objects} objects ({published.indicators} indicators, {published.sightings} sightings) to “{published.title}”: {published.added} new versions, {published.unchanged} unchanged.
          </p>
        )}
        <Problem error={publish.error} what="Publish" />
        {isAdmin && (
          <form
            className="stack"
            onSubmit={submit(async () => {
              await api.addTaxiiCollection({ title: newCollection.form.title, alias: newCollection.form.alias || undefined, description: newCollection.form.description || undefined });
              newCollection.reset();
              refresh();
            }, create)}
          >
            <h3 className="small muted">New collection</h3>
            <div className="form-grid">
              <label className="field">
                <span className="small muted">Title</span>
                <input value={newCollection.form.title} onChange={newCollection.set('title')} required placeholder="Shared indicators" data-testid="taxii-new-title" />
              </label>
              <label className="field">
                <span className="small muted">Alias (optional)</span>
                <input value={newCollection.form.alias} onChange={newCollection.set('alias')} placeholder="shared" data-testid="taxii-new-alias" />
              </label>
              <label className="field wide">
                <span className="small muted">Description</span>
                <input value={newCollection.form.description} onChange={newCollection.set('description')} />
              </label>
            </div>
            <div className="form-actions">
              <button type="submit" disabled={create.busy} data-testid="taxii-new-submit">
                Create collection
              </button>
            </div>
            <Problem error={create.error} what="New collection" />
          </form>
        )}
      </section>

      {isAdmin && (
        <section className="card" data-testid="taxii-grants-section">
          <h2>Grants</h2>
          <p className="muted small" style={{ marginTop: 0 }}>
            A token sees only the collections it holds a grant for, whatever its role. Give peers a token with the <span className="mono">peer</span> role (Admin › Tokens): it can then read a
            collection and ask for sightings, nothing else.
          </p>
          {grants && grants.length > 0 && (
            <table className="simple small" data-testid="taxii-grants">
              <thead>
                <tr>
                  <th>Token</th>
                  <th>Collection</th>
                  <th>Rights</th>
                </tr>
              </thead>
              <tbody>
                {grants.map((g) => (
                  <tr key={`${g.tokenId} ${g.collectionId}`}>
                    <td>
                      {g.tokenName || '(unknown token)'} <span className="mono muted">{g.tokenId}</span>
                    </td>
                    <td>{g.collectionTitle}</td>
                    <td>{[g.read ? 'read' : '', g.write ? 'write' : ''].filter(Boolean).join(' + ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form
            onSubmit={submit(async () => {
              await api.taxiiGrant({ token: grantForm.form.token, collection: grantForm.form.collection, read: grantForm.form.read, write: grantForm.form.write });
              refresh();
            }, grant)}
          >
            <div className="form-grid">
              <label className="field">
                <span className="small muted">Token</span>
                <select value={grantForm.form.token} onChange={grantForm.set('token')} required data-testid="grant-token">
                  <option value="">—</option>
                  {(tokens ?? []).map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.name} ({t.role}, {t.id})
                    </option>
                  ))}
                </select>
              </label>
              <label className="field">
                <span className="small muted">Collection</span>
                <select value={grantForm.form.collection} onChange={grantForm.set('collection')} required data-testid="grant-collection">
                  <option value="">—</option>
                  {(collections ?? []).map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.title}
                    </option>
                  ))}
                </select>
              </label>
            </div>
            <div className="form-actions">
              <label className="small">
                <input type="checkbox" checked={grantForm.form.read} onChange={grantForm.set('read')} data-testid="grant-read" /> read
              </label>
              <label className="small">
                <input type="checkbox" checked={grantForm.form.write} onChange={grantForm.set('write')} data-testid="grant-write" /> write (add and delete objects)
              </label>
              <button type="submit" disabled={grant.busy} data-testid="grant-submit">
                Set rights
              </button>
              <span className="muted small">Neither box removes the token's access.</span>
            </div>
            <Problem error={grant.error} what="Grant" />
          </form>
        </section>
      )}

      {isAdmin && (
        <section className="card" data-testid="taxii-pull-section">
          <h2>Pull from a peer's TAXII server</h2>
          <form
            onSubmit={submit(async () => {
              const f = pullForm.form;
              setPulled(await api.taxiiPull({ url: f.url.trim(), collection: f.collection.trim(), token: f.token.trim() || undefined, addedAfter: f.addedAfter.trim() || undefined }));
            }, pull)}
          >
            <div className="form-grid">
              <label className="field wide">
                <span className="small muted">Discovery or API root URL</span>
                <input value={pullForm.form.url} onChange={pullForm.set('url')} required placeholder="https://peer.example/taxii2/" data-testid="pull-url" />
              </label>
              <label className="field">
                <span className="small muted">Collection id at the peer</span>
                <input value={pullForm.form.collection} onChange={pullForm.set('collection')} required className="mono" data-testid="pull-collection" />
              </label>
              <label className="field">
                <span className="small muted">Token the peer gave us (not stored)</span>
                <input type="password" value={pullForm.form.token} onChange={pullForm.set('token')} autoComplete="off" data-testid="pull-token" />
              </label>
              <label className="field">
                <span className="small muted">Only objects added after (empty: a full pull, which replaces what the source listed)</span>
                <input value={pullForm.form.addedAfter} onChange={pullForm.set('addedAfter')} placeholder="-7d, or the last pull's value" data-testid="pull-added-after" />
              </label>
            </div>
            <div className="form-actions">
              <button type="submit" className="primary" disabled={pull.busy} data-testid="pull-submit">
                {pull.busy ? 'Pulling…' : 'Pull into intelligence'}
              </button>
            </div>
            <Problem error={pull.error} what="Pull" />
          </form>
          {pulled && (
            <p className="small" data-testid="pull-result">
              Pulled {pulled.objects} objects in {pulled.pages} page{pulled.pages === 1 ? '' : 's'}; <span className="mono">{pulled.source}</span>: {pulled.active} active indicators ({pulled.added} new,{' '}
              {pulled.updated} updated, {pulled.expired} expired), {pulled.problems} not loadable
              {pulled.rejected > 0 ? ` (${pulled.rejected} rejected as bad input)` : ''}.
              {pulled.lastAdded && (
                <>
                  {' '}
                  Next time, only what is new: added after <span className="mono">{pulled.lastAdded}</span>.
                </>
              )}
            </p>
          )}
          {pulled && pulled.problemDetails.length > 0 && (
            <ul className="small" data-testid="pull-problems">
              {pulled.problemDetails.slice(0, 20).map((p, i) => (
                <li key={i}>
                  <span className="mono">{p.message}</span> [{p.code}]
                </li>
              ))}
            </ul>
          )}
        </section>
      )}

      {isAdmin && (
        <section className="card" data-testid="peers-section">
          <h2>Peers</h2>
          <p className="muted small" style={{ marginTop: 0 }}>
            Other Vantage servers we ask for sightings, with the token each issued us (ask them for one with the <span className="mono">peer</span> role). Tokens are stored in the flow store and
            shown masked.
          </p>
          {peers && peers.length > 0 && (
            <table className="simple small" data-testid="peers-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>URL</th>
                  <th>Token</th>
                  <th>Added</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {peers.map((p) => (
                  <tr key={p.name} data-name={p.name}>
                    <td className="mono">{p.name}</td>
                    <td className="mono">{p.url}</td>
                    <td className="mono">{p.token}</td>
                    <td className="mono">{utc(p.addedAt).slice(0, 16)}</td>
                    <td>
                      <button
                        className="chip danger"
                        disabled={peer.busy}
                        onClick={() =>
                          void peer.run(async () => {
                            await api.removePeer(p.name);
                            refresh();
                          })
                        }
                        data-testid="peer-remove"
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <form
            onSubmit={submit(async () => {
              await api.addPeer({ name: peerForm.form.name.trim(), url: peerForm.form.url.trim(), token: peerForm.form.token.trim() });
              peerForm.reset();
              refresh();
            }, peer)}
          >
            <div className="form-grid">
              <label className="field">
                <span className="small muted">Name</span>
                <input value={peerForm.form.name} onChange={peerForm.set('name')} required placeholder="acme" data-testid="peer-name" />
              </label>
              <label className="field">
                <span className="small muted">Server URL</span>
                <input value={peerForm.form.url} onChange={peerForm.set('url')} required placeholder="https://vantage.acme.example:8080" data-testid="peer-url" />
              </label>
              <label className="field wide">
                <span className="small muted">Token it issued us</span>
                <input type="password" value={peerForm.form.token} onChange={peerForm.set('token')} required autoComplete="off" data-testid="peer-token" />
              </label>
            </div>
            <div className="form-actions">
              <button type="submit" disabled={peer.busy} data-testid="peer-add">
                Add peer
              </button>
              <span className="muted small">A peer of the same name is replaced.</span>
            </div>
            <Problem error={peer.error} what="Peers" />
          </form>
        </section>
      )}

      <section className="card" data-testid="ask-section">
        <h2>Ask peers about a value</h2>
        <form
          onSubmit={submit(async () => {
            setAnswers(undefined);
            setAnswers(await api.askPeers({ value: askForm.form.value.trim(), from: range.from, to: range.to }));
          }, ask)}
        >
          <div className="form-actions">
            <input value={askForm.form.value} onChange={askForm.set('value')} required placeholder="an address, a network or a domain" className="mono" data-testid="ask-value" />
            <button type="submit" className="primary" disabled={ask.busy} data-testid="ask-submit">
              {ask.busy ? 'Asking…' : 'Ask every peer'}
            </button>
            <span className="muted small">{range.from || range.to ? 'Over the selected time range; ' : ''}each peer has 10 s to answer.</span>
          </div>
        </form>
        <Problem error={ask.error} what="Asking peers" />
        {answers && <PeerAnswers answers={answers.answers} />}
      </section>
    </main>
  );
}
