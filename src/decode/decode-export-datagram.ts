// The one entry point for flow-export datagrams: recognises NetFlow v5, v9, IPFIX and sFlow v5 by
// header and decodes with the caller's template state. Never throws.

import type { Ip } from '../core/ip.js';
import { newDecodeResult, type DecodeResult } from './decode-result.js';
import type { DecoderState } from './decoder-state.js';
import { decodeIpfix } from './ipfix/decode-ipfix.js';
import { decodeNetflowV5 } from './netflow-v5/decode-netflow-v5.js';
import { decodeNetflowV9 } from './netflow-v9/decode-netflow-v9.js';
import { isStorableFlowTime } from '../core/time.js';
import { viewOf } from './read-bytes.js';
import { decodeSflow } from './sflow/decode-sflow.js';

export type { DecodeResult } from './decode-result.js';

/** Export protocols told apart by the first bytes of a datagram. */
export type ExportProtocol = 'netflow5' | 'netflow9' | 'ipfix' | 'sflow5';

/**
 * The protocol a datagram's header announces, or undefined. NetFlow and IPFIX start with a 16-bit
 * version (5, 9, 10); sFlow starts with a 32-bit version, so its first two bytes are zero.
 */
export function detectExportProtocol(bytes: Uint8Array): ExportProtocol | undefined {
  if (bytes.length < 4) return undefined;
  const v16 = (bytes[0]! << 8) | bytes[1]!;
  if (v16 === 5) return 'netflow5';
  if (v16 === 9) return 'netflow9';
  if (v16 === 10) return 'ipfix';
  if (v16 === 0 && ((bytes[2]! << 8) | bytes[3]!) === 5) return 'sflow5';
  return undefined;
}

/**
 * Decodes one export datagram received from `exporter` at `receivedAt` (epoch ms), reading and
 * updating `state` (templates, samplers, data waiting for templates). Problems are returned as
 * counted errors with stable codes; a bug that would throw is caught and reported as
 * DECODE_INTERNAL, so the receive loop never sees an exception.
 */
export function decodeExportDatagram(bytes: Uint8Array, exporter: Ip, receivedAt: number, state: DecoderState): DecodeResult {
  const result = newDecodeResult();
  try {
    if (state.pendingSets > 0) {
      const expired = state.expirePending(receivedAt);
      for (let i = 0; i < expired; i++) result.errors.push({ code: 'DECODE_PENDING_DROPPED' });
    }
    if (bytes.length < 4) {
      result.errors.push({ code: 'DECODE_TRUNCATED', offset: 0 });
      return result;
    }
    const view = viewOf(bytes);
    switch (detectExportProtocol(bytes)) {
      case 'netflow5':
        decodeNetflowV5(bytes, view, exporter, result, state.freeRecords);
        break;
      case 'netflow9':
        decodeNetflowV9(bytes, view, exporter, receivedAt, state, result);
        break;
      case 'ipfix':
        decodeIpfix(bytes, view, exporter, receivedAt, state, result);
        break;
      case 'sflow5':
        decodeSflow(bytes, view, receivedAt, state, result);
        break;
      default:
        result.errors.push({ code: 'DECODE_BAD_VERSION', offset: 0 });
    }
    dropUnstorableTimes(result);
  } catch {
    result.errors.push({ code: 'DECODE_INTERNAL' });
  }
  return result;
}

/**
 * Drops records dated outside 1970-2099, as the text importers reject a bad time: both stores
 * could not keep them alike (ClickHouse's 32-bit dates wrap). Each is counted as DECODE_BAD_TIME.
 */
function dropUnstorableTimes(result: DecodeResult): void {
  const records = result.records;
  let kept = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (isStorableFlowTime(r.start) && isStorableFlowTime(r.end)) records[kept++] = r;
    else result.errors.push({ code: 'DECODE_BAD_TIME' });
  }
  if (kept !== records.length) records.length = kept;
}
