// Time series of flows, packets and bytes per bucket, drawn with uPlot. Loaded on demand (its own
// chunk), so the first page load does not carry the chart library.

import { useEffect, useRef, useState } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Row } from '../api';
import { bytes, compact } from '../format';

interface Props {
  rows: Row[];
  height?: number;
}

const SERIES = [
  { name: 'bytes', color: '#0ea5e9', format: bytes },
  { name: 'packets', color: '#a855f7', format: compact },
  { name: 'flows', color: '#f59e0b', format: compact },
] as const;

/** The chart; `measure` picks one of bytes, packets, flows. */
export default function TimeSeriesChart({ rows, height = 260 }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const [measure, setMeasure] = useState<(typeof SERIES)[number]['name']>('bytes');
  useEffect(() => {
    let plot: uPlot | undefined;
    let gone = false;
    const el = host.current!;
    void import('uplot').then(({ default: UPlot }) => {
      if (gone) return;
      const s = SERIES.find((x) => x.name === measure)!;
      const xs = rows.map((r) => Date.parse(String(r.time)) / 1000);
      const ys = rows.map((r) => Number(r[measure] ?? 0));
      const style = getComputedStyle(document.documentElement);
      const axis = { stroke: style.getPropertyValue('--muted').trim() || '#888', grid: { stroke: style.getPropertyValue('--grid').trim() || '#8882' }, ticks: { stroke: style.getPropertyValue('--grid').trim() || '#8882' } };
      plot = new UPlot(
        {
          width: el.clientWidth || 800,
          height,
          tzDate: (ts) => UPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
          series: [{}, { label: measure, stroke: s.color, fill: `${s.color}33`, width: 1.5, value: (_u, v) => (v === null ? '' : s.format(v)) }],
          axes: [{ ...axis }, { ...axis, size: 86, values: (_u, vals) => vals.map((v) => s.format(v)) }],
          legend: { show: true },
          cursor: { drag: { x: true, y: false } },
        },
        [xs, ys],
        el,
      );
    });
    const resize = () => plot?.setSize({ width: el.clientWidth, height });
    window.addEventListener('resize', resize);
    return () => {
      gone = true;
      window.removeEventListener('resize', resize);
      plot?.destroy();
    };
  }, [rows, measure, height]);
  return (
    <div className="chart" data-testid="timeseries">
      <div className="chart-tools" role="radiogroup" aria-label="measure">
        {SERIES.map((s) => (
          <button key={s.name} role="radio" aria-checked={measure === s.name} className={measure === s.name ? 'chip on' : 'chip'} onClick={() => setMeasure(s.name)}>
            {s.name}
          </button>
        ))}
        <span className="muted small">UTC · drag to zoom, double-click to reset</span>
      </div>
      <div ref={host} className="chart-canvas" />
    </div>
  );
}
