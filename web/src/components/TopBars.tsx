// Top-N bars: one horizontal bar per key, as wide as its share of the largest value. Plain DOM
// (no chart library), so it costs nothing on first load; clicking an address opens its page.

import type { Column, Row } from '../api';
import { bytes, cell, compact } from '../format';
import { ipPath, Link } from '../router';

interface Props {
  columns: Column[];
  rows: Row[];
  /** The measure to draw: bytes, packets, flows or a distinct count. */
  metric?: string;
  max?: number;
}

/** Bars for rows of (key..., measures). */
export function TopBars({ columns, rows, metric, max = 25 }: Props) {
  const keys = columns.filter((c) => c.kind !== 'count');
  const measures = columns.filter((c) => c.kind === 'count');
  const m = metric && measures.some((c) => c.name === metric) ? metric : measures.find((c) => c.name.startsWith('distinct_'))?.name ?? measures.find((c) => c.name === 'bytes')?.name ?? measures[0]?.name;
  if (!m || keys.length === 0) return <p className="muted">Nothing to chart: a chart needs a key column and a count.</p>;
  const top = rows.slice(0, max);
  const largest = Math.max(1, ...top.map((r) => Number(r[m] ?? 0)));
  return (
    <div className="bars" data-testid="top-bars">
      {top.map((r, i) => {
        const value = Number(r[m] ?? 0);
        const label = keys.map((k) => cell(r[k.name])).join(' · ');
        const ipKey = keys.length === 1 && keys[0]!.kind === 'ip' && typeof r[keys[0]!.name] === 'string';
        return (
          <div className="bar-row" key={i}>
            <div className="bar-label" title={label}>
              {ipKey ? <Link to={ipPath(String(r[keys[0]!.name]))}>{label}</Link> : label || '(none)'}
            </div>
            <div className="bar-track">
              <div className="bar-fill" style={{ width: `${(value / largest) * 100}%` }} />
            </div>
            <div className="bar-value" title={value.toLocaleString('en-US')}>
              {m === 'bytes' ? bytes(value) : compact(value)}
            </div>
          </div>
        );
      })}
      <div className="bar-caption muted">by {m}</div>
    </div>
  );
}
