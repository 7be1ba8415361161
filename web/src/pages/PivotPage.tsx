// The pivot graph (/pivot?entity=…): the graph the API expands around an address or a domain,
// drawn as SVG with a small force layout. A click on an address or a domain expands it (its
// depth-1 pivot, merged in); a click on an edge shows its evidence (for flows, the query that
// lists them, one click from Explore). The side panel holds the selection and a profile link.

import { useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiFailure, type PivotEdge, type PivotGraph, type PivotNode } from '../api';
import type { SectionProps } from '../extensions';
import { bytes, compact, utc } from '../format';
import { layoutGraph, type Point } from '../pivot-layout';
import { explorePath, Link, navigate, pivotPath, profilePath, useLocation } from '../router';
import './PivotPage.css';

const WIDTH = 1000;
const HEIGHT = 660;
/** Node types in legend order, with the colour variable each is drawn in. */
const TYPES: [PivotNode['type'], string][] = [
  ['ip', 'address'],
  ['domain', 'domain'],
  ['cert', 'certificate'],
  ['service', 'service'],
  ['asn', 'AS'],
  ['indicator', 'indicator'],
];
const EXPANDABLE = new Set<PivotNode['type']>(['ip', 'domain']);

/** An edge's identity, as the server keys it (talked-to has no direction). */
export function edgeKey(e: Pick<PivotEdge, 'from' | 'to' | 'relation'>): string {
  return e.relation === 'talked-to' ? `talked-to ${[e.from, e.to].sort().join(' ')}` : `${e.relation} ${e.from} ${e.to}`;
}

interface GraphState {
  root: string;
  nodes: Map<string, PivotNode>;
  edges: Map<string, PivotEdge>;
  truncated: PivotGraph['truncated'];
  expanded: Set<string>;
  timedOut: boolean;
}

/** The graph with an expansion merged in: nodes keep their smallest depth and gather tags; edges are kept once. */
function merge(state: GraphState, add: PivotGraph, expandedId: string): GraphState {
  const nodes = new Map(state.nodes);
  for (const n of add.nodes) {
    const had = nodes.get(n.id);
    const depth = n.depth + (state.nodes.get(expandedId)?.depth ?? 0);
    nodes.set(n.id, had ? { ...had, depth: Math.min(had.depth, depth), tags: [...new Set([...had.tags, ...n.tags])] } : { ...n, depth });
  }
  const edges = new Map(state.edges);
  for (const e of add.edges) if (!edges.has(edgeKey(e))) edges.set(edgeKey(e), e);
  const truncated = [...state.truncated.filter((t) => t.node !== expandedId), ...add.truncated.filter((t) => t.node === expandedId)];
  return { ...state, nodes, edges, truncated, expanded: new Set([...state.expanded, expandedId]), timedOut: state.timedOut || add.timedOut };
}

function fromGraph(g: PivotGraph): GraphState {
  // Every node but the last level was expanded by the server.
  const expanded = new Set(g.nodes.filter((n) => n.depth < g.depth).map((n) => n.id));
  return { root: g.root, nodes: new Map(g.nodes.map((n) => [n.id, n])), edges: new Map(g.edges.map((e) => [edgeKey(e), e])), truncated: g.truncated, expanded, timedOut: g.timedOut };
}

const label = (n: PivotNode) => {
  const text = n.type === 'cert' && n.tags[0] ? n.tags[0] : n.type === 'indicator' ? (n.tags[0] ?? n.value) : n.value;
  return text.length > 30 ? `${text.slice(0, 28)}…` : text;
};
const message = (e: unknown) => (e instanceof ApiFailure ? (e.status === 404 ? e.message : `${e.code}: ${e.message}`) : String(e));

/** An edge label's place: at the middle of the edge, along it, never upside down, just above the line. */
function labelTransform(a: Point, b: Point): string {
  let angle = (Math.atan2(b.y - a.y, b.x - a.x) * 180) / Math.PI;
  if (angle > 90) angle -= 180;
  else if (angle < -90) angle += 180;
  return `translate(${(a.x + b.x) / 2},${(a.y + b.y) / 2}) rotate(${angle.toFixed(1)}) translate(0,-4)`;
}

