// Buffers the main thread keeps the decode workers' flow chunks in. A chunk arrives in a buffer the
// worker transferred; it is copied into one of these (~46 bytes a flow) and the worker's buffer goes
// straight back. Holding the workers' own buffers made the main isolate's external memory rise and
// fall with the backlog (40 -> 175 MB and back while the store was behind), and V8 counts external
// memory allocated since its last full collection against the old generation's headroom: at 2.5M
// flows/s the main thread ran ~50 full collections in 8 s, each finding nothing to free. Buffers
// that are reused are allocated once, so a backlog that grows again to a size seen before costs
// no collection (26 in 8 s; 12.3-13.7M of 20M flows stored straight against 8.3-11.8M).

/** Smallest buffer size; sizes are powers of two from here, so that freed buffers fit later chunks. */
const MIN_BUFFER_BYTES = 64 * 1024;

/** Free buffers kept at most (beyond, released buffers are left to the GC): a store queue's worth and a little more. */
export const CHUNK_POOL_MAX_FREE_BYTES = 48 * 1024 * 1024;

/** The size of buffer a chunk of `length` bytes is copied into. */
export function chunkBufferSize(length: number): number {
  let size = MIN_BUFFER_BYTES;
  while (size < length) size *= 2;
  return size;
}

/** Reusable buffers for copies of flow chunks, by size. */
export class ChunkBufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** The free buffers, so that one released twice is kept once. */
  private readonly freeSet = new Set<ArrayBuffer>();
  private freeBytes = 0;

  constructor(private readonly maxFreeBytes = CHUNK_POOL_MAX_FREE_BYTES) {}

  /** Bytes held in free buffers. */
  get bytes(): number {
    return this.freeBytes;
  }

  /** A copy of `source`'s first `length` bytes, in a free buffer of the right size or a new one. */
  copy(source: ArrayBuffer, length: number): Uint8Array {
    const size = chunkBufferSize(length);
    let buffer = this.free.get(size)?.pop();
    if (buffer) {
      this.freeSet.delete(buffer);
      this.freeBytes -= size;
    } else buffer = new ArrayBuffer(size);
    const out = new Uint8Array(buffer, 0, length);
    out.set(new Uint8Array(source, 0, length));
    return out;
  }

  /**
   * Takes back buffers whose chunks are no longer read. Buffers of other sizes (copies a batch
   * cut made) and those beyond the limit are left to the GC.
   */
  release(buffers: Iterable<ArrayBuffer>): void {
    for (const buffer of buffers) {
      const size = buffer.byteLength;
      if (size < MIN_BUFFER_BYTES || (size & (size - 1)) !== 0 || this.freeSet.has(buffer) || this.freeBytes + size > this.maxFreeBytes) continue;
      let list = this.free.get(size);
      if (!list) this.free.set(size, (list = []));
      list.push(buffer);
      this.freeSet.add(buffer);
      this.freeBytes += size;
    }
  }
}
