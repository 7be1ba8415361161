import { describe, expect, it } from 'vitest';
import { clickHouseDialect } from './clickhouse/clickhouse-dialect.js';
import { decodeColumns } from './decode-rows.js';
import type { OutputField } from './store.js';

// Rows as ClickHouse's JSON formats return them: 64-bit integers quoted, addresses as IPv6 text.
const outputs: OutputField[] = [
  { name: 'src', kind: 'ip', aliases: ['s'] },
  { name: 'bytes', kind: 'u64', aliases: ['b'] },
];

function decode(rows: unknown[][]) {
  const columns = [rows.map((r) => r[0]), rows.map((r) => r[1])];
  return decodeColumns(clickHouseDialect, outputs, ['s', 'b'], columns, rows.length);
}

describe('decodeColumns', () => {
  it('turns quoted 64-bit integers into numbers while they are exact, bigints beyond', () => {
    const rows = decode([
      ['::ffff:10.0.0.1', '0'],
      ['::ffff:10.0.0.1', '-5'],
      ['::ffff:10.0.0.1', '9007199254740991'], // 2^53 - 1
      ['::ffff:10.0.0.1', '9007199254740992'], // 2^53
      ['::ffff:10.0.0.1', '18446744073709551615'], // 2^64 - 1
      ['::ffff:10.0.0.1', 7n],
      ['::ffff:10.0.0.1', 1.5],
      ['::ffff:10.0.0.1', null],
    ]);
    expect(rows.map((r) => r.bytes)).toEqual([0, -5, 9007199254740991, 9007199254740992n, 18446744073709551615n, 7, 1.5, null]);
  });

  it('gives IPv4-mapped addresses as IPv4 and others as canonical IPv6', () => {
    const rows = decode([
      ['::ffff:192.0.2.1', '1'],
      ['::ffff:c000:201', '1'],
      ['2001:db8::1', '1'],
      ['::ffff:0:192.0.2.1', '1'],
      [null, '1'],
    ]);
    expect(rows.map((r) => r.src)).toEqual(['192.0.2.1', '192.0.2.1', '2001:db8::1', '::ffff:0:c000:201', null]);
  });

  it('gives every record the output fields in output order, null where a column is missing', () => {
    const rows = decodeColumns(clickHouseDialect, [...outputs, { name: 'flows', kind: 'count', aliases: ['missing'] }], ['b', 's'], [['5'], ['::ffff:10.0.0.1']], 1);
    expect(rows).toEqual([{ src: '10.0.0.1', bytes: 5, flows: null }]);
    expect(Object.keys(rows[0]!)).toEqual(['src', 'bytes', 'flows']);
  });
});
