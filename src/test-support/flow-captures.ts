// Test helpers for the flow-export decoders: decode shared captures in order, pull their UDP
// payloads, run tshark over them and group its PDML output per flow record, mutate datagrams.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCaptureFile } from '../collect/capture-file.js';
import type { Ip } from '../core/ip.js';
import { decodeCapture } from '../decode/decode-capture.js';
import { decodeExportDatagram } from '../decode/decode-export-datagram.js';
import type { DecodeResult } from '../decode/decode-result.js';
import type { DecodedFlow } from '../decode/decoded-flow.js';
import { createDecoderState, type DecoderOptions, type DecoderState } from '../decode/decoder-state.js';
import { UdpDatagramExtractor } from '../decode/packet/udp-datagram-extractor.js';
import { sharedDataPath } from './shared-data.js';

/** Everything decoding a list of captures produced. */
export interface DecodedCaptures {
  readonly records: DecodedFlow[];
  readonly results: DecodeResult[];
  readonly state: DecoderState;
}

/** Shared-data paths of captures, or undefined (after the helper's notice) when one is missing. */
export function capturePaths(rels: readonly string[]): string[] | undefined {
  const paths = rels.map((r) => sharedDataPath(r));
  return paths.every((p) => p !== undefined) ? (paths as string[]) : undefined;
}

/**
 * Decodes shared captures in order with one state, the way `vantage decode` does. `exporter`
 * overrides the datagrams' source (akvorado's tests decode everything as from 127.0.0.1).
 */
export function decodeShared(rels: readonly string[], options: { exporter?: Ip; decoder?: DecoderOptions; state?: DecoderState } = {}): DecodedCaptures {
  const paths = capturePaths(rels);
  if (!paths) throw new Error(`missing shared capture among ${rels.join(', ')}`);
  const state = options.state ?? createDecoderState(options.decoder);
  const records: DecodedFlow[] = [];
  const results: DecodeResult[] = [];
  for (const path of paths) {
    const source = openCaptureFile(path);
    try {
      for (const d of decodeCapture(source, state, { exporter: options.exporter })) {
        results.push(d.result);
        records.push(...d.result.records);
      }
    } finally {
      source.close();
    }
  }
  return { records, results, state };
}

/** One UDP payload of a capture, copied out of the reader's buffer. */
export interface CapturedDatagram {
  readonly bytes: Uint8Array;
  readonly exporter: Ip;
  readonly receivedAt: number;
}

/** The UDP payloads (or the raw datagram) of a shared capture, in order. */
export function datagramsOf(rel: string): CapturedDatagram[] {
  const path = sharedDataPath(rel);
  if (!path) return [];
  const source = openCaptureFile(path);
  const extractor = new UdpDatagramExtractor();
  const out: CapturedDatagram[] = [];
  try {
    for (const frame of source.frames()) {
      if (source.kind === 'datagram') {
        out.push({ bytes: frame.data.slice(), exporter: 0, receivedAt: frame.timestamp });
        continue;
      }
      const d = extractor.extract(frame.data, frame.linkType, frame.timestamp);
      if (d) out.push({ bytes: d.payload.slice(), exporter: d.src, receivedAt: frame.timestamp });
    }
  } finally {
    source.close();
  }
  return out;
}

/** Decodes datagrams one after another with one state; returns every result. */
export function decodeAll(datagrams: readonly CapturedDatagram[], state = createDecoderState()): DecodeResult[] {
  return datagrams.map((d) => decodeExportDatagram(d.bytes, d.exporter, d.receivedAt, state));
}



/** The fields tshark showed for one flow record (v5 pdu, v9/IPFIX "Flow N", sFlow sample). */
export type TsharkRecord = Map<string, string[]>;

/**
 * Runs tshark with `-T pdml` and splits its output into records: a new record starts at each
 * `pdu N/M` (v5), `Flow N` (v9/IPFIX) or flow sample (sFlow) node; `fields` lists the PDML field
 * names to keep (the `show` attribute, in order of appearance). Frame numbers come with each record.
 */
