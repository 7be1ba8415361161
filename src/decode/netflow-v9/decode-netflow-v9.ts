// NetFlow v9 (RFC 3954): header, template and options-template flowsets, data flowsets.

import type { Ip } from '../../core/ip.js';
import type { DecodeResult } from '../decode-result.js';
import type { DecoderState, ExportContext } from '../decoder-state.js';
import { isZero } from '../read-bytes.js';
import type { TemplateField } from '../template/compile-template.js';
import { dispatchDataSet, learnTemplate } from '../template/dispatch-data-set.js';

/** Bytes of the v9 packet header. */
export const V9_HEADER_LENGTH = 20;

/**
 * Decodes a NetFlow v9 export packet into `result`. Templates are scoped per (exporter, source
 * id, template id); First/Last switched are converted with the header's sysUptime and unix secs.
 * A flowset whose length is below 4 or beyond the packet ends decoding with DECODE_BAD_LENGTH.
 */
export function decodeNetflowV9(bytes: Uint8Array, view: DataView, exporter: Ip, receivedAt: number, state: DecoderState, result: DecodeResult): void {
  result.version = 9;
  const length = bytes.length;
  if (length < V9_HEADER_LENGTH) {
    result.errors.push({ code: 'DECODE_TRUNCATED', offset: 0 });
    return;
  }
  const uptime = view.getUint32(4);
  const unixSecs = view.getUint32(8);
  const sourceId = view.getUint32(16);
  const ctx: ExportContext = {
    version: 9,
    exporter,
    domain: sourceId,
    exportMs: unixSecs * 1000,
    uptime,
    receivedAt,
  };
  // Looked up once per packet; again after template flowsets, which may create it.
  let domain = state.findDomain(exporter, 9, sourceId);
  let p = V9_HEADER_LENGTH;
  while (p + 4 <= length) {
    const setId = view.getUint16(p);
    const setLength = view.getUint16(p + 2);
    if (setLength < 4) {
      // Some exporters (Palo Alto) pad the packet with zeros after the last flowset.
      if (setId === 0 && setLength === 0 && isZero(bytes, p, length - p)) break;
      result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: p });
      return;
    }
    const end = p + setLength;
    if (end > length) {
      result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: p });
      return;
    }
    if (setId === 0 || setId === 1) {
      if (setId === 0) decodeTemplates(state, ctx, view, p + 4, end, result);
      else decodeOptionsTemplates(state, ctx, view, p + 4, end, result);
      domain = state.findDomain(exporter, 9, sourceId);
    } else if (setId < 256) result.errors.push({ code: 'DECODE_RESERVED_SET', offset: p });
    else dispatchDataSet(state, ctx, domain, setId, view, bytes, p, p + 4, end, result);
    p = end;
  }
}

function decodeTemplates(state: DecoderState, ctx: ExportContext, view: DataView, start: number, end: number, result: DecodeResult): void {
  let q = start;
  while (q + 4 <= end) {
    const id = view.getUint16(q);
    const count = view.getUint16(q + 2);
    if (id === 0 && count === 0) return; // padding
    if (id < 256 || count === 0) {
      result.errors.push({ code: 'DECODE_BAD_TEMPLATE', offset: q, templateId: id });
      return;
    }
    if (q + 4 + count * 4 > end) {
      result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: q, templateId: id });
      return;
    }
    const fields: TemplateField[] = [];
    for (let i = 0; i < count; i++) {
      const at = q + 4 + i * 4;
      fields.push({ id: view.getUint16(at), length: view.getUint16(at + 2), pen: 0 });
    }
    learnTemplate(state, ctx, id, fields, 0, false, q, result);
    q += 4 + count * 4;
  }
}

function decodeOptionsTemplates(state: DecoderState, ctx: ExportContext, view: DataView, start: number, end: number, result: DecodeResult): void {
  let q = start;
  while (q + 6 <= end) {
    const id = view.getUint16(q);
    const scopeLength = view.getUint16(q + 2);
    const optionLength = view.getUint16(q + 4);
    if (id === 0) return; // padding
    if (id < 256 || scopeLength % 4 !== 0 || optionLength % 4 !== 0 || scopeLength + optionLength === 0) {
      result.errors.push({ code: 'DECODE_BAD_TEMPLATE', offset: q, templateId: id });
      return;
    }
    if (q + 6 + scopeLength + optionLength > end) {
      result.errors.push({ code: 'DECODE_BAD_LENGTH', offset: q, templateId: id });
      return;
    }
    const fields: TemplateField[] = [];
    const count = (scopeLength + optionLength) / 4;
    for (let i = 0; i < count; i++) {
      const at = q + 6 + i * 4;
      fields.push({ id: view.getUint16(at), length: view.getUint16(at + 2), pen: 0 });
    }
    learnTemplate(state, ctx, id, fields, scopeLength / 4, true, q, result);
    q += 6 + scopeLength + optionLength;
  }
}
