// TLS handshake message bodies (RFC 5246 7.4, RFC 8446 4.1-4.4): ClientHello and ServerHello with
// the extensions fingerprints and sightings use, and the certificate list of a TLS <= 1.2
// Certificate message. Pure: bytes in, a typed value or undefined (malformed) out.

/** Handshake message types this reader handles. */
export const HANDSHAKE = { CLIENT_HELLO: 1, SERVER_HELLO: 2, CERTIFICATE: 11, SERVER_HELLO_DONE: 14 } as const;

/** Extension numbers read here. */
export const EXT = { SERVER_NAME: 0, SUPPORTED_GROUPS: 10, EC_POINT_FORMATS: 11, SIGNATURE_ALGORITHMS: 13, ALPN: 16, SUPPORTED_VERSIONS: 43 } as const;

/** A ClientHello's fields, in wire order, GREASE values included (the fingerprints drop them). */
export interface ClientHello {
  /** legacy_version (0x0303 for TLS 1.2 and 1.3). */
  readonly version: number;
  readonly ciphers: readonly number[];
  /** Extension types in the order sent. */
  readonly extensions: readonly number[];
  /** The host_name of server_name, lower case ('' when absent). */
  readonly serverName: string;
  /** ALPN protocol names, in order (raw bytes as latin1 text). */
  readonly alpn: readonly string[];
  /** supported_versions, in order (empty when the extension is absent). */
  readonly supportedVersions: readonly number[];
  readonly groups: readonly number[];
  readonly pointFormats: readonly number[];
  readonly signatureAlgorithms: readonly number[];
}

/** A ServerHello's fields. */
export interface ServerHello {
  readonly version: number;
  readonly cipher: number;
  readonly extensions: readonly number[];
  /** supported_versions' selected version (0 when absent: the version is `version`). */
  readonly selectedVersion: number;
  /** The first (only) ALPN protocol the server chose ('' when none). */
  readonly alpn: string;
  /** A HelloRetryRequest (RFC 8446 4.1.3): a ServerHello with a fixed random, not the real one. */
  readonly helloRetry: boolean;
}

