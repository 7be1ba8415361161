// Text-log decoders: nfdump CSV/JSON, Zeek conn TSV/JSON, generic CSV and JSON lines.

export * from './log-parser.js';
export * from './create-log-parser.js';
export * from './detect-format.js';
export * from './column-mapping.js';
export { NfdumpCsvParser, NFDUMP_CSV_HEADER_PREFIX } from './nfdump-csv-parser.js';
export { NfdumpJsonParser } from './nfdump-json-parser.js';
export { ZeekTsvParser } from './zeek-tsv-parser.js';
export { ZeekJsonParser } from './zeek-json-parser.js';
export { CsvParser, splitDelimited, guessDelimiter } from './csv-parser.js';
export { JsonlParser } from './jsonl-parser.js';
export { historyFlags, zeekConnFlows, type ZeekConn } from './zeek-conn.js';
export { parseLogText, type ParsedLogText } from './parse-log-text.js';
