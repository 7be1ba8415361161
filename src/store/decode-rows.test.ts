import { describe, expect, it } from 'vitest';
import { clickHouseDialect } from './clickhouse/clickhouse-dialect.js';
import { decodeRows } from './decode-rows.js';
import type { OutputField } from './store.js';

// Rows as ClickHouse's JSON formats return them: 64-bit integers quoted, addresses as IPv6 text.
const outputs: OutputField[] = [
  { name: 'src', kind: 'ip', aliases: ['s'] },
  { name: 'bytes', kind: 'u64', aliases: ['b'] },
];

function decode(rows: unknown[][]) {
  return decodeRows(clickHouseDialect, outputs, ['s', 'b'], rows);
}

describe('decodeRows', () => {
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
});
