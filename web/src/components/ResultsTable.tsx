// A fast results table: rows virtualised with @tanstack/react-virtual (only the visible ones are
// in the DOM), columns sortable by a click or Enter on the header, addresses linking to IP pages.

import { useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Column, Row } from '../api';
import { cell, compact, protocol, utc } from '../format';
import { ipPath, Link } from '../router';

interface Props {
  columns: Column[];
  rows: Row[];
  /** Height of the scroll area, px. */
  height?: number;
  /** Extra renderers by column name. */
  render?: Record<string, (row: Row) => React.ReactNode>;
  testId?: string;
}

const ROW = 28;

function width(c: Column): number {
  if (c.kind === 'ip') return 230;
  if (c.kind === 'time') return 200;
  if (c.kind === 'count' || c.kind === 'u64') return 110;
  if (c.kind === 'tags' || c.kind === 'string') return 160;
  return 80;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

/** The table. */
export function ResultsTable({ columns, rows, height = 480, render = {}, testId = 'results-table' }: Props) {
  const [sort, setSort] = useState<{ column: string; desc: boolean } | null>(null);
  const sorted = useMemo(() => {
    if (!sort) return rows;
    const copy = rows.slice();
    copy.sort((x, y) => compare(x[sort.column], y[sort.column]) * (sort.desc ? -1 : 1));
    return copy;
  }, [rows, sort]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: sorted.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 12 });
  const template = columns.map((c) => `${width(c)}px`).join(' ') + ' 1fr';
  const toggle = (name: string) =>
    setSort((s) => (s?.column !== name ? { column: name, desc: columns.find((c) => c.name === name)?.kind === 'count' } : s.desc ? { column: name, desc: false } : null));

  const show = (c: Column, r: Row) => {
    if (render[c.name]) return render[c.name]!(r);
    const v = r[c.name];
    if (c.kind === 'ip' && typeof v === 'string') return <Link to={ipPath(v)} className="ip-link">{v}</Link>;
    if (c.kind === 'time') return utc(v as string);
    if (c.name === 'proto') return protocol(v);
    if (c.kind === 'count' && typeof v === 'number') return <span title={v.toLocaleString('en-US')}>{compact(v)}</span>;
    return cell(v);
  };

  return (
    <div className="table" role="table" aria-rowcount={sorted.length} data-testid={testId}>
      <div className="table-scroll" ref={scroller} style={{ height: Math.min(height, ROW * (sorted.length + 1) + 4) }}>
        <div className="table-head" role="row" style={{ gridTemplateColumns: template }}>
          {columns.map((c) => (
            <div
              key={c.name}
              role="columnheader"
              tabIndex={0}
              className={`th ${c.kind === 'count' ? 'num' : ''}`}
              aria-sort={sort?.column === c.name ? (sort.desc ? 'descending' : 'ascending') : 'none'}
              onClick={() => toggle(c.name)}
              onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), toggle(c.name))}
              title={`sort by ${c.name}`}
            >
              {c.name}
              <span className="sort-mark">{sort?.column === c.name ? (sort.desc ? ' ▼' : ' ▲') : ''}</span>
            </div>
          ))}
          <div />
        </div>
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {virtual.getVirtualItems().map((item) => {
            const r = sorted[item.index]!;
            return (
              <div key={item.key} role="row" className={`tr ${item.index % 2 ? 'odd' : ''}`} style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)`, height: ROW }}>
                {columns.map((c) => (
                  <div key={c.name} role="cell" className={`td ${c.kind === 'count' || c.kind === 'u64' ? 'num' : ''}`}>
                    {show(c, r)}
                  </div>
                ))}
                <div />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
