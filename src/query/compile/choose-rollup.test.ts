import { describe, expect, it } from 'vitest';
import type { RollupTable } from '../../store/store.js';
import { parseQuery } from '../language/parser.js';
import { chooseRollup } from './compile.js';

const DIMS = ['proto', 'dport', 'exporter', 'in_if', 'out_if', 'src_as', 'dst_as', 'src_country', 'dst_country'];
// As ClickHouse keeps them: destination ports from 32768 up stored as 32768.
const COARSENED = { dport: { from: 32768, max: 65535 } };
const ROLLUPS: RollupTable[] = [
  { table: 'flows_1m', bucketMs: 60_000, dimensions: DIMS, coarsened: COARSENED },
  { table: 'flows_1h', bucketMs: 3_600_000, dimensions: DIMS, coarsened: COARSENED },
];
const HOUR = 3_600_000;

function pick(text: string, from?: number, to?: number): string | undefined {
  return chooseRollup(parseQuery(text), { rollups: ROLLUPS, from, to })?.table;
}

describe('chooseRollup', () => {
  it.each([
    ['proto udp | timeline 1h', undefined, undefined, 'flows_1h'],
    ['proto udp | timeline 5m', undefined, undefined, 'flows_1m'],
    ['dst port 443 | count', 10 * HOUR, 20 * HOUR, 'flows_1h'],
    ['dst port 443 | count', 10 * HOUR + 60_000, 20 * HOUR, 'flows_1m'],
    ['any | top 10 dst_as by bytes', undefined, undefined, 'flows_1h'],
    ['router ip 192.0.2.1 | count by in_if', undefined, undefined, 'flows_1h'],
    ['dst country NL | count by proto | sort proto', undefined, undefined, 'flows_1h'],
  ])('%s (from %s) uses %s', (text, from, to, table) => {
    expect(pick(text, from, to)).toBe(table);
  });

  it.each([
    ['any'], // a flow listing needs the flows
    ['ip 10.0.0.1 | count'], // addresses are not rollup dimensions
    ['src port 53 | count'], // nor source ports
    ['any | count distinct dst_as'], // distinct counts cannot be summed
    ['duration > 1000 | count'], // per-flow rates
    ['flags S | count'],
    ['tag c2 | count'],
    ['any | top 5 src by bytes'],
    ['any | timeline 30s'], // finer than the finest bucket
  ])('%s needs the flow table', (text) => {
    expect(pick(text)).toBeUndefined();
  });

  // Tests that give one answer for every port from 32768 to 65535 can use the coarsened rollups.
  it.each([
    ['dst port 443 | count'],
    ['dst port in [22, 443, 3389] | timeline 1h'],
    ['not dst port 53 | count by proto'],
    ['dst port < 1024 | count'],
    ['dst port >= 32768 | count'], // all of the span, and only it
    ['dst port > 1000 and dst port <= 20000 | count'],
    ['dst port <= 65535 | count'],
  ])('%s can use a rollup', (text) => {
    expect(pick(text)).toBe('flows_1h');
  });

  it.each([
    ['any | count by dport'], // the rollup cannot tell ports 40000 and 50000 apart
    ['any | top 10 dport by bytes'],
    ['proto udp | count by proto | sort dport'],
    ['dst port 40000 | count'],
    ['dst port in [443, 50000] | count'],
    ['not dst port 60000 | count'],
    ['dst port > 40000 | count'],
    ['dst port < 40000 | count'],
    ['dst port >= 32769 | count'],
  ])('%s needs the flow table (ports from 32768 are one value in the rollups)', (text) => {
    expect(pick(text)).toBeUndefined();
  });

  it('needs time bounds on bucket edges', () => {
    expect(pick('any | count', 1000)).toBeUndefined();
  });
});