/** The flows behind a talked-to edge, as a query. */
function evidenceQuery(e: PivotEdge, nodes: Map<string, PivotNode>): string | undefined {
  if (e.relation !== 'talked-to') return undefined;
  const a = nodes.get(e.from)?.value;
  const b = nodes.get(e.to)?.value;
  return a && b ? `ip ${a} and ip ${b}` : undefined;
}

export default function PivotPage({ range }: SectionProps) {
  const { search } = useLocation();
  const entity = search.get('entity') ?? '';
  const depth = Number(search.get('depth') ?? 2) || 2;
  const [state, setState] = useState<GraphState>();
  const [positions, setPositions] = useState<Map<string, Point>>(new Map());
  const [selected, setSelected] = useState<{ node?: string; edge?: string }>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const rangeKey = `${range.from ?? ''}|${range.to ?? ''}`;
  const request = useRef(0);

  useEffect(() => {
    if (!entity) return;
    const ctl = new AbortController();
    const id = ++request.current;
    setState(undefined);
    setError(undefined);
    setSelected({});
    setBusy(entity);
    api
      .pivot(entity, { depth, ...range }, ctl.signal)
      .then((g) => {
        if (id !== request.current) return;
        const s = fromGraph(g);
        setState(s);
        setPositions(layoutGraph({ nodes: g.nodes, edges: g.edges, pinned: g.root, width: WIDTH, height: HEIGHT }));
        setSelected({ node: g.root });
      })
      .catch((err: unknown) => {
        if ((err as Error).name !== 'AbortError') setError(message(err));
      })
      .finally(() => setBusy(undefined));
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [entity, depth, rangeKey]);

  const expand = async (node: PivotNode) => {
    if (!state || !EXPANDABLE.has(node.type) || state.expanded.has(node.id) || busy) return;
    setBusy(node.id);
    setError(undefined);
    try {
      const g = await api.pivot(node.value, { depth: 1, ...range });
      const next = merge(state, g, node.id);
      setState(next);
      setPositions(layoutGraph({ nodes: [...next.nodes.values()], edges: [...next.edges.values()], previous: positions, pinned: next.root, near: node.id, width: WIDTH, height: HEIGHT }));
    } catch (err) {
      // Nothing more known about the node (or nothing in the caller's networks): it is a leaf.
      if (err instanceof ApiFailure && err.status === 404) setState({ ...state, expanded: new Set([...state.expanded, node.id]) });
      else setError(message(err));
    } finally {
      setBusy(undefined);
    }
  };

  const nodes = useMemo(() => (state ? [...state.nodes.values()].filter((n) => !hidden.has(n.type)) : []), [state, hidden]);
  const visible = useMemo(() => new Set(nodes.map((n) => n.id)), [nodes]);
  const edges = useMemo(() => (state ? [...state.edges.values()].filter((e) => visible.has(e.from) && visible.has(e.to)) : []), [state, visible]);
  const node = selected.node ? state?.nodes.get(selected.node) : undefined;
  const edge = selected.edge ? state?.edges.get(selected.edge) : undefined;
  const nodeEdges = node && state ? [...state.edges.values()].filter((e) => e.from === node.id || e.to === node.id) : [];
  const maxCount = Math.max(1, ...edges.map((e) => e.count));

  return (
    <main className="page pivot-page" data-testid="pivot-page">
      <header className="page-head">
        <h1>Pivot</h1>
        <form
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            const v = String(f.get('entity') ?? '').trim();
            if (v) navigate(`${pivotPath(v)}&depth=${String(f.get('depth') ?? 2)}`);
          }}
        >
          <input name="entity" key={entity} defaultValue={entity} placeholder="address or domain…" aria-label="entity" data-testid="pivot-entity" size={32} />
          <select name="depth" aria-label="depth" defaultValue={String(depth)} key={`d${depth}`}>
            {[1, 2, 3].map((d) => (
              <option key={d} value={d}>
                depth {d}
              </option>
            ))}
          </select>
          <button className="primary" type="submit">
            Pivot
          </button>
          {state && (
            <span className="muted small" data-testid="pivot-counts">
              {state.nodes.size} nodes · {state.edges.size} edges{state.timedOut ? ' · stopped at the deadline' : ''}
            </span>
          )}
        </form>
      </header>
      {!entity && <p className="muted">Give an address or a domain: the graph shows what flows, passive DNS, services, certificates, ASNs and intelligence connect it to. Click a node to expand it.</p>}
      {error && (
        <p className="error" data-testid="pivot-error">
          {error}
        </p>
      )}
      {busy && !state && <p className="muted">Expanding {busy}…</p>}
      {state && (
        <div className="pivot-layout">
          <section className="card pivot-canvas">
            <div className="pivot-legend small">
              {TYPES.map(([t, name]) => (
                <button
                  key={t}
                  className={`chip legend-${t}${hidden.has(t) ? '' : ' on'}`}
                  title={hidden.has(t) ? `show ${name} nodes` : `hide ${name} nodes`}
                  onClick={() => setHidden((h) => (h.has(t) ? new Set([...h].filter((x) => x !== t)) : new Set([...h, t])))}
                >
                  <span className={`swatch node-${t}`} /> {name}
                </button>
              ))}
              {busy && <span className="muted">expanding {state.nodes.get(busy)?.value ?? busy}…</span>}
            </div>
            <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} className="pivot-svg" role="img" aria-label={`pivot graph from ${entity}`} data-testid="pivot-graph">
              <g className="edges">
                {edges.map((e) => {
                  const a = positions.get(e.from);
                  const b = positions.get(e.to);
                  if (!a || !b) return null;
                  const k = edgeKey(e);
                  const on = selected.edge === k || selected.node === e.from || selected.node === e.to;
                  return (
                    <g
                      key={k}
                      className={`edge rel-${e.relation}${on ? ' on' : ''}`}
                      data-testid="pivot-edge"
                      data-from={e.from}
                      data-to={e.to}
                      data-relation={e.relation}
                      data-count={e.count}
                      onClick={() => setSelected({ edge: k })}
                    >
                      <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} strokeWidth={1 + 3 * Math.sqrt(e.count / maxCount)} />
                      <line className="hit" x1={a.x} y1={a.y} x2={b.x} y2={b.y} />
                      <text className="edge-label" transform={labelTransform(a, b)}>
                        {e.relation} ×{compact(e.count)}
                      </text>
                    </g>
                  );
                })}
              </g>
              <g className="nodes">
                {nodes.map((n) => {
                  const p = positions.get(n.id);
                  if (!p) return null;
                  const root = n.id === state.root;
                  const classes = ['node', `node-${n.type}`, root ? 'root' : '', state.expanded.has(n.id) ? 'expanded' : EXPANDABLE.has(n.type) ? 'expandable' : '', selected.node === n.id ? 'selected' : '', n.tags.some((t) => t.includes(':')) && n.type !== 'service' ? 'tagged' : '', busy === n.id ? 'busy' : ''];
                  return (
                    <g
                      key={n.id}
                      transform={`translate(${p.x},${p.y})`}
                      className={classes.filter(Boolean).join(' ')}
                      data-testid="pivot-node"
                      data-id={n.id}
                      data-type={n.type}
                      onClick={() => {
                        setSelected({ node: n.id });
                        void expand(n);
                      }}
                    >
                      <title>{`${n.type} ${n.value}${n.tags.length ? `\n${n.tags.join(', ')}` : ''}${EXPANDABLE.has(n.type) && !state.expanded.has(n.id) ? '\nclick to expand' : ''}`}</title>
                      <circle r={root ? 13 : 9} />
                      <text x={root ? 17 : 13} y={4}>
                        {label(n)}
                      </text>
                    </g>
                  );
                })}
              </g>
            </svg>
            {state.truncated.length > 0 && (
              <p className="muted small pivot-truncated">
                Strongest edges kept:{' '}
                {state.truncated.map((t) => `${state.nodes.get(t.node)?.value ?? t.node} ${t.relation} ${t.shown} of ${t.total}`).join(' · ')}
              </p>
            )}
          </section>
          <aside className="card pivot-side" data-testid="pivot-side">
            {node && (
              <>
                <div className="muted small">{node.type}</div>
                <h2 className="mono pivot-value" data-testid="pivot-selected">
                  {node.value}
                </h2>
                {node.tags.length > 0 && (
                  <p className="tags">
                    {node.tags.map((t) => (
                      <span key={t} className="tag">
                        {t}
                      </span>
                    ))}
                  </p>
                )}
                <p className="actions">
                  {(EXPANDABLE.has(node.type) || node.type === 'asn') && (
                    <Link className="chip" to={profilePath(node.value)} data-testid="pivot-profile-link">
                      Profile
                    </Link>
                  )}
                  {EXPANDABLE.has(node.type) && node.id !== state.root && (
                    <Link className="chip" to={pivotPath(node.value)}>
                      Re-centre here
                    </Link>
                  )}
                  {EXPANDABLE.has(node.type) && !state.expanded.has(node.id) && (
                    <button className="chip" onClick={() => void expand(node)} disabled={!!busy}>
                      Expand
                    </button>
                  )}
                  {state.expanded.has(node.id) && <span className="muted small">expanded</span>}
                </p>
                <h3 className="small muted">Edges ({nodeEdges.length})</h3>
                <ul className="edge-list">
                  {nodeEdges.map((e) => {
                    const other = e.from === node.id ? e.to : e.from;
                    return (
                      <li key={edgeKey(e)}>
                        <button className="link" onClick={() => setSelected({ edge: edgeKey(e) })}>
                          {e.from === node.id ? '→' : '←'} {e.relation}
                        </button>{' '}
                        <button className="link mono" onClick={() => setSelected({ node: other })}>
                          {state.nodes.get(other)?.value ?? other}
                        </button>{' '}
                        <span className="muted small">×{compact(e.count)}</span>
                      </li>
                    );
                  })}
                </ul>
              </>
            )}
            {edge && (
              <div data-testid="pivot-edge-detail">
                <div className="muted small">edge</div>
                <h2 className="small">
                  <span className="mono">{state.nodes.get(edge.from)?.value}</span> {edge.relation} <span className="mono">{state.nodes.get(edge.to)?.value}</span>
                </h2>
                <dl className="facts">
                  <div>
                    <dt>Count</dt>
                    <dd>{compact(edge.count)}</dd>
                  </div>
                  {edge.bytes !== undefined && (
                    <div>
                      <dt>Bytes</dt>
                      <dd>{bytes(edge.bytes)}</dd>
                    </div>
                  )}
                  {edge.ports && (
                    <div>
                      <dt>Ports</dt>
                      <dd>{edge.ports.join(', ')}</dd>
                    </div>
                  )}
                </dl>
                <p className="small mono">
                  {edge.first ? `${utc(edge.first)} → ${utc(edge.last)} UTC` : 'a fact (no time span)'}
                </p>
                {evidenceQuery(edge, state.nodes) && (
                  <Link className="chip" data-testid="pivot-evidence" to={explorePath(evidenceQuery(edge, state.nodes)!, { from: edge.first ?? undefined, to: edge.last ? new Date(Date.parse(edge.last) + 1).toISOString() : undefined })}>
                    Flows in Explore
                  </Link>
                )}
                <p>
                  <button className="link" onClick={() => setSelected({ node: edge.from })}>
                    {state.nodes.get(edge.from)?.value}
                  </button>{' '}
                  ·{' '}
                  <button className="link" onClick={() => setSelected({ node: edge.to })}>
                    {state.nodes.get(edge.to)?.value}
                  </button>
                </p>
              </div>
            )}
            {!node && !edge && <p className="muted">Select a node or an edge.</p>}
          </aside>
        </div>
      )}
    </main>
  );
}
