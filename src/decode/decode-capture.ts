// Decodes captured export traffic: capture frames -> UDP datagrams -> flow records, one
// datagram at a time, with template state carried along (and across files by the caller).

import type { CaptureSource } from '../collect/capture-file.js';
import { RAW_DATAGRAM_LINKTYPE } from '../collect/capture-frame.js';
import type { Ip } from '../core/ip.js';
import { decodeExportDatagram } from './decode-export-datagram.js';
import type { DecodeResult } from './decode-result.js';
import type { DecoderState } from './decoder-state.js';
import { UdpDatagramExtractor } from './packet/udp-datagram-extractor.js';

/** One decoded datagram of a capture, with where it came from. */
export interface DecodedDatagram {
  readonly packetNumber: number;
  readonly exporter: Ip;
  readonly receivedAt: number;
  readonly sport: number;
  readonly dport: number;
  readonly result: DecodeResult;
}

/** Options of {@link decodeCapture}. */
export interface DecodeCaptureOptions {
  /** Use this exporter address instead of the datagram's source (raw datagram files have none: 0.0.0.0). */
  readonly exporter?: Ip;
  /** Only UDP datagrams to (or from) these ports; all UDP when absent. */
  readonly ports?: ReadonlySet<number>;
  /** Shared extractor, to read its counters after several files. */
  readonly extractor?: UdpDatagramExtractor;
}

/**
 * Yields every UDP datagram of a capture decoded with `state`. Datagrams that are not flow
 * exports come back with a DECODE_BAD_VERSION error, like any other bad datagram.
 */
export function* decodeCapture(source: CaptureSource, state: DecoderState, options: DecodeCaptureOptions = {}): Generator<DecodedDatagram> {
  const extractor = options.extractor ?? new UdpDatagramExtractor();
  for (const frame of source.frames()) {
    if (frame.linkType === RAW_DATAGRAM_LINKTYPE) {
      const exporter = options.exporter ?? 0;
      yield { packetNumber: frame.packetNumber, exporter, receivedAt: frame.timestamp, sport: 0, dport: 0, result: decodeExportDatagram(frame.data, exporter, frame.timestamp, state) };
      continue;
    }
    const datagram = extractor.extract(frame.data, frame.linkType, frame.timestamp);
    if (!datagram) continue;
    if (options.ports && !options.ports.has(datagram.dport) && !options.ports.has(datagram.sport)) continue;
    const exporter = options.exporter ?? datagram.src;
    yield {
      packetNumber: frame.packetNumber,
      exporter,
      receivedAt: frame.timestamp,
      sport: datagram.sport,
      dport: datagram.dport,
      result: decodeExportDatagram(datagram.payload, exporter, frame.timestamp, state),
    };
  }
}
