// Zeek x509.log and ssl.log, TSV or JSON: detection from the first lines, and one line parser
// that turns x509 rows into certificates and ssl rows into server sightings, reporting bad
// lines as file:line problems without losing the good ones.

import { parseIp } from '../../core/ip.js';
import { epochNumberToMs, parseTimeText } from '../logs/field-parsers.js';
import { fieldProblem, formatProblem, jsonLineProblem, recordProblem, type LineProblem, type LineResult } from '../logs/log-parser.js';
import { normalizeCertName, subjectCommonName, type TlsBatch } from './tls-observation.js';
import { unescapeZeek, ZeekTsvHeader } from '../logs/zeek-tsv-header.js';

/** Which log and which layout. */
export type ZeekTlsInput = 'x509-tsv' | 'x509-json' | 'ssl-tsv' | 'ssl-json';

/** The format names imports report. */
export const ZEEK_X509_FORMAT = 'zeek-x509';
export const ZEEK_SSL_FORMAT = 'zeek-ssl';
export type ZeekTlsFormat = typeof ZEEK_X509_FORMAT | typeof ZEEK_SSL_FORMAT;

/** ssl.log keys no other Zeek log has (conn.log shares id.*; JSON leaves unset fields out). */
const SSL_KEYS = ['cipher', 'cert_chain_fuids', 'cert_chain_fps', 'server_name', 'ja3s', 'ssl_history', 'resumed', 'established'];

function jsonKind(o: Record<string, unknown>): 'x509' | 'ssl' | undefined {
  if (o._path === 'x509' || 'certificate.subject' in o || 'certificate.serial' in o) return 'x509';
  if (o._path === 'ssl' || ('id.resp_h' in o && SSL_KEYS.some((k) => k in o))) return 'ssl';
  return undefined;
}

/**
 * Tells a Zeek x509.log or ssl.log from its first lines: TSV with `#path x509`/`#path ssl` (or,
 * without `#path`, a `#fields` line naming certificate.subject, or id.resp_h with cipher), or
 * JSON objects with those keys. Undefined for anything else.
 */
export function detectZeekTls(head: readonly string[]): ZeekTlsInput | undefined {
  let fromFields: 'x509' | 'ssl' | undefined;
  for (const raw of head) {
    const line = raw.charCodeAt(0) === 0xfeff ? raw.slice(1).trim() : raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const path = /^#path\s+(\S+)$/.exec(line);
      if (path) return path[1] === 'x509' ? 'x509-tsv' : path[1] === 'ssl' ? 'ssl-tsv' : undefined;
      if (line.startsWith('#fields')) {
        const fields = line.slice('#fields'.length).trim().split(/\s+/);
        fromFields = fields.includes('certificate.subject') ? 'x509' : fields.includes('id.resp_h') && fields.includes('cipher') ? 'ssl' : undefined;
      }
      continue;
    }
    if (fromFields) return `${fromFields}-tsv`;
    if (!line.startsWith('{')) return undefined;
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
      const kind = jsonKind(o);
      return kind ? `${kind}-json` : undefined;
    } catch {
      return undefined;
    }
  }
  return fromFields ? `${fromFields}-tsv` : undefined;
}

/** One row's fields, whatever the layout: text values ('' when unset), lists, booleans. */
interface RowReader {
  text(name: string): string;
  list(name: string): string[] | LineProblem;
  /** Raw time field: its text and epoch ms (NaN when malformed). */
  time(name: string): { text: string; ms: number };
}

/**
 * A line parser for one Zeek x509.log or ssl.log. `parseLine` appends what a data row yields to
 * `out` and returns true; header, comment and blank lines return false; a bad row returns its
 * problem.
 */
export class ZeekTlsParser {
  readonly format: ZeekTlsFormat;
  private readonly kind: 'x509' | 'ssl';
  private readonly layout: 'tsv' | 'json';
  private readonly header: ZeekTsvHeader;

  constructor(readonly input: ZeekTlsInput) {
    const [kind, layout] = input.split('-') as ['x509' | 'ssl', 'tsv' | 'json'];
    this.kind = kind;
    this.layout = layout;
    this.format = kind === 'x509' ? ZEEK_X509_FORMAT : ZEEK_SSL_FORMAT;
    this.header = new ZeekTsvHeader(kind, (fields) => {
      const missing = (kind === 'x509' ? ['ts'] : ['ts', 'id.resp_h', 'id.resp_p']).filter((f) => !fields.includes(f));
      if (kind === 'x509' && !fields.includes('id') && !fields.includes('fingerprint')) missing.push('id or fingerprint');
      return missing;
    });
  }

  parseLine(text: string, line: number, out: TlsBatch): LineResult {
    if (text.trim() === '') return false;
    if (this.layout === 'json') return this.parseJson(text, line, out);
    if (text.charCodeAt(0) === 35) return this.header.read(text, line);
    const noHeader = this.header.noHeader(text, line);
    if (noHeader) return noHeader;
    return this.parseTsv(text, line, out);
  }

  finish(_lastLine: number): LineProblem | undefined {
    return undefined;
  }

  private parseTsv(text: string, line: number, out: TlsBatch): LineResult {
    const values = this.header.split(text, line);
    if (!Array.isArray(values)) return values;
    const fields = this.header.fields!;
    const raw = (name: string): string => {
      const i = fields.indexOf(name);
      if (i < 0) return '';
      const v = values[i]!;
      return v === this.header.unset || v === this.header.empty ? '' : v;
    };
    const reader: RowReader = {
      text: (name) => unescapeZeek(raw(name)),
      // Split before unescaping: a separator inside an element is written escaped (\x2c).
      list: (name) => {
        const v = raw(name);
        return v === '' ? [] : v.split(this.header.setSeparator).map(unescapeZeek);
      },
      time: (name) => {
        const t = unescapeZeek(raw(name));
        return { text: t, ms: t === '' ? NaN : parseTimeText(t) };
      },
    };
    return this.row(line, reader, out);
  }

