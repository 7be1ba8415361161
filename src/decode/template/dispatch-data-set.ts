// Routes a v9/IPFIX data set to its template (data or options), keeps it aside when the
// template is not known yet, and replays what waited once a template is learned.

import type { DecodeResult } from '../decode-result.js';
import { domainKeyOf, type DecoderState, type ExportContext, type TemplateDomain } from '../decoder-state.js';
import { viewOf } from '../read-bytes.js';
import { compileTemplate, type CompiledTemplate, type TemplateField } from './compile-template.js';
import { decodeDataSet } from './decode-data-set.js';
import { decodeOptionsSet } from './decode-options-set.js';

/**
 * Decodes the data set `setId` found at `setOffset` (records from `start` to `end`). Unknown
 * template: counted as DECODE_V9/IPFIX_TEMPLATE_MISSING and a copy kept for later.
 */
export function dispatchDataSet(
  state: DecoderState,
  ctx: ExportContext,
  domain: TemplateDomain | undefined,
  setId: number,
  view: DataView,
  bytes: Uint8Array,
  setOffset: number,
  start: number,
  end: number,
  result: DecodeResult,
): void {
  const tpl = domain?.templates.get(setId);
  if (tpl === undefined) {
    result.errors.push({ code: ctx.version === 9 ? 'DECODE_V9_TEMPLATE_MISSING' : 'DECODE_IPFIX_TEMPLATE_MISSING', offset: setOffset, templateId: setId });
    if (end > start && state.options.maxPendingSets > 0) {
      const key = pendingKey(ctx, setId);
      const dropped = state.addPending({ key, templateId: setId, context: ctx, bytes: bytes.slice(start, end), offset: setOffset });
      for (let i = 0; i < dropped; i++) result.errors.push({ code: 'DECODE_PENDING_DROPPED', offset: setOffset });
      result.deferred++;
    }
    return;
  }
  if (tpl.isOptions) decodeOptionsSet(domain!, tpl, view, bytes, start, end, result);
  else decodeDataSet(state, ctx, domain!, tpl, view, bytes, start, end, result);
}

function pendingKey(ctx: ExportContext, templateId: number): string {
  return `${domainKeyOf(ctx.exporter, ctx.version, ctx.domain)}|${templateId}`;
}

/**
 * Stores a template announced by `ctx`'s exporter (recompiling only when it changed) and decodes
 * the data sets that were waiting for it. Returns false when the template is unusable or the
 * table is full (both counted).
 */
export function learnTemplate(
  state: DecoderState,
  ctx: ExportContext,
  id: number,
  fields: readonly TemplateField[],
  scopeCount: number,
  isOptions: boolean,
  offset: number,
  result: DecodeResult,
): boolean {
  const domain = state.findDomain(ctx.exporter, ctx.version, ctx.domain);
  const existing = domain?.templates.get(id);
  // Exporters repeat their templates every few datagrams: recompile only what changed.
  if (existing === undefined || !sameTemplate(existing, fields, scopeCount, isOptions)) {
    const compiled = compileTemplate(ctx.version, id, fields, scopeCount, isOptions, state.options.generateReaders);
    if (!compiled) {
      result.errors.push({ code: 'DECODE_BAD_TEMPLATE', offset, templateId: id });
      return false;
    }
    if (existing === undefined) {
      if (state.templateCount >= state.options.maxTemplates) {
        result.errors.push({ code: 'DECODE_TEMPLATE_LIMIT', offset, templateId: id });
        return false;
      }
      state.templateCount++;
    }
    (domain ?? state.domainFor(ctx.exporter, ctx.version, ctx.domain)).templates.set(id, compiled);
  }
  result.templates++;
  if (state.pendingSets > 0) replayPending(state, state.findDomain(ctx.exporter, ctx.version, ctx.domain)!, pendingKey(ctx, id), id, result);
  return true;
}

/** Forgets one template (IPFIX withdrawal); returns whether it was known. */
export function withdrawTemplate(state: DecoderState, ctx: ExportContext, id: number): boolean {
  const domain = state.findDomain(ctx.exporter, ctx.version, ctx.domain);
  if (!domain?.templates.delete(id)) return false;
  state.templateCount--;
  return true;
}

/** Forgets every data (or options) template of a domain (IPFIX "withdraw all"). Returns how many. */
export function withdrawAllTemplates(state: DecoderState, ctx: ExportContext, options: boolean): number {
  const domain = state.findDomain(ctx.exporter, ctx.version, ctx.domain);
  if (!domain) return 0;
  let count = 0;
  for (const [id, tpl] of domain.templates) {
    if (tpl.isOptions === options) {
      domain.templates.delete(id);
      count++;
    }
  }
  state.templateCount -= count;
  return count;
}

function sameTemplate(t: CompiledTemplate, fields: readonly TemplateField[], scopeCount: number, isOptions: boolean): boolean {
  if (t.isOptions !== isOptions || t.scopeCount !== scopeCount || t.fields.length !== fields.length) return false;
  for (let i = 0; i < fields.length; i++) {
    const a = t.fields[i]!;
    const b = fields[i]!;
    if (a.id !== b.id || a.length !== b.length || a.pen !== b.pen) return false;
  }
  return true;
}

function replayPending(state: DecoderState, domain: TemplateDomain, key: string, id: number, result: DecodeResult): void {
  const waiting = state.takePending(key);
  if (waiting.length === 0) return;
  const tpl = domain.templates.get(id)!;
  for (const set of waiting) {
    const before = result.records.length;
    const view = viewOf(set.bytes);
    if (tpl.isOptions) decodeOptionsSet(domain, tpl, view, set.bytes, 0, set.bytes.length, result);
    else decodeDataSet(state, set.context, domain, tpl, view, set.bytes, 0, set.bytes.length, result);
    result.replayed += result.records.length - before;
  }
}
