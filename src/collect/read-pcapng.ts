// pcapng files: section header, interface description, enhanced / simple / obsolete packet
// blocks; several sections and interfaces, either byte order, per-interface time resolution.

import type { ByteStream } from './byte-stream.js';
import type { CaptureFrame, CaptureProblem } from './capture-frame.js';

const SHB = 0x0a0d0d0a;
const IDB = 1;
const OPB = 2;
const SPB = 3;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const MAX_BLOCK = 256 * 1024 * 1024;

/** True when the first four bytes are a pcapng section header block type. */
export function isPcapngMagic(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x0a && head[1] === 0x0d && head[2] === 0x0d && head[3] === 0x0a;
}

interface Interface {
  readonly linkType: number;
  readonly snapLength: number;
  /** Timestamp units per second (if_tsresol, default microseconds). */
  readonly unitsPerSecond: number;
  /** if_tsoffset, seconds to add. */
  readonly offsetSeconds: number;
}

/**
 * Yields the packets of a pcapng stream. Interfaces are numbered per section, as the format
 * says; a packet naming an interface that was not described is reported and skipped.
 */
export function* readPcapng(stream: ByteStream, problems: CaptureProblem[]): Generator<CaptureFrame> {
  let little = true;
  let interfaces: Interface[] = [];
  let packetNumber = 0;
  while (stream.ensure(1)) {
    const offset = stream.position;
    // A block too damaged to read is reported as the packet it would have been, as pcap does.
    const next = packetNumber + 1;
    if (!stream.ensure(12)) {
      problems.push({ code: 'CAPTURE_TRUNCATED', offset, packetNumber: next, message: 'block header is cut short' });
      return;
    }
    const head = stream.peek(12);
    let hv = new DataView(head.buffer, head.byteOffset, 12);
    const typeBE = hv.getUint32(0);
    if (typeBE === SHB) {
      // The byte-order magic decides how to read everything in the section, this block included.
      const magic = hv.getUint32(8, true);
      if (magic === BYTE_ORDER_MAGIC) little = true;
      else if (hv.getUint32(8, false) === BYTE_ORDER_MAGIC) little = false;
      else {
        problems.push({ code: 'CAPTURE_BAD_BLOCK', offset, packetNumber: next, message: 'section header has no byte-order magic' });
        return;
      }
      interfaces = [];
    }
    const type = hv.getUint32(0, little);
    const length = hv.getUint32(4, little);
    if (length < 12 || length % 4 !== 0 || length > MAX_BLOCK) {
      problems.push({ code: 'CAPTURE_BAD_BLOCK', offset, packetNumber: next, message: `block of type ${type} has impossible length ${length}` });
      return;
    }
    if (!stream.ensure(length)) {
      problems.push({ code: 'CAPTURE_TRUNCATED', offset, packetNumber: next, message: `block of type ${type} is cut short (${length} bytes announced)` });
      return;
    }
    const block = stream.take(length);
    hv = new DataView(block.buffer, block.byteOffset, length);
    switch (type) {
      case IDB: {
        if (length < 20) break;
        interfaces.push(readInterface(hv, length, little));
        break;
      }
      case EPB:
      case OPB: {
        if (length < 32) break;
        packetNumber++;
        const id = type === EPB ? hv.getUint32(8, little) : hv.getUint16(8, little);
        const iface = interfaces[id];
        if (!iface) {
          problems.push({ code: 'CAPTURE_NO_INTERFACE', offset, packetNumber, message: `packet ${packetNumber} names undescribed interface ${id}` });
          break;
        }
        const high = hv.getUint32(12, little);
        const low = hv.getUint32(16, little);
        const captured = Math.min(hv.getUint32(20, little), length - 32);
        const original = hv.getUint32(24, little);
        const timestamp = toMillis(high, low, iface.unitsPerSecond) + iface.offsetSeconds * 1000;
        yield { packetNumber, linkType: iface.linkType, timestamp, data: block.subarray(28, 28 + captured), originalLength: original, interfaceId: id, fileOffset: offset };
        break;
      }
      case SPB: {
        if (length < 16) break;
        packetNumber++;
        const iface = interfaces[0];
        if (!iface) {
          problems.push({ code: 'CAPTURE_NO_INTERFACE', offset, packetNumber, message: `packet ${packetNumber} (simple block) precedes any interface` });
          break;
        }
        const original = hv.getUint32(8, little);
        let captured = Math.min(original, length - 16);
        if (iface.snapLength > 0) captured = Math.min(captured, iface.snapLength);
        // Simple packet blocks carry no time: use 0 and let consumers fall back on their own clock.
        yield { packetNumber, linkType: iface.linkType, timestamp: 0, data: block.subarray(12, 12 + captured), originalLength: original, interfaceId: 0, fileOffset: offset };
        break;
      }
      default:
      // Section headers were handled above; name resolution, statistics, custom blocks: skipped.
    }
  }
}

/**
 * A 64-bit timestamp in `unitsPerSecond` as epoch milliseconds. Dividing a count below 2^53 by
 * units-per-millisecond is exact; beyond (nanosecond counts are ~1.7e18), bigints are.
 */
function toMillis(high: number, low: number, unitsPerSecond: number): number {
  const units = high * 4294967296 + low;
  if (units <= Number.MAX_SAFE_INTEGER && unitsPerSecond % 1000 === 0) return Math.floor(units / (unitsPerSecond / 1000));
  return Number((((BigInt(high) << 32n) | BigInt(low)) * 1000n) / BigInt(unitsPerSecond));
}

function readInterface(view: DataView, length: number, little: boolean): Interface {
  const linkType = view.getUint16(8, little);
  const snapLength = view.getUint32(12, little);
  let unitsPerSecond = 1_000_000;
  let offsetSeconds = 0;
  let p = 16;
  const end = length - 4;
  while (p + 4 <= end) {
    const code = view.getUint16(p, little);
    const optionLength = view.getUint16(p + 2, little);
    const value = p + 4;
    if (code === 0 || value + optionLength > end) break;
    if (code === 9 && optionLength >= 1) {
      const resolution = view.getUint8(value);
      unitsPerSecond = resolution & 0x80 ? 2 ** (resolution & 0x7f) : 10 ** resolution;
    } else if (code === 14 && optionLength >= 8) {
      offsetSeconds = Number(view.getBigInt64(value, little));
    }
    p = value + Math.ceil(optionLength / 4) * 4;
  }
  return { linkType, snapLength, unitsPerSecond, offsetSeconds };
}
