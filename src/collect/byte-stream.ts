// A forward-only byte window over a file (read in chunks) or over bytes already in memory.

import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 1 << 20;

/**
 * Reads forward through a source keeping only a window in memory, so that multi-gigabyte captures
 * stream. `data` views handed out by {@link ByteStream.take} are valid until the next `ensure`.
 */
export class ByteStream {
  private buffer: Uint8Array;
  private start = 0;
  private end = 0;
  private eof: boolean;
  /** Bytes consumed so far: the file offset of the window start. */
  position = 0;

  private constructor(
    private readonly fd: number | null,
    initial: Uint8Array,
  ) {
    this.buffer = initial;
    this.end = initial.length;
    this.eof = fd === null;
  }

  /** A stream over a file; throws the fs error when it cannot be opened. */
  static fromFile(path: string): ByteStream {
    return new ByteStream(openSync(path, 'r'), new Uint8Array(0));
  }

  /** A stream over bytes in memory. */
  static fromBytes(bytes: Uint8Array): ByteStream {
    return new ByteStream(null, bytes);
  }

  /** Bytes in the window. */
  get available(): number {
    return this.end - this.start;
  }

  /** Makes at least `n` bytes available from the current position; false at end of input. */
  ensure(n: number): boolean {
    while (this.end - this.start < n) {
      if (this.eof) return false;
      const have = this.end - this.start;
      const size = Math.max(this.buffer.length, n + CHUNK);
      if (size > this.buffer.length) {
        const next = new Uint8Array(size);
        next.set(this.buffer.subarray(this.start, this.end));
        this.buffer = next;
      } else if (this.start > 0) {
        this.buffer.copyWithin(0, this.start, this.end);
      }
      this.start = 0;
      this.end = have;
      const read = readSync(this.fd!, this.buffer, this.end, this.buffer.length - this.end, null);
      if (read === 0) this.eof = true;
      this.end += read;
    }
    return true;
  }

  /** A view of the next `n` bytes (call `ensure(n)` first); does not consume them. */
  peek(n: number): Uint8Array {
    return this.buffer.subarray(this.start, this.start + n);
  }

  /** Consumes `n` bytes and returns a view of them (call `ensure(n)` first). */
  take(n: number): Uint8Array {
    const view = this.buffer.subarray(this.start, this.start + n);
    this.start += n;
    this.position += n;
    return view;
  }

  /** Consumes up to `n` bytes without looking at them. */
  skip(n: number): void {
    while (n > 0) {
      if (!this.ensure(1)) return;
      const step = Math.min(n, this.end - this.start);
      this.start += step;
      this.position += step;
      n -= step;
    }
  }

  /** Releases the file. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
  }
}
