// IPFIX (RFC 7011): message header, template and options-template sets (with withdrawal),
// enterprise elements, variable-length fields, data sets.

import type { Ip } from '../../core/ip.js';
import type { DecodeResult } from '../decode-result.js';
import type { DecoderState, ExportContext } from '../decoder-state.js';
import type { TemplateField } from '../template/compile-template.js';
import { dispatchDataSet, learnTemplate, withdrawAllTemplates, withdrawTemplate } from '../template/dispatch-data-set.js';

/** Bytes of the IPFIX message header. */
export const IPFIX_HEADER_LENGTH = 16;
const TEMPLATE_SET = 2;
const OPTIONS_TEMPLATE_SET = 3;

/**
 * Decodes the IPFIX message of a datagram into `result`. Over UDP a datagram carries exactly one
 * message (RFC 7011 §10.3.2): bytes after the message length are ignored, as NetFlow trailers
 * are. A message or set whose length runs past the datagram is rejected with DECODE_BAD_LENGTH.
 */
export function decodeIpfix(bytes: Uint8Array, view: DataView, exporter: Ip, receivedAt: number, state: DecoderState, result: DecodeResult): void {
  result.version = 10;
  decodeMessage(bytes, view, 0, exporter, receivedAt, state, result);
}

/** Decodes the message at `at`; returns where the next one starts, or -1 after a fatal error. */
function decodeMessage(bytes: Uint8Array, view: DataView, at: number, exporter: Ip, receivedAt: number, state: DecoderState, result: DecodeResult): number {
  if (at + IPFIX_HEADER_LENGTH > bytes.length) {
    result.errors.push({ code: 'DECODE_TRUNCATED', offset: at });
    return -1;
  }
  const messageLength = view.getUint16(at + 2);
  if (messageLength < IPFIX_HEADER_LENGTH || at + messageLength > bytes.length) {
    result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: at + 2 });
    return -1;
  }
  const end = at + messageLength;
  const domain = view.getUint32(at + 12);
  const ctx: ExportContext = {
    version: 10,
    exporter,
    domain,
    exportMs: view.getUint32(at + 4) * 1000,
    uptime: -1,
    receivedAt,
  };
  // Looked up once per message; again after template sets, which may create it.
  let scope = state.findDomain(exporter, 10, domain);
  let p = at + IPFIX_HEADER_LENGTH;
  while (p + 4 <= end) {
    const setId = view.getUint16(p);
    const setLength = view.getUint16(p + 2);
    if (setLength < 4 || p + setLength > end) {
      result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: p + 2 });
      return -1;
    }
    const setEnd = p + setLength;
    if (setId === TEMPLATE_SET || setId === OPTIONS_TEMPLATE_SET) {
      decodeTemplateSet(state, ctx, view, setId === OPTIONS_TEMPLATE_SET, p + 4, setEnd, result);
      scope = state.findDomain(exporter, 10, domain);
    } else if (setId < 256) result.errors.push({ code: 'DECODE_RESERVED_SET', offset: p });
    else dispatchDataSet(state, ctx, scope, setId, view, bytes, p, p + 4, setEnd, result);
    p = setEnd;
  }
  return end;
}

function decodeTemplateSet(state: DecoderState, ctx: ExportContext, view: DataView, options: boolean, start: number, end: number, result: DecodeResult): void {
  const headerLength = options ? 6 : 4;
  let q = start;
  while (q + 4 <= end) {
    const recordOffset = q;
    const id = view.getUint16(q);
    const count = view.getUint16(q + 2);
    if (count === 0) {
      // Withdrawal (RFC 7011 §8.1): the set id itself as template id withdraws them all.
      if (id === (options ? OPTIONS_TEMPLATE_SET : TEMPLATE_SET)) result.withdrawn += withdrawAllTemplates(state, ctx, options);
      else if (id >= 256 && withdrawTemplate(state, ctx, id)) result.withdrawn++;
      else if (id === 0) return; // padding
      else result.errors.push({ code: 'DECODE_BAD_TEMPLATE', offset: q, templateId: id });
      q += 4;
      continue;
    }
    if (q + headerLength > end) {
      result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: q, templateId: id });
      return;
    }
    const scopeCount = options ? view.getUint16(q + 4) : 0;
    if (id < 256 || (options && (scopeCount === 0 || scopeCount > count))) {
      result.errors.push({ code: 'DECODE_BAD_TEMPLATE', offset: q, templateId: id });
      return;
    }
    q += headerLength;
    const fields: TemplateField[] = [];
    for (let i = 0; i < count; i++) {
      if (q + 4 > end) {
        result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: recordOffset, templateId: id });
        return;
      }
      let fieldId = view.getUint16(q);
      const length = view.getUint16(q + 2);
      q += 4;
      let pen = 0;
      if (fieldId & 0x8000) {
        if (q + 4 > end) {
          result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: recordOffset, templateId: id });
          return;
        }
        pen = view.getUint32(q);
        fieldId &= 0x7fff;
        q += 4;
      }
      fields.push({ id: fieldId, length, pen });
    }
    learnTemplate(state, ctx, id, fields, scopeCount, options, recordOffset, result);
  }
}