  private parseJson(text: string, line: number, out: TlsBatch): LineResult {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      return jsonLineProblem(line, err as Error, text);
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return recordProblem(line, 'not a JSON object');
    const reader: RowReader = {
      text: (name) => {
        const v = o[name];
        return v === undefined || v === null ? '' : typeof v === 'boolean' ? (v ? 'T' : 'F') : String(v);
      },
      list: (name) => {
        const v = o[name];
        if (v === undefined || v === null) return [];
        if (!Array.isArray(v)) return recordProblem(line, `bad value in field '${name}': expected an array, got '${String(v).slice(0, 40)}'`);
        return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
      },
      time: (name) => {
        const v = o[name];
        if (typeof v === 'number') return { text: String(v), ms: epochNumberToMs(v) };
        const t = typeof v === 'string' ? v : '';
        return { text: t, ms: t === '' ? NaN : parseTimeText(t) };
      },
    };
    return this.row(line, reader, out);
  }

  private row(line: number, r: RowReader, out: TlsBatch): LineResult {
    const ts = r.time('ts');
    if (ts.text === '') return fieldProblem(line, 'missing value', 'ts', '');
    if (Number.isNaN(ts.ms)) return fieldProblem(line, 'bad time', 'ts', ts.text);
    return this.kind === 'x509' ? this.certificate(line, r, ts.ms, out) : this.sighting(line, r, ts.ms, out);
  }

  private certificate(line: number, r: RowReader, ts: number, out: TlsBatch): LineResult {
    const fingerprint = r.text('fingerprint').toLowerCase();
    const ref = fingerprint !== '' ? fingerprint : r.text('id');
    if (ref === '') return fieldProblem(line, 'missing value', r.text('id') === '' && this.header.fields?.includes('fingerprint') ? 'fingerprint' : 'id', '');
    const bound = (name: string): number | null | LineProblem => {
      const t = r.time(name);
      if (t.text === '') return null;
      return Number.isNaN(t.ms) ? fieldProblem(line, 'bad time', name, t.text) : t.ms;
    };
    const notBefore = bound('certificate.not_valid_before');
    if (typeof notBefore === 'object' && notBefore !== null) return notBefore;
    const notAfter = bound('certificate.not_valid_after');
    if (typeof notAfter === 'object' && notAfter !== null) return notAfter;
    const lengthText = r.text('certificate.key_length');
    const keyLength = lengthText === '' ? null : Number(lengthText);
    if (keyLength !== null && !(Number.isSafeInteger(keyLength) && keyLength >= 0)) return fieldProblem(line, 'bad number', 'certificate.key_length', lengthText);
    const sanDns = r.list('san.dns');
    if (!Array.isArray(sanDns)) return sanDns;
    const sanIp = r.list('san.ip');
    if (!Array.isArray(sanIp)) return sanIp;
    const ca = r.text('basic_constraints.ca');
    const subject = r.text('certificate.subject');
    out.certificates.push({
      ref,
      // Zeek's x509 `fingerprint` is the SHA-256 of the DER certificate (x509_log_hash default).
      sha256: /^[0-9a-f]{64}$/.test(fingerprint) ? fingerprint : '',
      subject,
      cn: subjectCommonName(subject),
      issuer: r.text('certificate.issuer'),
      serial: r.text('certificate.serial'),
      notBefore,
      notAfter,
      keyAlg: r.text('certificate.key_alg'),
      keyType: r.text('certificate.key_type'),
      keyLength,
      sigAlg: r.text('certificate.sig_alg'),
      sanDns: sanDns.map(normalizeCertName).filter((n) => n !== ''),
      sanIp: sanIp.map((s) => s.trim()).filter((s) => s !== ''),
      isCa: ca === 'T' ? true : ca === 'F' ? false : null,
      firstSeen: ts,
      lastSeen: ts,
      count: 1,
    });
    return true;
  }

  private sighting(line: number, r: RowReader, ts: number, out: TlsBatch): LineResult {
    const ipText = r.text('id.resp_h');
    const ip = parseIp(ipText);
    if (ip === undefined) return fieldProblem(line, ipText === '' ? 'missing value' : 'bad address', 'id.resp_h', ipText);
    const portText = r.text('id.resp_p');
    const port = Number(portText);
    if (portText === '' || !Number.isInteger(port) || port < 0 || port > 65535) return fieldProblem(line, portText === '' ? 'missing value' : 'bad number', 'id.resp_p', portText);
    // Current Zeek logs SHA-256 fingerprints (cert_chain_fps), older versions file ids.
    const chain = this.hasField(r, 'cert_chain_fps') ? r.list('cert_chain_fps') : r.list('cert_chain_fuids');
    if (!Array.isArray(chain)) return chain;
    const first = (chain[0] ?? '').trim();
    out.sightings.push({
      ref: /^[0-9a-fA-F]{64}$/.test(first) ? first.toLowerCase() : first,
      ip,
      port,
      serverName: normalizeCertName(r.text('server_name')),
      ja3s: r.text('ja3s').toLowerCase(),
      established: r.text('established') === 'T' ? true : r.text('established') === 'F' ? false : null,
      firstSeen: ts,
      lastSeen: ts,
      count: 1,
    });
    return true;
  }

  private hasField(r: RowReader, name: string): boolean {
    if (this.layout === 'tsv') return this.header.fields!.includes(name);
    const v = r.list(name);
    return Array.isArray(v) && v.length > 0;
  }
}
