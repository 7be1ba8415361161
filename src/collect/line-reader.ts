// Streams text files as numbered lines in bounded memory: plain or gzip (told by its magic
// bytes, whatever the name), CRLF or LF, a last line without newline, `-` for stdin.

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { VantageError } from '../core/errors.js';

/** Lines read from one chunk of input; `firstLine` is the 1-based number of `lines[0]`. */
export interface LineBatch {
  readonly lines: string[];
  readonly firstLine: number;
  /**
   * Indexes into `lines` of lines longer than the reader's limit, skipped unread: their text is
   * '' here, and the importer rejects them by number (ascending; absent when there are none).
   */
  readonly tooLong?: readonly number[];
}

/** The longest line read (in characters); longer ones are skipped without being held whole. */
export const MAX_LINE_CHARS = 1 << 20;

/** Options for `readLineBatches`. */
export interface LineReaderOptions {
  /** Bytes read at a time (default 1 MiB): also roughly the text held per batch. */
  readonly chunkBytes?: number;
  /** A longer line is skipped and listed in `tooLong` (default `MAX_LINE_CHARS`). */
  readonly maxLineChars?: number;
}

/**
 * Compressed data that breaks off (a .gz cut short, or damaged) after some lines were read:
 * those lines stay good, so the importer keeps them and then reports this.
 */
export class TruncatedInputError extends VantageError {
  constructor(
    file: string,
    /** The last line read whole. */
    readonly lastLine: number,
    reason: string,
  ) {
    super(
      'IMPORT_FILE',
      /unexpected end of file/i.test(reason)
        ? `the gzip data is cut short after line ${lastLine} (${reason}): the rest of the file is missing`
        : `the gzip data is damaged after line ${lastLine} (${reason}): the rest of the file cannot be read`,
      { file },
    );
    this.name = 'TruncatedInputError';
  }
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** The name shown for `-` in messages. */
export const STDIN_NAME = '<stdin>';

/** Turns an I/O error into the coded error the CLI reports. */
export function fileError(file: string, err: unknown): VantageError {
  if (err instanceof VantageError) return err;
  const e = err as NodeJS.ErrnoException;
  const reason =
    e.code === 'ENOENT'
      ? 'no such file'
      : e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission denied'
        : e.code === 'EISDIR'
          ? 'is a directory'
          : isGzipError(e)
            ? `not a valid gzip file (${e.message})`
            : (e.message ?? String(err));
  // The location names the file; the CLI prints it as the message's prefix.
  return new VantageError('IMPORT_FILE', `cannot read: ${reason}`, { file });
}

function isGzipError(e: NodeJS.ErrnoException): boolean {
  return e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' || /incorrect header|unexpected end of file/i.test(e.message ?? '');
}

/** Raw byte chunks of a file (or stdin), gunzipped when the data starts with the gzip magic. */
async function* byteChunks(path: string, chunkBytes: number): AsyncGenerator<Buffer> {
  const input: Readable = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: chunkBytes });
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    // The magic needs two bytes; a stream may hand them over one at a time.
    let head: Buffer = Buffer.alloc(0);
    while (head.length < 2) {
      const r = await it.next();
      if (r.done) break;
      head = head.length === 0 ? r.value : Buffer.concat([head, r.value]);
    }
    if (head.length === 0) return;
    if (head.length < 2 || head[0] !== GZIP_MAGIC_0 || head[1] !== GZIP_MAGIC_1) {
      yield head;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    }
    // Re-join the chunk already taken with the rest of the input, then decompress.
    const rest = Readable.from(
      (async function* () {
        yield head;
        for (;;) {
          const r = await it.next();
          if (r.done) return;
          yield r.value;
        }
      })(),
    );
    const gunzip = createGunzip({ chunkSize: Math.max(chunkBytes, 64 * 1024) });
    rest.on('error', (err) => gunzip.destroy(err));
    rest.pipe(gunzip);
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } finally {
      rest.destroy();
      gunzip.destroy();
    }
  } finally {
    await it.return?.();
    if (input !== process.stdin) input.destroy();
  }
}

/**
 * Reads a file as batches of lines, one batch per chunk read, so a 10 GB file takes a few MB.
 * Line endings (LF or CRLF) are removed; a UTF-8 BOM at the start is dropped; a last line
 * without a newline is returned. A line over `maxLineChars` is skipped as it streams by (never
 * held whole) and listed in its batch's `tooLong`. I/O and gzip errors become `IMPORT_FILE`
 * errors; gzip data that breaks off after some lines throws `TruncatedInputError` once every
 * whole line before the damage has been yielded.
 */
