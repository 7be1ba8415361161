import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { VantageError } from '../core/errors.js';
import { checkReadable, readHeadLines, readLineBatches, TruncatedInputError, type LineReaderOptions } from './line-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'vantage-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function readAll(path: string, options?: LineReaderOptions): Promise<{ lines: string[]; numbers: number[] }> {
  const lines: string[] = [];
  const numbers: number[] = [];
  for await (const batch of readLineBatches(path, options)) {
    batch.lines.forEach((l, i) => {
      lines.push(l);
      numbers.push(batch.firstLine + i);
    });
  }
  return { lines, numbers };
}

describe('readLineBatches', () => {
  it('reads LF, CRLF and a last line without newline, numbering from 1', async () => {
    const r = await readAll(file('mixed.txt', 'a\r\nbb\n\nccc\r\nlast'));
    expect(r.lines).toEqual(['a', 'bb', '', 'ccc', 'last']);
    expect(r.numbers).toEqual([1, 2, 3, 4, 5]);
  });

  it('splits lines across chunk boundaries, including CR LF pairs and multi-byte characters', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} é€ ${'x'.repeat(i % 13)}`);
    const path = file('chunks.txt', `${lines.join('\r\n')}\r\n`);
    for (const chunkBytes of [1, 2, 3, 7, 64, 1 << 20]) {
      const r = await readAll(path, { chunkBytes });
      expect(r.lines).toEqual(lines);
      expect(r.numbers).toEqual(lines.map((_, i) => i + 1));
    }
  });

  it('drops a UTF-8 byte order mark', async () => {
    expect((await readAll(file('bom.csv', '\uFEFFsrc,dst\n1,2\n'))).lines).toEqual(['src,dst', '1,2']);
  });

  it('reads gzip by its magic bytes, whatever the name', async () => {
    const text = 'one\ntwo\nthree';
    expect((await readAll(file('log.gz', gzipSync(text)))).lines).toEqual(['one', 'two', 'three']);
    expect((await readAll(file('log.txt', gzipSync(text)), { chunkBytes: 5 })).lines).toEqual(['one', 'two', 'three']);
    // concatenated members, as `cat a.gz b.gz` makes
    expect((await readAll(file('two.gz', Buffer.concat([gzipSync('a\n'), gzipSync('b\n')])))).lines).toEqual(['a', 'b']);
  });

  it('reads an empty file as no lines', async () => {
    expect((await readAll(file('empty.txt', ''))).lines).toEqual([]);
  });

  it('fails with IMPORT_FILE for a missing file, a directory and corrupt gzip', async () => {
    await expect(readAll(join(dir, 'nope.csv'))).rejects.toMatchObject({ code: 'IMPORT_FILE', message: expect.stringContaining('no such file') });
    await expect(checkReadable(join(dir, 'nope.csv'))).rejects.toBeInstanceOf(VantageError);
    await expect(checkReadable(dir)).rejects.toMatchObject({ code: 'IMPORT_FILE', message: expect.stringContaining('is a directory') });
    const corrupt = gzipSync('hello world\n'.repeat(100));
    corrupt[20] ^= 0xff;
    await expect(readAll(file('bad.gz', corrupt))).rejects.toMatchObject({ code: 'IMPORT_FILE' });
  });

  /** Every batch's lines, numbers and skipped lines (by number). */
  async function readWithSkips(path: string, options?: LineReaderOptions): Promise<{ lines: string[]; numbers: number[]; skipped: number[] }> {
    const lines: string[] = [];
    const numbers: number[] = [];
    const skipped: number[] = [];
    for await (const batch of readLineBatches(path, options)) {
      batch.lines.forEach((l, i) => {
        lines.push(l);
        numbers.push(batch.firstLine + i);
      });
      for (const i of batch.tooLong ?? []) skipped.push(batch.firstLine + i);
    }
    return { lines, numbers, skipped };
  }

  it('skips a line over the limit and names it, wherever it falls on chunk boundaries', async () => {
    // Lines 2 (5000 characters, spanning chunks), 4 (1001, within one chunk at 4096) and the
    // last line 6 without a newline (1500) are over 1000; line 3 is exactly 1000 and read.
    const text = ['a', 'x'.repeat(5000), 'y'.repeat(1000), 'z'.repeat(1001), 'b', 'w'.repeat(1500)].join('\n');
    const path = file('long.txt', text);
    for (const chunkBytes of [100, 999, 1000, 1001, 4096]) {
      const r = await readWithSkips(path, { chunkBytes, maxLineChars: 1000 });
      expect(r.numbers).toEqual([1, 2, 3, 4, 5, 6]);
      expect(r.skipped).toEqual([2, 4, 6]);
      expect(r.lines).toEqual(['a', '', 'y'.repeat(1000), '', 'b', '']);
    }
  });

  it('keeps the lines before damaged gzip data, then throws TruncatedInputError naming the last whole line', async () => {
    // 300 numbered lines, gzip cut in half: zlib hands over what it inflated, then "unexpected end of file".
    const text = Array.from({ length: 300 }, (_, i) => `line ${i + 1} ${'p'.repeat(40)}`).join('\n');
    const gz = gzipSync(text);
    const path = file('cut.gz', gz.subarray(0, gz.length >> 1));
    const lines: string[] = [];
    let error: unknown;
    try {
      for await (const batch of readLineBatches(path)) lines.push(...batch.lines);
    } catch (err) {
      error = err;
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines).toEqual(text.split('\n').slice(0, lines.length));
    expect(error).toBeInstanceOf(TruncatedInputError);
    expect(error).toMatchObject({
      code: 'IMPORT_FILE',
      lastLine: lines.length,
      location: { file: path },
      message: `the gzip data is cut short after line ${lines.length} (unexpected end of file): the rest of the file is missing`,
    });
    // The head of such a file is what was read before the damage.
    expect(await readHeadLines(path, 5)).toEqual(text.split('\n').slice(0, 5));
  });

  it('stops reading when the consumer stops (the head of a file)', async () => {
    const path = file('big.txt', Array.from({ length: 100_000 }, (_, i) => `row ${i}`).join('\n'));
    expect(await readHeadLines(path, 3)).toEqual(['row 0', 'row 1', 'row 2']);
  });
});
