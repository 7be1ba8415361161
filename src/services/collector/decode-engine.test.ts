import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../collect/capture-file.js';
import { decodeFlowChunks, encodeFlowChunk } from '../../collect/flow-codec.js';
import type { FlowRecord } from '../../core/columns.js';
import { newDecodedFlow, type DecodedFlow } from '../../decode/decoded-flow.js';
import { decodeExportDatagram } from '../../decode/decode-export-datagram.js';
import { createDecoderState } from '../../decode/decoder-state.js';
import { UdpDatagramExtractor } from '../../decode/packet/udp-datagram-extractor.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { DecodeEngine } from './decode-engine.js';

const LOGSTASH = sharedDataPath('flow-export/logstash-codec-netflow');
const AKVORADO = sharedDataPath('flow-export/akvorado');
const EXPORTER = 0xc0000201;

/** The UDP payloads of a capture's frames, in order. */
function payloads(path: string): Uint8Array[] {
  const extractor = new UdpDatagramExtractor();
  const out: Uint8Array[] = [];
  for (const frame of openCaptureFile(path).frames()) {
    const d = extractor.extract(frame.data, frame.linkType, frame.timestamp);
    if (d) out.push(d.payload.slice());
  }
  return out;
}

describe('decoded records handed back for reuse', () => {
  it('a reused record starts as a new one', () => {
    const used = newDecodedFlow(10, 1n, 7, 256);
    // Every field given a value a new record does not have.
    for (const key of Object.keys(used)) (used as unknown as Record<string, unknown>)[key] = 7;
    Object.assign(used, { dst: 2n, start: 1.5e12, src_country: 'FR', tags: ['x'], mpls_labels: [16], extra: { a: 1 } });
    const free: DecodedFlow[] = [used];
    const again = newDecodedFlow(5, 0x0a000001, 0, null, free);
    expect(again).toBe(used);
    expect({ ...again }).toEqual({ ...newDecodedFlow(5, 0x0a000001, 0, null) });
    expect(free).toEqual([]);
  });

  it.skipIf(!LOGSTASH || !AKVORADO)('the collector encodes the same flows as a decoder that allocates every record (logstash and akvorado captures, twice)', () => {
    // NetFlow v5, v9, IPFIX of many vendors and sFlow: reused records meet other fields.
    const files = readdirSync(LOGSTASH!).filter((f) => f.endsWith('.dat')).sort();
    const once = [
      ...files.map((f) => new Uint8Array(readFileSync(join(LOGSTASH!, f)))),
      ...['netflow', 'sflow'].flatMap((dir) => readdirSync(join(AKVORADO!, dir)).sort().flatMap((f) => payloads(join(AKVORADO!, dir, f)))),
    ];
    const datagrams = [...once, ...once];
    const chunks: Uint8Array[] = [];
    const engine = new DecodeEngine({}, 1 << 20, (c) => chunks.push(c.bytes));
    const plain = createDecoderState();
    const expected: DecodedFlow[] = [];
    for (const d of datagrams) {
      engine.decodeDatagram(d, EXPORTER, 1_700_000_000_000);
      expected.push(...decodeExportDatagram(d, EXPORTER, 1_700_000_000_000, plain).records);
    }
    const last = engine.takeFlows();
    if (last) chunks.push(last.bytes);
    const got: FlowRecord[] = [];
    for (const c of chunks) decodeFlowChunks(c, got);
    const want: FlowRecord[] = [];
    decodeFlowChunks(encodeFlowChunk(expected), want);
    expect(want.length).toBeGreaterThan(700);
    expect(new Set(expected.map((r) => (r as DecodedFlow).version))).toEqual(new Set([5, 9, 10, 'sflow5']));
    expect(engine.state.freeRecords.length).toBeGreaterThan(0);
    expect(got).toEqual(want);
  });
});
