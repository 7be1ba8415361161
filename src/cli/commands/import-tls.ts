// The Zeek x509.log / ssl.log branch of `vantage import`: parses lines into certificates and
// TLS server sightings and writes them to their tables after each batch, so the importer's
// loop only needs a parser, a take() per batch and counts for its summary line.

import { formatIp } from '../../core/ip.js';
import type { LineProblem, LineResult } from '../../decode/logs/log-parser.js';
import type { TlsBatch, TlsSighting } from '../../decode/tls/tls-observation.js';
import type { ServiceObservation } from '../../decode/services/service-observation.js';
import { ServicesWriter } from '../../store/services-table.js';
import { ZeekTlsParser, type ZeekTlsFormat, type ZeekTlsInput } from '../../decode/tls/zeek-tls-parser.js';
import { CertificateWriter, SightingWriter } from '../../store/certificate-tables.js';
import type { SideTableStore } from '../../store/side-table-rows.js';

export { detectZeekTls, type ZeekTlsFormat, type ZeekTlsInput } from '../../decode/tls/zeek-tls-parser.js';

/** Counts for a file's summary: x509.log gives certificates, ssl.log sightings of servers. */
export interface TlsImportCounts {
  readonly certificates?: number;
  readonly sightings?: number;
  readonly servers?: number;
}

/** One file's TLS import: its parser, writers and counts. */
export class TlsFileImport {
  readonly format: ZeekTlsFormat;
  private readonly parser: ZeekTlsParser;
  private readonly batch: TlsBatch = { certificates: [], sightings: [] };
  private readonly certificateWriter?: CertificateWriter;
  private readonly sightingWriter?: SightingWriter;
  private readonly servicesWriter?: ServicesWriter;
  private certificates = 0;
  private sightings = 0;
  private readonly servers = new Set<string>();

  /** Without a store (a plain sink) rows are counted, not written. */
  constructor(input: ZeekTlsInput, store: SideTableStore | undefined) {
    this.parser = new ZeekTlsParser(input);
    this.format = this.parser.format;
    if (store) {
      this.certificateWriter = new CertificateWriter(store);
      this.sightingWriter = new SightingWriter(store);
      this.servicesWriter = new ServicesWriter(store);
    }
  }

  parseLine(text: string, line: number): LineResult {
    return this.parser.parseLine(text, line, this.batch);
  }

  finish(lastLine: number): LineProblem | undefined {
    return this.parser.finish(lastLine);
  }

  /** Hands what the lines so far yielded to the writers (call after each batch of lines). */
  async take(): Promise<void> {
    const certs = this.batch.certificates.splice(0);
    const seen = this.batch.sightings.splice(0);
    this.certificates += certs.length;
    this.sightings += seen.length;
    for (const s of seen) this.servers.add(`${formatIp(s.ip)} ${s.port}`);
    await this.certificateWriter?.add(certs);
    await this.sightingWriter?.add(seen);
    // A server that completed a TLS handshake is a service: ssl.log's `established`, or where the
    // log does not say, a ServerHello it answered with (a JA3S or a certificate).
    await this.servicesWriter?.add(seen.filter((s) => s.established ?? (s.ja3s !== '' || s.ref !== '')).map((s) => tlsService(s)));
  }

  /** Takes the rest and writes everything buffered. */
  async flush(): Promise<void> {
    await this.take();
    await this.certificateWriter?.flush();
    await this.sightingWriter?.flush();
    await this.servicesWriter?.flush();
  }

  /** The counts for the summary. */
  counts(): TlsImportCounts {
    return this.format === 'zeek-x509' ? { certificates: this.certificates } : { sightings: this.sightings, servers: this.servers.size };
  }
}

/** The services table's source for TLS servers seen in Zeek's ssl.log. */
export const ZEEK_SSL_SOURCE = 'zeek-ssl';

/** A TLS server sighting as a service observation (service `ssl`). */
function tlsService(s: TlsSighting): ServiceObservation {
  return { ip: formatIp(s.ip), port: s.port, transport: 'tcp', source: ZEEK_SSL_SOURCE, service: 'ssl', product: '', banner: '', firstSeen: s.firstSeen, lastSeen: s.lastSeen, count: s.count };
}

/** The summary words for a TLS file's rows, e.g. " as 154 certificates" or " as 205 TLS sightings of 80 servers". */
export function tlsSummaryWords(c: TlsImportCounts): string | undefined {
  if (c.certificates !== undefined) return ` as ${c.certificates} certificates`;
  if (c.sightings !== undefined) return ` as ${c.sightings} TLS sightings${c.servers !== undefined ? ` of ${c.servers} servers` : ''}`;
  return undefined;
}
