// The time range: presets anchored at the latest flow in the store (so "last 24 hours" means the
// last day of data, live or not), or custom bounds in any form the API takes (ISO, -24h, epoch).

import { useEffect, useState } from 'react';
import type { TimeRange } from '../api';

/** A selection: a preset name or custom text bounds. */
export interface RangeChoice {
  preset: string;
  from?: string;
  to?: string;
}

const PRESETS: { id: string; label: string; ms?: number }[] = [
  { id: 'all', label: 'All data' },
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '6h', label: 'Last 6 hours', ms: 6 * 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
  { id: 'custom', label: 'Custom…' },
];

/** The API bounds of a choice, given the latest flow's time. */
export function rangeOf(choice: RangeChoice, lastFlow: string | null | undefined): TimeRange {
  if (choice.preset === 'custom') return { from: choice.from || undefined, to: choice.to || undefined };
  const p = PRESETS.find((x) => x.id === choice.preset);
  if (!p?.ms) return {};
  const end = lastFlow ? Date.parse(lastFlow) + 1 : Date.now();
  return { from: new Date(end - p.ms).toISOString(), to: new Date(end).toISOString() };
}

/** The picker. */
export function TimeRangePicker({ value, onChange, lastFlow }: { value: RangeChoice; onChange: (c: RangeChoice) => void; lastFlow?: string | null }) {
  const [from, setFrom] = useState(value.from ?? '');
  const [to, setTo] = useState(value.to ?? '');
  useEffect(() => {
    setFrom(value.from ?? '');
    setTo(value.to ?? '');
  }, [value.from, value.to]);
  return (
    <div className="range" data-testid="time-range">
      <label className="sr-only" htmlFor="range-preset">
        Time range
      </label>
      <select id="range-preset" value={value.preset} onChange={(e) => onChange({ preset: e.target.value, from, to })} title="Presets end at the latest flow in the store">
        {PRESETS.map((p) => (
          <option key={p.id} value={p.id}>
            {p.label}
          </option>
        ))}
      </select>
      {value.preset === 'custom' && (
        <form
          className="range-custom"
          onSubmit={(e) => {
            e.preventDefault();
            onChange({ preset: 'custom', from, to });
          }}
        >
          <input aria-label="from" placeholder="from: 2026-10-31T00:00Z or -24h" value={from} onChange={(e) => setFrom(e.target.value)} />
          <input aria-label="to" placeholder="to: now" value={to} onChange={(e) => setTo(e.target.value)} />
          <button type="submit">Apply</button>
        </form>
      )}
    </div>
  );
}
