import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { VantageError } from '../core/errors.js';
import { checkReadable, readHeadLines, readLineBatches, type LineReaderOptions } from './line-reader.js';

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

  it('fails with IMPORT_FILE for a missing file, a directory, corrupt gzip and an endless line', async () => {
    await expect(readAll(join(dir, 'nope.csv'))).rejects.toMatchObject({ code: 'IMPORT_FILE', message: expect.stringContaining('no such file') });
    await expect(checkReadable(join(dir, 'nope.csv'))).rejects.toBeInstanceOf(VantageError);
    await expect(checkReadable(dir)).rejects.toMatchObject({ code: 'IMPORT_FILE', message: expect.stringContaining('is a directory') });
    const corrupt = gzipSync('hello world\n'.repeat(100));
    corrupt[20] ^= 0xff;
    await expect(readAll(file('bad.gz', corrupt))).rejects.toMatchObject({ code: 'IMPORT_FILE' });
    await expect(readAll(file('long.txt', 'x'.repeat(5000)), { chunkBytes: 100, maxLineChars: 1000 })).rejects.toMatchObject({
      code: 'IMPORT_FILE',
      message: expect.stringContaining('line 1 is longer than 1000 characters'),
    });
  });

  it('stops reading when the consumer stops (the head of a file)', async () => {
    const path = file('big.txt', Array.from({ length: 100_000 }, (_, i) => `row ${i}`).join('\n'));
    expect(await readHeadLines(path, 3)).toEqual(['row 0', 'row 1', 'row 2']);
  });
});
