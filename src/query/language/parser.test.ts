import { describe, expect, it } from 'vitest';
import { VantageError } from '../../core/errors.js';
import { parseQuery } from './parser.js';

function syntaxError(text: string): VantageError {
  try {
    parseQuery(text);
  } catch (err) {
    if (err instanceof VantageError) return err;
    throw err;
  }
  throw new Error(`expected '${text}' to fail`);
}

describe('parseQuery filters', () => {
  it('reads an empty query and bare pipelines as any', () => {
    expect(parseQuery('').filter.type).toBe('any');
    expect(parseQuery('| count').stages).toEqual([{ type: 'count', by: [], column: 3 }]);
  });

  it('gives and a higher precedence than or, like nfdump', () => {
    const q = parseQuery('proto udp or proto tcp and port 80');
    expect(q.filter.type).toBe('or');
    if (q.filter.type !== 'or') return;
    expect(q.filter.right.type).toBe('and');
  });

  it('reads directions, comparators and lists', () => {
    expect(parseQuery('src port > 1023').filter).toMatchObject({ type: 'compare', fields: ['sport'], op: '>', value: 1023 });
    expect(parseQuery('dst port GE 1024').filter).toMatchObject({ type: 'compare', fields: ['dport'], op: '>=', value: 1024 });
    expect(parseQuery('port in [ 80 443, 8080 ]').filter).toMatchObject({ type: 'in', fields: ['sport', 'dport'], values: [80, 443, 8080] });
    expect(parseQuery('in if 3').filter).toMatchObject({ type: 'compare', fields: ['in_if'], value: 3 });
    expect(parseQuery('if 3').filter).toMatchObject({ type: 'compare', fields: ['in_if', 'out_if'] });
    expect(parseQuery('src as 64500').filter).toMatchObject({ type: 'compare', fields: ['src_as'], value: 64500 });
  });

  it('scales counters by decimal k/m/g as nfdump does', () => {
    expect(parseQuery('bytes > 1k').filter).toMatchObject({ value: 1000 });
    expect(parseQuery('packets >= 2m').filter).toMatchObject({ value: 2_000_000 });
  });

  it('reads addresses and networks of both families', () => {
    expect(parseQuery('ip 10.1.2.3').filter).toMatchObject({ type: 'ip', dir: 'any', ranges: [{ family: 4, first: 0x0a010203, last: 0x0a010203 }] });
    expect(parseQuery('src net 172.16/12').filter).toMatchObject({ ranges: [{ family: 4, first: 0xac100000, last: 0xac1fffff }] });
    expect(parseQuery('dst net 192.168.0.0 255.255.0.0').filter).toMatchObject({ ranges: [{ first: 0xc0a80000, last: 0xc0a8ffff }] });
    expect(parseQuery('net 2001:db8::/32').filter).toMatchObject({
      ranges: [{ family: 6, first: 0x20010db8n << 96n, last: (0x20010db8n << 96n) | ((1n << 96n) - 1n) }],
    });
    expect(parseQuery('host ::ffff:10.0.0.1').filter).toMatchObject({ ranges: [{ family: 4, first: 0x0a000001 }] });
  });

  it('reads TCP flags as a bit mask', () => {
    expect(parseQuery('flags S').filter).toMatchObject({ type: 'flags', mask: 2 });
    expect(parseQuery('flags AFRPU').filter).toMatchObject({ mask: 16 | 1 | 4 | 8 | 32 });
  });
});

describe('parseQuery stages', () => {
  it('reads every stage', () => {
    const q = parseQuery('any | top 10 src by bytes | sort packets desc | limit 5 | fields src,bytes');
    expect(q.stages.map((s) => s.type)).toEqual(['top', 'sort', 'limit', 'fields']);
    expect(q.stages[0]).toMatchObject({ n: 10, field: { name: 'src' }, metric: 'bytes' });
    expect(parseQuery('| timeline 5m').stages[0]).toMatchObject({ intervalMs: 300_000 });
    expect(parseQuery('| count by srcip, dport').stages[0]).toMatchObject({ by: [{ name: 'src' }, { name: 'dport' }] });
    expect(parseQuery('| count distinct dst by src').stages[0]).toMatchObject({ type: 'count-distinct', field: { name: 'dst' } });
  });
});

describe('parseQuery errors point at the column', () => {
  it.each([
    ['proto tcp and', 14, 'QUERY_SYNTAX'],
    ['port 80 443', 9, 'QUERY_SYNTAX'],
    ['ip 10.0.0.300', 4, 'QUERY_VALUE'],
    ['proto foo', 7, 'QUERY_VALUE'],
    ['(proto tcp', 11, 'QUERY_SYNTAX'],
    ['port 99999', 6, 'QUERY_VALUE'],
    ['flags SZ', 8, 'QUERY_VALUE'],
    ['any | top 5 nosuch', 13, 'QUERY_FIELD'],
    ['any | frobnicate', 7, 'QUERY_SYNTAX'],
    ['ip 10.0.0.0/8', 4, 'QUERY_VALUE'],
    ["ip \"1.2.3.4'; DROP TABLE flows; --\"", 4, 'QUERY_VALUE'],
    ["ip '1.2.3.4", 4, 'QUERY_SYNTAX'],
  ])('%s -> column %i', (text, column, code) => {
    const err = syntaxError(text);
    expect(err.code).toBe(code);
    expect(err.location.column).toBe(column);
    expect(err.location.source).toBe(text);
  });
});