/** SHA-256("HelloRetryRequest"), the random of a HelloRetryRequest. */
const HRR_RANDOM = Uint8Array.from(Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'));

/** A bounds-checked cursor over one message body; any overrun sets `bad`. */
class Cursor {
  bad = false;
  constructor(
    readonly buf: Uint8Array,
    public at: number,
    readonly end: number,
  ) {}

  u8(): number {
    if (this.at + 1 > this.end) return this.fail();
    return this.buf[this.at++]!;
  }

  u16(): number {
    if (this.at + 2 > this.end) return this.fail();
    const v = (this.buf[this.at]! << 8) | this.buf[this.at + 1]!;
    this.at += 2;
    return v;
  }

  u24(): number {
    if (this.at + 3 > this.end) return this.fail();
    const v = (this.buf[this.at]! << 16) | (this.buf[this.at + 1]! << 8) | this.buf[this.at + 2]!;
    this.at += 3;
    return v;
  }

  /** A sub-cursor over the next `n` bytes, which this one skips. */
  take(n: number): Cursor {
    if (this.at + n > this.end) {
      this.fail();
      return new Cursor(this.buf, this.end, this.end);
    }
    const c = new Cursor(this.buf, this.at, this.at + n);
    this.at += n;
    return c;
  }

  /** A vector with a length prefix of `lenBytes`. */
  vector(lenBytes: 1 | 2 | 3): Cursor {
    const n = lenBytes === 1 ? this.u8() : lenBytes === 2 ? this.u16() : this.u24();
    return this.take(n);
  }

  /** A vector of 16-bit values; an odd length is malformed. */
  u16s(lenBytes: 1 | 2): number[] {
    const v = this.vector(lenBytes);
    if ((v.end - v.at) % 2 !== 0) this.fail();
    const out: number[] = [];
    while (v.at + 2 <= v.end) out.push(v.u16());
    return out;
  }

  get left(): number {
    return this.end - this.at;
  }

  private fail(): number {
    this.bad = true;
    this.at = this.end;
    return 0;
  }
}

const latin1 = new TextDecoder('latin1');

function readExtensions(c: Cursor, each: (type: number, body: Cursor) => boolean): number[] | undefined {
  const types: number[] = [];
  // Extensions are optional (SSL 3.0, old clients): nothing after compression means none.
  if (c.left === 0) return types;
  const list = c.vector(2);
  if (c.bad) return undefined;
  while (list.left > 0) {
    const type = list.u16();
    const body = list.vector(2);
    if (list.bad) return undefined;
    types.push(type);
    if (!each(type, body)) return undefined;
  }
  return types;
}

/** A ClientHello body (after the 4-byte handshake header); undefined when malformed. */
export function parseClientHello(buf: Uint8Array, start: number, end: number): ClientHello | undefined {
  const c = new Cursor(buf, start, end);
  const version = c.u16();
  c.take(32);
  c.vector(1); // session id
  const ciphers = c.u16s(2);
  c.vector(1); // compression methods
  if (c.bad) return undefined;
  let serverName = '';
  const alpn: string[] = [];
  let supportedVersions: number[] = [];
  let groups: number[] = [];
  let pointFormats: number[] = [];
  let signatureAlgorithms: number[] = [];
  const extensions = readExtensions(c, (type, body) => {
    switch (type) {
      case EXT.SERVER_NAME: {
        if (body.left === 0) return true; // a server's empty echo; clients send a list
        const list = body.vector(2);
        while (list.left > 0 && !list.bad) {
          const kind = list.u8();
          const name = list.vector(2);
          if (kind === 0 && serverName === '' && !list.bad) serverName = latin1.decode(buf.subarray(name.at, name.end)).toLowerCase();
        }
        return !list.bad && !body.bad;
      }
      case EXT.ALPN: {
        const list = body.vector(2);
        while (list.left > 0 && !list.bad) {
          const p = list.vector(1);
          if (!list.bad) alpn.push(latin1.decode(buf.subarray(p.at, p.end)));
        }
        return !list.bad && !body.bad;
      }
      case EXT.SUPPORTED_VERSIONS:
        supportedVersions = body.u16s(1);
        return !body.bad;
      case EXT.SUPPORTED_GROUPS:
        groups = body.u16s(2);
        return !body.bad;
      case EXT.EC_POINT_FORMATS: {
        const list = body.vector(1);
        while (list.left > 0) pointFormats.push(list.u8());
        return !body.bad;
      }
      case EXT.SIGNATURE_ALGORITHMS:
        signatureAlgorithms = body.u16s(2);
        return !body.bad;
      default:
        return true;
    }
  });
  if (!extensions) return undefined;
  return { version, ciphers, extensions, serverName, alpn, supportedVersions, groups, pointFormats, signatureAlgorithms };
}

/** A ServerHello body; undefined when malformed. */
export function parseServerHello(buf: Uint8Array, start: number, end: number): ServerHello | undefined {
  const c = new Cursor(buf, start, end);
  const version = c.u16();
  const random = c.take(32);
  c.vector(1); // session id
  const cipher = c.u16();
  c.u8(); // compression method
  if (c.bad) return undefined;
  let helloRetry = true;
  for (let i = 0; i < 32; i++) if (buf[random.at + i] !== HRR_RANDOM[i]) helloRetry = false;
  let selectedVersion = 0;
  let alpn = '';
  const extensions = readExtensions(c, (type, body) => {
    if (type === EXT.SUPPORTED_VERSIONS) {
      selectedVersion = body.u16();
      return !body.bad;
    }
    if (type === EXT.ALPN) {
      const list = body.vector(2);
      const p = list.vector(1);
      if (!list.bad) alpn = latin1.decode(buf.subarray(p.at, p.end));
      return !list.bad;
    }
    return true;
  });
  if (!extensions) return undefined;
  return { version, cipher, extensions, selectedVersion, alpn, helloRetry };
}

/** The DER certificates of a TLS <= 1.2 Certificate message body, server's own first; undefined when malformed. */
export function parseCertificateList(buf: Uint8Array, start: number, end: number): Uint8Array[] | undefined {
  const c = new Cursor(buf, start, end);
  const list = c.vector(3);
  if (c.bad) return undefined;
  const out: Uint8Array[] = [];
  while (list.left > 0) {
    const cert = list.vector(3);
    if (list.bad) return undefined;
    out.push(buf.subarray(cert.at, cert.end));
  }
  return out;
}
