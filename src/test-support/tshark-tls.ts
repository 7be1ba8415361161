// Test helper: what tshark's own TLS dissector reads from a capture (hellos with their lists,
// JA3/JA3S, the raw handshake bytes it reassembled, the DER certificates), the independent source
// the TLS parser, fingerprints and extractor tests compare against.

import { spawnSync } from 'node:child_process';

/** A ClientHello as tshark dissects it. */
export interface TsharkClientHello {
  readonly frame: number;
  readonly timeMs: number;
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  /** The whole handshake message (type, length, body) as tshark reassembled it, hex. */
  readonly raw: string;
  readonly version: number;
  readonly ciphers: number[];
  readonly extensions: number[];
  readonly groups: number[];
  readonly pointFormats: number[];
  /** signature_algorithms (extension 13) only, in wire order. */
  readonly sigAlgs: number[];
  readonly supportedVersions: number[];
  readonly alpn: string[];
  readonly sni: string;
  readonly ja3: string;
  readonly ja3Full: string;
}

/** A ServerHello as tshark dissects it. */
export interface TsharkServerHello {
  readonly frame: number;
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly raw: string;
  readonly version: number;
  readonly cipher: number;
  readonly extensions: number[];
  readonly selectedVersion: number;
  readonly ja3s: string;
  readonly ja3sFull: string;
}

type Json = Record<string, unknown>;

/**
 * Settings beyond tshark's defaults: TLS on 8080 (the stopddos capture) and reassembly of
 * out-of-order segments (malware.pcap's hobbeach.com certificate arrives out of order).
 */
const EXTRA_TLS_PORTS = ['-d', 'tcp.port==8080,tls', '-o', 'tcp.reassemble_out_of_order:TRUE'];

function run(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const num = (v: unknown): number => Number(v);

/** Every object under `o` (depth first, document order) that holds `key`. */
function findAll(o: unknown, key: string, out: Json[] = []): Json[] {
  if (Array.isArray(o)) for (const x of o) findAll(x, key, out);
  else if (o !== null && typeof o === 'object') {
    if (key in (o as Json)) out.push(o as Json);
    for (const v of Object.values(o as Json)) findAll(v, key, out);
  }
  return out;
}

/** The extension objects of a handshake, in wire order. */
function extensionsOf(hs: Json): Json[] {
  const out: Json[] = [];
  for (const [k, v] of Object.entries(hs)) if (k.startsWith('Extension: ')) for (const e of list(v)) out.push(e as Json);
  return out;
}

function field(o: Json, name: string): unknown[] {
  return findAll(o, name).flatMap((x) => list(x[name]));
}

function endpoints(layers: Json) {
  const ip = (layers.ip ?? layers.ipv6) as Json;
  const v6 = layers.ip === undefined;
  const tcp = layers.tcp as Json;
  return {
    src: String(ip[v6 ? 'ipv6.src' : 'ip.src']),
    dst: String(ip[v6 ? 'ipv6.dst' : 'ip.dst']),
    sport: num(tcp['tcp.srcport']),
    dport: num(tcp['tcp.dstport']),
  };
}

function handshakes(file: string, type: 1 | 2): { layers: Json; hs: Json }[] {
  const text = run(['-r', file, ...EXTRA_TLS_PORTS, '-Y', `tls.handshake.type==${type}`, '-T', 'json', '-x', '--no-duplicate-keys', '-J', 'frame ip ipv6 tcp tls']);
  const frames = JSON.parse(text) as { _source: { layers: Json } }[];
  const out: { layers: Json; hs: Json }[] = [];
  for (const f of frames) {
    const layers = f._source.layers;
    for (const hs of findAll(layers.tls, 'tls.handshake.type')) if (num(hs['tls.handshake.type']) === type) out.push({ layers, hs });
  }
  return out;
}

function rawHex(hs: Json, name: string): string {
  return String(list(findAll(hs, `${name}_raw`)[0]?.[`${name}_raw`])[0] ?? '');
}

/** The ClientHellos of a capture, in frame order. */
export function tsharkClientHellos(file: string): TsharkClientHello[] {
  return handshakes(file, 1).map(({ layers, hs }) => {
    const frame = layers.frame as Json;
    const exts = extensionsOf(hs);
    const ext = (type: number) => exts.find((e) => num(e['tls.handshake.extension.type']) === type);
    const sig = ext(13);
    return {
      frame: num(frame['frame.number']),
      timeMs: Math.floor(Number(frame['frame.time_epoch']) * 1000),
      ...endpoints(layers),
      raw: rawHex(layers.tls as Json, 'tls.handshake'),
      version: num(hs['tls.handshake.version']),
      ciphers: field(hs, 'tls.handshake.ciphersuite').map(num),
      extensions: exts.map((e) => num(e['tls.handshake.extension.type'])),
      groups: field(hs, 'tls.handshake.extensions_supported_group').map(num),
      pointFormats: field(hs, 'tls.handshake.extensions_ec_point_format').map(num),
      sigAlgs: sig ? field(sig, 'tls.handshake.sig_hash_alg').map(num) : [],
      supportedVersions: field(hs, 'tls.handshake.extensions.supported_version').map(num),
      alpn: field(hs, 'tls.handshake.extensions_alpn_str').map(String),
      sni: String(field(hs, 'tls.handshake.extensions_server_name')[0] ?? ''),
      ja3: String(hs['tls.handshake.ja3'] ?? ''),
      ja3Full: String(hs['tls.handshake.ja3_full'] ?? ''),
    };
  });
}

/** The ServerHellos of a capture, in frame order. */
export function tsharkServerHellos(file: string): TsharkServerHello[] {
  return handshakes(file, 2).map(({ layers, hs }) => {
    const exts = extensionsOf(hs);
    return {
      frame: num((layers.frame as Json)['frame.number']),
      ...endpoints(layers),
      raw: rawHex(layers.tls as Json, 'tls.handshake'),
      version: num(hs['tls.handshake.version']),
      cipher: num(hs['tls.handshake.ciphersuite']),
      extensions: exts.map((e) => num(e['tls.handshake.extension.type'])),
      selectedVersion: num(field(hs, 'tls.handshake.extensions.supported_version')[0] ?? 0),
      ja3s: String(hs['tls.handshake.ja3s'] ?? ''),
      ja3sFull: String(hs['tls.handshake.ja3s_full'] ?? ''),
    };
  });
}

/** The DER certificates of each Certificate message, hex, server's own first. */
export function tsharkCertificates(file: string): { frame: number; src: string; sport: number; der: string[] }[] {
  const text = run(['-r', file, ...EXTRA_TLS_PORTS, '-Y', 'tls.handshake.type==11', '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number', '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'tls.handshake.certificate']);
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [frame, src, sport, certs] = l.split('\t');
      return { frame: Number(frame), src: src!, sport: Number(sport), der: certs!.split(',') };
    });
}
