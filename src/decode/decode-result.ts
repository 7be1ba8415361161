// What decoding one export datagram yields: records, counted errors and bookkeeping counters.

import type { DecodeError } from './decode-errors.js';
import type { DecodedFlow, ExportVersion } from './decoded-flow.js';

/** The outcome of decoding one datagram. Problems are counted in `errors`; nothing is thrown. */
export interface DecodeResult {
  /** Protocol recognised from the header; null when it was not recognised. */
  version: ExportVersion | null;
  /** Flow records, in datagram order; records of sets that had waited for this datagram's template come after. */
  records: DecodedFlow[];
  errors: DecodeError[];
  /** Template and options-template records learned (v9/IPFIX). */
  templates: number;
  /** Templates withdrawn (IPFIX). */
  withdrawn: number;
  /** Options data records read (sampling rates, system init time...); they yield no flow. */
  optionsRecords: number;
  /** sFlow counter samples seen (counted, not turned into flows). */
  counterSamples: number;
  /** Data sets kept aside because their template was unknown. */
  deferred: number;
  /** Records decoded here from data sets that had been kept aside. */
  replayed: number;
}

/** An empty result. */
export function newDecodeResult(): DecodeResult {
  return {
    version: null,
    records: [],
    errors: [],
    templates: 0,
    withdrawn: 0,
    optionsRecords: 0,
    counterSamples: 0,
    deferred: 0,
    replayed: 0,
  };
}