export function tsharkRecords(file: string, decodeAs: readonly string[], fields: readonly string[]): { frame: number; fields: TsharkRecord }[] {
  const args = ['-r', file, '-T', 'pdml'];
  for (const d of decodeAs) args.push('-d', d);
  const run = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`tshark failed: ${run.stderr}`);
  const wanted = new Set(fields);
  const records: { frame: number; fields: TsharkRecord }[] = [];
  let frame = 0;
  let current: TsharkRecord | null = null;
  const recordStart = /<field name="" show="(pdu \d+\/\d+|Flow \d+)"|<field name="sflow_245\.sampletype"[^>]*show="(\d+)"/;
  for (const line of run.stdout.split('\n')) {
    const frameMatch = /<field name="frame\.number"[^>]*show="(\d+)"/.exec(line);
    if (frameMatch) {
      frame = Number(frameMatch[1]);
      current = null;
      continue;
    }
    const start = recordStart.exec(line);
    if (start) {
      // sFlow: only flow samples (1) and expanded flow samples (3) make records.
      if (start[2] !== undefined && start[2] !== '1' && start[2] !== '3') {
        current = null;
        continue;
      }
      current = new Map();
      records.push({ frame, fields: current });
      continue;
    }
    if (!current) continue;
    const field = /<field name="([^"]+)"[^>]*show="([^"]*)"/.exec(line);
    if (field && wanted.has(field[1]!)) {
      const list = current.get(field[1]!) ?? [];
      list.push(field[2]!);
      current.set(field[1]!, list);
    }
  }
  return records;
}

/**
 * Runs `tsharkRecords` over several classic pcaps as one (tshark keeps templates only within a
 * file): their packets are written in order to a temporary pcap, removed afterwards.
 */
export function tsharkRecordsOf(paths: readonly string[], decodeAs: readonly string[], fields: readonly string[]): { frame: number; fields: TsharkRecord }[] {
  if (paths.length === 1) return tsharkRecords(paths[0]!, decodeAs, fields);
  const parts = paths.map((p, i) => {
    const bytes = readFileSync(p);
    return i === 0 ? bytes : bytes.subarray(24); // keep one global header (same link type)
  });
  const dir = mkdtempSync(join(tmpdir(), 'vantage-tshark-'));
  try {
    const path = join(dir, 'concatenated.pcap');
    writeFileSync(path, Buffer.concat(parts));
    return tsharkRecords(path, decodeAs, fields);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A small deterministic PRNG (mulberry32) so fuzz failures replay. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A mutated copy of a datagram: bit flips, a truncation, a length or count field made to lie
 * (set to a large value), random bytes, or a duplicated tail. Deterministic for a given `random`.
 */
export function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const kind = Math.floor(random() * 6);
  let out = bytes.slice();
  const at = (n = out.length) => Math.floor(random() * Math.max(1, n));
  switch (kind) {
    case 0: // a few bit flips
      for (let i = 0, n = 1 + at(8); i < n && out.length > 0; i++) out[at()]! ^= 1 << Math.floor(random() * 8);
      break;
    case 1: // truncation
      out = out.slice(0, at(out.length + 1));
      break;
    case 2: {
      // a 16-bit length/count field somewhere in the first bytes claims too much
      if (out.length >= 4) {
        const p = at(Math.min(out.length - 1, 64)) & ~1;
        const v = random() < 0.5 ? 0xffff : out.length + 1 + at(4096);
        out[p] = (v >> 8) & 255;
        out[p + 1] = v & 255;
      }
      break;
    }
    case 3: // random bytes over a random range
      for (let i = at(), n = at(32); n > 0 && i < out.length; i++, n--) out[i] = at(256);
      break;
    case 4: {
      // the header kept, the rest random
      const keep = Math.min(out.length, 4 + at(24));
      for (let i = keep; i < out.length; i++) out[i] = at(256);
      break;
    }
    default: {
      // a repeated tail (sets/samples appearing twice, lengths no longer adding up)
      const from = at();
      const tail = out.slice(from);
      const joined = new Uint8Array(out.length + tail.length);
      joined.set(out);
      joined.set(tail, out.length);
      out = joined;
    }
  }
  return out;
}