export async function* readLineBatches(path: string, options: LineReaderOptions = {}): AsyncGenerator<LineBatch> {
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  const maxLineChars = options.maxLineChars ?? MAX_LINE_CHARS;
  const name = path === '-' ? STDIN_NAME : path;
  const decoder = new StringDecoder('utf8');
  // Text of an unfinished line, kept in pieces so a long line costs no repeated concatenation.
  let pending: string[] = [];
  let pendingChars = 0;
  // Inside a line already over the limit: its text is dropped up to its newline.
  let skipping = false;
  let lineNo = 1;
  let first = true;
  let ascii = true;
  try {
    for await (const bytes of byteChunks(path, chunkBytes)) {
      // Flow logs are mostly ASCII, which latin1 decodes at twice the speed of UTF-8. Once a
      // chunk is not ASCII the decoder takes over for good, as it may hold a split character.
      if (ascii && !isAscii(bytes)) ascii = false;
      let text = ascii ? bytes.toString('latin1') : decoder.write(bytes);
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      const lines: string[] = [];
      let tooLong: number[] | undefined;
      const skip = (): void => {
        (tooLong ??= []).push(lines.length);
        lines.push('');
      };
      let pos = 0;
      let nl = text.indexOf('\n');
      if (nl >= 0 && (pendingChars > 0 || skipping)) {
        if (skipping || pendingChars + nl > maxLineChars) skip();
        else {
          pending.push(text.slice(0, nl));
          lines.push(stripCr(pending.join('')));
        }
        pending = [];
        pendingChars = 0;
        skipping = false;
        pos = nl + 1;
        nl = text.indexOf('\n', pos);
      }
      while (nl >= 0) {
        if (nl - pos > maxLineChars) skip();
        else lines.push(text.charCodeAt(nl - 1) === 13 && nl > pos ? text.slice(pos, nl - 1) : text.slice(pos, nl));
        pos = nl + 1;
        nl = text.indexOf('\n', pos);
      }
      if (pos < text.length && !skipping) {
        pending.push(text.slice(pos));
        pendingChars += text.length - pos;
        if (pendingChars > maxLineChars) {
          pending = [];
          pendingChars = 0;
          skipping = true;
        }
      }
      if (lines.length > 0) {
        yield tooLong ? { lines, firstLine: lineNo, tooLong } : { lines, firstLine: lineNo };
        lineNo += lines.length;
      }
    }
    const tail = skipping ? '' : pending.join('') + decoder.end();
    if (skipping) yield { lines: [''], firstLine: lineNo, tooLong: [0] };
    else if (tail.length > 0) yield { lines: [stripCr(tail)], firstLine: lineNo };
  } catch (err) {
    // Damage after whole lines were read keeps them: the caller decides what that costs.
    const e = err as NodeJS.ErrnoException;
    if (lineNo > 1 && !(err instanceof VantageError) && typeof e?.code === 'string' && isGzipError(e)) throw new TruncatedInputError(name, lineNo - 1, e.message);
    // I/O and zlib errors carry a code; anything else is a bug and keeps its stack.
    if (err instanceof VantageError || typeof e?.code === 'string') throw fileError(name, err);
    throw err;
  }
}

function stripCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

/**
 * The first complete lines of a file (at most `maxLines`, from at most `maxBytes` of text):
 * enough to tell its format and check its header before anything is imported.
 */
export async function readHeadLines(path: string, maxLines = 64, maxBytes = 256 * 1024): Promise<string[]> {
  const head: string[] = [];
  let chars = 0;
  try {
    // The import's line limit, so that a line skipped there is skipped ('') here too.
    for await (const batch of readLineBatches(path, { chunkBytes: 64 * 1024 })) {
      for (const line of batch.lines) {
        head.push(line);
        chars += line.length;
        if (head.length >= maxLines || chars >= maxBytes) return head;
      }
    }
  } catch (err) {
    // Lines before damaged gzip data are good: the import keeps them and reports the damage.
    if (!(err instanceof TruncatedInputError)) throw err;
  }
  return head;
}

/** Fails with `IMPORT_FILE` unless `path` is a readable regular file (or `-`). */
export async function checkReadable(path: string): Promise<void> {
  if (path === '-') return;
  try {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw fileError(path, err);
  }
}
