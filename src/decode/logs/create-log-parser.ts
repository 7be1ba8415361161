// Builds the parser for a log format: the one place that knows every format's class.

import { ArgusBinetflowParser } from './argus-binetflow-parser.js';
import { CicFlowMeterParser } from './cicflowmeter-parser.js';
import type { ColumnOverrides } from './column-mapping.js';
import { CsvParser } from './csv-parser.js';
import { JsonlParser } from './jsonl-parser.js';
import type { LogFormat, LogParser } from './log-parser.js';
import { NfdumpCsvParser } from './nfdump-csv-parser.js';
import { NfdumpJsonParser } from './nfdump-json-parser.js';
import { ZeekJsonParser } from './zeek-json-parser.js';
import { ZeekTsvParser } from './zeek-tsv-parser.js';

/** Options for the generic formats; the fixed layouts (nfdump, Zeek) take none. */
export interface LogParserOptions {
  /** `--map` choices for csv and jsonl. */
  readonly overrides?: ColumnOverrides;
}

/** A fresh parser for one file of the given format. */
export function createLogParser(format: LogFormat, options: LogParserOptions = {}): LogParser {
  switch (format) {
    case 'nfdump-csv':
      return new NfdumpCsvParser();
    case 'nfdump-json':
      return new NfdumpJsonParser();
    case 'zeek-tsv':
      return new ZeekTsvParser();
    case 'zeek-json':
      return new ZeekJsonParser();
    case 'argus-binetflow':
      return new ArgusBinetflowParser();
    case 'cicflowmeter':
      return new CicFlowMeterParser();
    case 'nfcapd':
      return nfcapdParser();
    case 'csv':
      return new CsvParser(options.overrides);
    case 'jsonl':
      return new JsonlParser(options.overrides);
  }
}

/** nfcapd files reach the parser as `nfdump -o csv` output (see nfcapd-input.ts): the nfdump CSV parser, named for the file's format. */
function nfcapdParser(): LogParser {
  const csv = new NfdumpCsvParser();
  return { format: 'nfcapd', parseLine: (text, line, out) => csv.parseLine(text, line, out), finish: () => csv.finish() };
}

/** True for the formats whose columns are mapped (and so accept --map). */
export function isMappedFormat(format: LogFormat): boolean {
  return format === 'csv' || format === 'jsonl';
}
