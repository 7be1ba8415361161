// Options data (v9 and IPFIX): learns per-sampler sampling rates and the exporter's system init
// time, which later data records of the same exporter and domain need. Yields no flows.

import type { DecodeResult } from '../decode-result.js';
import type { TemplateDomain } from '../decoder-state.js';
import { readUint } from '../read-bytes.js';
import { VARIABLE_LENGTH, type CompiledTemplate } from './compile-template.js';

// Element ids read from options records (RFC 3954 §8, RFC 7011/IANA registry).
const SAMPLING_INTERVAL = 34;
const SAMPLER_RANDOM_INTERVAL = 50;
const SAMPLER_ID = 48;
const SELECTOR_ID = 302;
const PACKET_INTERVAL = 305;
const PACKET_SPACE = 306;
const SAMPLING_SIZE = 309;
const SAMPLING_POPULATION = 310;
const SYSTEM_INIT_MS = 160;

/**
 * Reads the records of an options data set. A sampling rate with a sampler/selector id is kept
 * for that sampler; one without (or with id 0) becomes the domain-wide rate that records without
 * a sampler id use. Returns the number of records read.
 */
export function decodeOptionsSet(
  domain: TemplateDomain,
  tpl: CompiledTemplate,
  view: DataView,
  bytes: Uint8Array,
  start: number,
  end: number,
  result: DecodeResult,
): number {
  const fields = tpl.fields;
  let p = start;
  let records = 0;
  while (p + tpl.minLength <= end) {
    let rate = 0;
    let samplerId = -1;
    let interval = 0;
    let space = 0;
    let size = 0;
    let population = 0;
    let sysInit = -1;
    let ok = true;
    for (let i = 0; i < fields.length; i++) {
      let len = tpl.lengths[i]!;
      if (len === VARIABLE_LENGTH) {
        if (p >= end) {
          ok = false;
          break;
        }
        len = bytes[p]!;
        p++;
        if (len === 255) {
          if (p + 2 > end) {
            ok = false;
            break;
          }
          len = view.getUint16(p);
          p += 2;
        }
      }
      if (p + len > end) {
        ok = false;
        break;
      }
      const f = fields[i]!;
      // v9 scope fields use their own type space (1 = system, 2 = interface...): not elements.
      const scope = tpl.version === 9 && i < tpl.scopeCount;
      if (!scope && f.pen === 0 && len >= 1 && len <= 8) {
        switch (f.id) {
          case SAMPLING_INTERVAL:
          case SAMPLER_RANDOM_INTERVAL:
            rate = readUint(view, p, len);
            break;
          case SAMPLER_ID:
          case SELECTOR_ID:
            samplerId = readUint(view, p, len);
            break;
          case PACKET_INTERVAL:
            interval = readUint(view, p, len);
            break;
          case PACKET_SPACE:
            space = readUint(view, p, len);
            break;
          case SAMPLING_SIZE:
            size = readUint(view, p, len);
            break;
          case SAMPLING_POPULATION:
            population = readUint(view, p, len);
            break;
          case SYSTEM_INIT_MS:
            sysInit = readUint(view, p, len);
            break;
        }
      }
      p += len;
    }
    if (!ok) {
      result.errors.push({ code: 'DECODE_RECORD_TRUNCATED', offset: p, templateId: tpl.id });
      break;
    }
    records++;
    // n-out-of-N (size/population) says more than a packet interval, which Cisco sends as 1 beside it.
    if (rate <= 0 && size > 0 && population > 0) rate = Math.floor(population / size);
    if (rate <= 0 && interval > 0) rate = Math.floor((interval + space) / interval);
    if (rate > 0) domain.samplers.set(samplerId > 0 ? samplerId : 0, rate);
    if (sysInit > 0) domain.systemInit = sysInit;
  }
  result.optionsRecords += records;
  return records;
}
