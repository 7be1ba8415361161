import { describe, expect, it } from 'vitest';
import { ChunkBufferPool, chunkBufferSize } from './chunk-buffer-pool.js';

/** A worker's chunk buffer: `length` bytes counting up from `seed`, and junk after them. */
function chunk(length: number, seed: number, capacity = length + 100): ArrayBuffer {
  const bytes = new Uint8Array(capacity).fill(0xee);
  for (let i = 0; i < length; i++) bytes[i] = (seed + i) & 0xff;
  return bytes.buffer;
}

describe('ChunkBufferPool', () => {
  it('copies exactly the chunk, into a buffer of the next power of two from 64 KiB', () => {
    const pool = new ChunkBufferPool();
    const source = chunk(70_000, 7);
    const copy = pool.copy(source, 70_000);
    expect(copy.byteLength).toBe(70_000);
    expect(copy.buffer.byteLength).toBe(131_072);
    expect(copy.buffer).not.toBe(source);
    expect(Buffer.from(copy).equals(Buffer.from(source, 0, 70_000))).toBe(true);
    expect([1, 65_536, 65_537, 200_000, 300_000].map(chunkBufferSize)).toEqual([65_536, 65_536, 131_072, 262_144, 524_288]);
  });

  it('reuses a released buffer for the next chunk of its size, and takes one released twice once', () => {
    const pool = new ChunkBufferPool();
    const first = pool.copy(chunk(1000, 1), 1000);
    pool.release([first.buffer as ArrayBuffer, first.buffer as ArrayBuffer]);
    expect(pool.bytes).toBe(65_536);
    const second = pool.copy(chunk(2000, 2), 2000);
    expect(second.buffer).toBe(first.buffer);
    expect(second[0]).toBe(2);
    expect(second[1999]).toBe((2 + 1999) & 0xff);
    expect(pool.bytes).toBe(0);
    // Released twice above, but handed out once: the next copy needs a new buffer.
    expect(pool.copy(chunk(10, 3), 10).buffer).not.toBe(first.buffer);
  });

  it('leaves buffers of other sizes, and those beyond its limit, to the GC', () => {
    const pool = new ChunkBufferPool(200_000);
    pool.release([new ArrayBuffer(100_000), new ArrayBuffer(1024)]);
    expect(pool.bytes).toBe(0);
    const copies = [1, 2, 3, 4].map((seed) => pool.copy(chunk(100_000, seed), 100_000));
    pool.release(copies.map((c) => c.buffer as ArrayBuffer));
    expect(pool.bytes).toBe(131_072);
    expect(pool.copy(chunk(100_000, 5), 100_000).buffer).toBe(copies[0]!.buffer);
  });
});
