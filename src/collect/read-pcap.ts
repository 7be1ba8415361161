// Classic libpcap files: both byte orders, microsecond and nanosecond timestamps.

import type { ByteStream } from './byte-stream.js';
import type { CaptureFrame, CaptureProblem } from './capture-frame.js';

/** Magic numbers as read big-endian from the first four bytes. */
export const PCAP_MAGIC = {
  MICROS_BE: 0xa1b2c3d4,
  MICROS_LE: 0xd4c3b2a1,
  NANOS_BE: 0xa1b23c4d,
  NANOS_LE: 0x4d3cb2a1,
} as const;

/** No sane capture record is larger; a bigger length means a corrupt file, not a big packet. */
const MAX_RECORD = 256 * 1024 * 1024;

/** True when the first four bytes are a pcap magic number. */
export function isPcapMagic(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const magic = ((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0;
  return magic === PCAP_MAGIC.MICROS_BE || magic === PCAP_MAGIC.MICROS_LE || magic === PCAP_MAGIC.NANOS_BE || magic === PCAP_MAGIC.NANOS_LE;
}

/**
 * Yields the frames of a pcap stream positioned at its global header. Problems (a cut last
 * record, an impossible record length) are appended to `problems` and end the iteration.
 */
export function* readPcap(stream: ByteStream, problems: CaptureProblem[]): Generator<CaptureFrame> {
  if (!stream.ensure(24)) {
    problems.push({ code: 'CAPTURE_TRUNCATED', offset: 0, packetNumber: 0, message: 'pcap global header is cut short' });
    return;
  }
  const header = stream.take(24);
  const hv = new DataView(header.buffer, header.byteOffset, 24);
  const magic = hv.getUint32(0);
  const little = magic === PCAP_MAGIC.MICROS_LE || magic === PCAP_MAGIC.NANOS_LE;
  const nanos = magic === PCAP_MAGIC.NANOS_BE || magic === PCAP_MAGIC.NANOS_LE;
  // The upper bits of the link-type field carry FCS information (pcap-savefile(5)).
  const linkType = hv.getUint32(20, little) & 0xffff;
  let packetNumber = 0;
  while (stream.ensure(1)) {
    const offset = stream.position;
    packetNumber++;
    if (!stream.ensure(16)) {
      problems.push({ code: 'CAPTURE_TRUNCATED', offset, packetNumber, message: `record header of packet ${packetNumber} is cut short` });
      return;
    }
    const rec = stream.peek(16);
    const rv = new DataView(rec.buffer, rec.byteOffset, 16);
    const seconds = rv.getUint32(0, little);
    const fraction = rv.getUint32(4, little);
    const included = rv.getUint32(8, little);
    const original = rv.getUint32(12, little);
    if (included > MAX_RECORD) {
      problems.push({ code: 'CAPTURE_BAD_BLOCK', offset, packetNumber, message: `packet ${packetNumber} claims ${included} captured bytes` });
      return;
    }
    if (!stream.ensure(16 + included)) {
      problems.push({ code: 'CAPTURE_TRUNCATED', offset, packetNumber, message: `packet ${packetNumber} is cut short (${included} bytes announced)` });
      return;
    }
    stream.take(16);
    const data = stream.take(included);
    const timestamp = seconds * 1000 + Math.floor(nanos ? fraction / 1_000_000 : fraction / 1000);
    yield { packetNumber, linkType, timestamp, data, originalLength: original, interfaceId: 0, fileOffset: offset };
  }
}
