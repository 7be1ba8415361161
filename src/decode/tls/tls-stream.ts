// One direction of a TCP connection read as TLS: segments put back in sequence order (a few early
// ones held, retransmitted bytes skipped), the record layer split off, handshake fragments joined
// (a message may span records, a record may span segments) and each whole message handed on,
// until encryption starts, the reader has what it wants, or it gives up. Memory is bounded: one
// record, one handshake message and a few held segments per stream.

/** Why a stream stopped without reaching its natural end. */
export const TLS_PROBLEM_CODES = [
  /** A record header that is not TLS 1.x (type, version or length out of range) inside a tracked stream. */
  'TLS_BAD_RECORD',
  /** A ClientHello, ServerHello or Certificate message whose fields overrun it. */
  'TLS_BAD_HANDSHAKE',
  /** A certificate in a Certificate message that is not a readable X.509 certificate. */
  'TLS_BAD_CERTIFICATE',
  /** A handshake message longer than the per-stream bound. */
  'TLS_MESSAGE_TOO_LONG',
  /** Segments missing from the capture (or cut by the snap length) before the handshake was read. */
  'TLS_GAP',
  /** An unfinished handshake dropped because too many streams were open at once. */
  'TLS_STREAMS_FULL',
] as const;

/** One of {@link TLS_PROBLEM_CODES}. */
export type TlsProblemCode = (typeof TLS_PROBLEM_CODES)[number];

/** Record content types (RFC 8446 5.1). */
const CHANGE_CIPHER_SPEC = 20;
const ALERT = 21;
const HANDSHAKE = 22;
const APPLICATION_DATA = 23;
/** A TLSCiphertext fragment may be 2^14 + 2048 bytes (RFC 5246 6.2.3). */
const MAX_RECORD = 16384 + 2048;
const HELD_SEGMENTS = 8;

/**
 * Receives whole handshake messages: type and where its body lies in `buf` (valid only during
 * the call). Returns false when the reader wants no more of this stream.
 */
export type HandshakeHandler = (type: number, buf: Uint8Array, start: number, end: number) => boolean;

/** Bounds of one stream. */
export interface TlsStreamLimits {
  /** Longest handshake message kept (a Certificate message carries the whole chain). */
  readonly maxMessageBytes: number;
}

/**
 * True when a payload can start a TLS handshake stream: a handshake record of TLS 1.x (or SSL
 * 3.0) whose first message is a ClientHello or ServerHello. Strict enough that encrypted bytes
 * in mid-connection almost never pass (about one segment in 10^8).
 */
export function startsTlsHandshake(data: Uint8Array, off: number, end: number): boolean {
  if (end - off < 6) return false;
  if (data[off] !== HANDSHAKE || data[off + 1] !== 3 || data[off + 2]! > 4) return false;
  const len = (data[off + 3]! << 8) | data[off + 4]!;
  const msg = data[off + 5];
  return len > 0 && len <= MAX_RECORD && (msg === 1 || msg === 2);
}

/** The state of a stream. */
export type TlsStreamState = 'open' | 'done' | 'failed';

/** One direction's TLS reader (see the file comment). */
export class TlsStream {
  state: TlsStreamState = 'open';
  /** Set when the state is 'failed'. */
  problem: TlsProblemCode | undefined;
  private nextSeq: number;
  private rec = new Uint8Array(0);
  private recLen = 0;
  private hs = new Uint8Array(0);
  private hsLen = 0;
  private held: { seq: number; bytes: Uint8Array }[] = [];

  constructor(
    firstSeq: number,
    private readonly onMessage: HandshakeHandler,
    private readonly limits: TlsStreamLimits,
  ) {
    this.nextSeq = firstSeq >>> 0;
  }

