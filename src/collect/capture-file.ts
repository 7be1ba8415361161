// Opens a capture of export traffic (pcap, pcapng, or one raw datagram as in a .dat file),
// tells the kind from its first bytes and yields its frames, undecoded.

import { statSync } from 'node:fs';
import { VantageError } from '../core/errors.js';
import { ByteStream } from './byte-stream.js';
import { RAW_DATAGRAM_LINKTYPE, type CaptureFrame, type CaptureProblem } from './capture-frame.js';
import { isPcapMagic, readPcap } from './read-pcap.js';
import { isPcapngMagic, readPcapng } from './read-pcapng.js';

/** Container kinds `openCaptureFile` reads. */
export type CaptureKind = 'pcap' | 'pcapng' | 'datagram';

/** Raw datagrams larger than this are not a single UDP payload. */
const MAX_DATAGRAM = 65_535;

/** An opened capture: its kind, its frames (read lazily, once) and the problems met so far. */
export interface CaptureSource {
  readonly name: string;
  readonly kind: CaptureKind;
  readonly problems: CaptureProblem[];
  frames(): Generator<CaptureFrame>;
  close(): void;
}

/**
 * The kind of a capture from its first bytes: pcap and pcapng by magic number; a raw datagram
 * when it starts like a flow export (NetFlow 5/9, IPFIX 10 as a 16-bit version, sFlow 5 as a
 * 32-bit one). Undefined otherwise.
 */
export function detectCaptureKind(head: Uint8Array): CaptureKind | undefined {
  if (isPcapMagic(head)) return 'pcap';
  if (isPcapngMagic(head)) return 'pcapng';
  if (head.length >= 4) {
    const v16 = (head[0]! << 8) | head[1]!;
    if (v16 === 5 || v16 === 9 || v16 === 10) return 'datagram';
    if (v16 === 0 && ((head[2]! << 8) | head[3]!) === 5) return 'datagram';
  }
  return undefined;
}

function sourceOf(name: string, stream: ByteStream, kind: CaptureKind, mtime: number): CaptureSource {
  const problems: CaptureProblem[] = [];
  return {
    name,
    kind,
    problems,
    frames() {
      if (kind === 'pcap') return readPcap(stream, problems);
      if (kind === 'pcapng') return readPcapng(stream, problems);
      return readDatagram(stream, problems, mtime);
    },
    close: () => stream.close(),
  };
}

function* readDatagram(stream: ByteStream, problems: CaptureProblem[], mtime: number): Generator<CaptureFrame> {
  stream.ensure(MAX_DATAGRAM + 1);
  const size = stream.available;
  if (size > MAX_DATAGRAM) {
    problems.push({ code: 'CAPTURE_BAD_BLOCK', offset: 0, packetNumber: 1, message: `a raw datagram file holds one UDP payload; this one has more than ${MAX_DATAGRAM} bytes` });
    return;
  }
  const data = stream.take(size);
  yield { packetNumber: 1, linkType: RAW_DATAGRAM_LINKTYPE, timestamp: mtime, data, originalLength: size, interfaceId: 0, fileOffset: 0 };
}

/**
 * Opens a capture file. Throws a VantageError (IMPORT_FILE) when it cannot be read and
 * (IMPORT_FORMAT) when it is none of the known kinds. Raw datagram frames are stamped with the
 * file's modification time, the best receive time there is for them.
 */
export function openCaptureFile(path: string): CaptureSource {
  let stream: ByteStream;
  let mtime: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new VantageError('IMPORT_FILE', `${path} is a directory, not a capture file`, { file: path });
    mtime = Math.floor(stat.mtimeMs);
    stream = ByteStream.fromFile(path);
  } catch (err) {
    if (err instanceof VantageError) throw err;
    throw new VantageError('IMPORT_FILE', `cannot read ${path}: ${(err as Error).message}`, { file: path });
  }
  try {
    stream.ensure(4);
  } catch (err) {
    stream.close();
    throw new VantageError('IMPORT_FILE', `cannot read ${path}: ${(err as Error).message}`, { file: path });
  }
  const kind = detectCaptureKind(stream.peek(Math.min(4, stream.available)));
  if (!kind) {
    stream.close();
    throw new VantageError('IMPORT_FORMAT', `${path} is not a pcap, pcapng or raw NetFlow/IPFIX/sFlow datagram file`, { file: path });
  }
  return sourceOf(path, stream, kind, mtime);
}

/** A capture held in memory (tests, the API); same detection and errors as {@link openCaptureFile}. */
export function openCaptureBytes(bytes: Uint8Array, name = '<memory>', timestamp = 0): CaptureSource {
  const kind = detectCaptureKind(bytes.subarray(0, 4));
  if (!kind) throw new VantageError('IMPORT_FORMAT', `${name} is not a pcap, pcapng or raw NetFlow/IPFIX/sFlow datagram file`, { file: name });
  return sourceOf(name, ByteStream.fromBytes(bytes), kind, timestamp);
}
