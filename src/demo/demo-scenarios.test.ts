import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VantageError } from '../core/errors.js';
import { DAY_MS, DEMO_DEFAULT_END, resolveDemoOptions } from './demo-options.js';
import { DEMO_SCENARIOS, demoScenarios, scenarioList } from './demo-scenarios.js';
import { generateDemoFlows } from './generate-demo-flows.js';
import { SeededRandom, cumulate, pickWeighted } from './seeded-random.js';

const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
const second = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const n = (x: number) => x.toLocaleString('en-US');

describe('demo options', () => {
  it('defaults to the week ending 2026-11-01T00:00Z', () => {
    const o = resolveDemoOptions();
    expect(new Date(o.end).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(o.end).toBe(DEMO_DEFAULT_END);
    expect(o.end - o.start).toBe(7 * DAY_MS);
    expect(new Date(o.start).getUTCDay()).toBe(0); // starts on a Sunday
  });

  it('rounds the end down to midnight UTC', () => {
    expect(resolveDemoOptions({ end: Date.UTC(2026, 0, 10, 15, 30) }).end).toBe(Date.UTC(2026, 0, 10));
  });

  it.each([{ days: 0 }, { days: 1.5 }, { seed: -1 }, { scale: 0 }, { scale: 1000 }, { batchSize: 0 }, { end: Number.NaN }])(
    'rejects %o as a usage error',
    (bad) => {
      expect(() => resolveDemoOptions(bad)).toThrow(VantageError);
    },
  );
});

describe('demoScenarios', () => {
  it('places every scenario inside the period, whatever its length', () => {
    for (const days of [1, 2, 3, 6, 7, 10, 30]) {
      const s = demoScenarios({ days });
      for (const scenario of scenarioList(s)) {
        expect(scenario.windows.length).toBeGreaterThan(0);
        for (const w of scenario.windows) {
          expect(w.start).toBeGreaterThanOrEqual(s.range.start);
          expect(w.start).toBeLessThan(s.range.end);
          expect(w.end).toBeLessThanOrEqual(s.range.end + 60_000);
        }
      }
      // Longer periods keep the attacks in the last week.
      expect(s.horizontalScan.windows[0]!.start).toBeGreaterThanOrEqual(s.range.end - 7 * DAY_MS);
    }
  });

  it('keeps sweeps of a squeezed period from overlapping', () => {
    const w = demoScenarios({ days: 1 }).horizontalScan.windows;
    for (let i = 1; i < w.length; i++) expect(w[i]!.start).toBeGreaterThan(w[i - 1]!.end);
  });

  it('does not depend on the seed', () => {
    expect(demoScenarios({ seed: 99 })).toEqual(DEMO_SCENARIOS);
  });

  it('injects every scenario into a one-day dataset too', () => {
    const s = demoScenarios({ days: 1, scale: 0.02 });
    const flows = [...generateDemoFlows({ days: 1, scale: 0.02 })].flat();
    const touches = (text: string) => flows.some((f) => String(f.src) === String(ipNumber(text)) || String(f.dst) === String(ipNumber(text)));
    for (const address of [s.horizontalScan.scanner, s.verticalScan.scanner, s.beacon.c2, s.c2Contacts.c2, s.log4j.scanner]) expect(touches(address)).toBe(true);
    expect(flows.filter((f) => f.proto === 17 && f.dst === ipNumber(s.ddos.victim)).length).toBe(s.ddos.flows);
  });
});

function ipNumber(text: string): number {
  return text.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

describe('docs/demo.md', () => {
  const doc = readFileSync(new URL('../../docs/demo.md', import.meta.url), 'utf8');
  const s = DEMO_SCENARIOS;

  it('documents the ground truth of the default dataset', () => {
    const facts = [
      s.horizontalScan.scanner,
      s.horizontalScan.targets,
      n(s.horizontalScan.addressesPerSweep),
      n(s.horizontalScan.flowsPerSweep),
      ...s.horizontalScan.windows.map((w) => `${minute(w.start)}–${minute(w.end).slice(11)}`),
      s.verticalScan.scanner,
      n(s.verticalScan.ports.length),
      n(s.verticalScan.flowsPerSweep),
      ...s.verticalScan.windows.map((w) => second(w.start)),
      s.beacon.host,
      `${s.beacon.c2}:${s.beacon.port}`,
      second(s.beacon.firstBeat),
      n(s.beacon.expectedBeats),
      `${n(s.beacon.bytesOut.min)}–${n(s.beacon.bytesOut.max)}`,
      `${n(s.beacon.bytesIn.min)}–${n(s.beacon.bytesIn.max)}`,
      `${minute(s.ddos.window.start)}–${minute(s.ddos.window.end).slice(11)}`,
      n(s.ddos.flows),
      n(s.ddos.peakBytesPerMinute),
      ...s.ddos.groups.flatMap((g) => [`${n(g.reflectors)} ${g.service.toUpperCase()} reflectors`, `${g.packetsPerSecond} packets/s`]),
      `${s.c2Contacts.c2}:${s.c2Contacts.port}`,
      ...s.c2Contacts.sessions.map((x) => `| ${x.host} | ${x.times.length} | ${second(x.times[0]!)} | ${second(x.times.at(-1)!)} |`),
      s.log4j.scanner,
      `${s.log4j.target} connecting to ${s.log4j.scanner}:1389`,
      ...scenarioList(s).map((x) => x.query),
    ];
    for (const fact of facts) expect(doc, fact).toContain(fact);
  });
});

describe('SeededRandom', () => {
  it('repeats its stream for a seed and forks independent streams', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(new SeededRandom(42).fork('x').next()).not.toBe(new SeededRandom(42).fork('y').next());
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('draws counts, normals and weighted picks with the right means', () => {
    const r = new SeededRandom(1);
    const N = 20_000;
    let counts = 0;
    let normals = 0;
    const picks = [0, 0, 0];
    const weights = cumulate([1, 2, 7]);
    for (let i = 0; i < N; i++) {
      counts += r.count(4.5);
      normals += r.normal();
      picks[pickWeighted(weights, r)]!++;
    }
    expect(counts / N).toBeCloseTo(4.5, 1);
    expect(Math.abs(normals / N)).toBeLessThan(0.03);
    expect(picks[2]! / N).toBeCloseTo(0.7, 1);
  });
});