  /**
   * Adds a segment's payload `data[off, end)` starting at sequence number `seq`; `cut` says the
   * snap length removed bytes after it (what follows can never join).
   */
  push(data: Uint8Array, off: number, end: number, seq: number, cut = false): void {
    if (this.state !== 'open' || end <= off) return;
    const delta = (seq - this.nextSeq) | 0;
    if (delta > 0) {
      // Early: hold a copy until the bytes before it arrive, a few segments at most.
      if (this.held.length >= HELD_SEGMENTS) return this.fail('TLS_GAP');
      this.held.push({ seq: seq >>> 0, bytes: data.slice(off, end) });
      return;
    }
    this.accept(data, off, end, seq, delta);
    if (cut && this.state === 'open') return this.fail('TLS_GAP');
    while (this.held.length > 0 && this.state === 'open') {
      const i = this.held.findIndex((h) => ((h.seq - this.nextSeq) | 0) <= 0);
      if (i < 0) break;
      const [h] = this.held.splice(i, 1);
      this.accept(h!.bytes, 0, h!.bytes.length, h!.seq, (h!.seq - this.nextSeq) | 0);
    }
  }

  /** Ends the stream: anything buffered stays unread; an open stream with held segments had a gap. */
  close(): void {
    if (this.state === 'open' && this.held.length > 0) this.fail('TLS_GAP');
    else if (this.state === 'open') this.finish();
  }

  /** Gives up with a counted reason. */
  fail(code: TlsProblemCode): void {
    this.problem = code;
    this.finish();
    this.state = 'failed';
  }

  private finish(): void {
    this.state = 'done';
    this.rec = new Uint8Array(0);
    this.hs = new Uint8Array(0);
    this.held = [];
    this.recLen = this.hsLen = 0;
  }

  /** Takes the new part of an in-order (or overlapping) segment; delta <= 0 is its offset before nextSeq. */
  private accept(data: Uint8Array, off: number, end: number, seq: number, delta: number): void {
    const skip = -delta;
    if (skip >= end - off) return;
    const from = off + skip;
    this.nextSeq = (seq + (end - off)) >>> 0;
    let at = from;
    while (at < end && this.state === 'open') {
      // Fill the record buffer up to one whole record (header first, to learn its length).
      const want = this.recLen < 5 ? 5 : 5 + ((this.rec[3]! << 8) | this.rec[4]!);
      const take = Math.min(want - this.recLen, end - at);
      this.ensureRec(want);
      this.rec.set(data.subarray(at, at + take), this.recLen);
      this.recLen += take;
      at += take;
      if (this.recLen === 5 && want === 5) {
        const type = this.rec[0]!;
        const len = (this.rec[3]! << 8) | this.rec[4]!;
        if (type === CHANGE_CIPHER_SPEC || type === APPLICATION_DATA || type === ALERT) return this.finish();
        if (type !== HANDSHAKE || this.rec[1] !== 3 || this.rec[2]! > 4 || len === 0 || len > MAX_RECORD) return this.fail('TLS_BAD_RECORD');
        continue;
      }
      if (this.recLen >= 5 && this.recLen === want) {
        this.handshakeFragment(this.rec.subarray(5, this.recLen));
        this.recLen = 0;
      }
    }
  }

  private ensureRec(n: number): void {
    if (this.rec.length >= n) return;
    const grown = new Uint8Array(Math.max(n, Math.min(MAX_RECORD + 5, this.rec.length * 2 || 512)));
    grown.set(this.rec.subarray(0, this.recLen));
    this.rec = grown;
  }

  /** Joins a handshake record's fragment to what is pending and hands on every whole message. */
  private handshakeFragment(fragment: Uint8Array): void {
    const need = this.hsLen + fragment.length;
    if (this.hs.length < need) {
      const grown = new Uint8Array(Math.max(need, Math.min(this.limits.maxMessageBytes + 4, this.hs.length * 2 || 1024)));
      grown.set(this.hs.subarray(0, this.hsLen));
      this.hs = grown;
    }
    this.hs.set(fragment, this.hsLen);
    this.hsLen += fragment.length;
    let at = 0;
    while (this.hsLen - at >= 4 && this.state === 'open') {
      const type = this.hs[at]!;
      const len = (this.hs[at + 1]! << 16) | (this.hs[at + 2]! << 8) | this.hs[at + 3]!;
      if (len > this.limits.maxMessageBytes) return this.fail('TLS_MESSAGE_TOO_LONG');
      if (this.hsLen - at < 4 + len) break;
      if (!this.onMessage(type, this.hs, at + 4, at + 4 + len)) {
        if (this.state === 'open') this.finish();
        return;
      }
      at += 4 + len;
    }
    if (this.state !== 'open') return;
    this.hs.copyWithin(0, at, this.hsLen);
    this.hsLen -= at;
  }
}
