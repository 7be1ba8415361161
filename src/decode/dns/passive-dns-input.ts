// Passive-DNS inputs `vantage import` recognizes (Zeek dns.log TSV/JSON, COF JSON lines): one
// detection over a file's first lines and one parser factory, so the importer needs one branch.

import { CofParser, detectPassiveDnsCof, PASSIVE_DNS_COF_FORMAT } from './cof-parser.js';
import type { PassiveDnsObservation } from './passive-dns-observation.js';
import { detectZeekDns, ZEEK_DNS_FORMAT, ZeekDnsParser } from './zeek-dns-parser.js';
import type { LineProblem, LineResult } from '../logs/log-parser.js';

/** A passive-DNS input kind. */
export type PassiveDnsInput = 'zeek-dns-tsv' | 'zeek-dns-json' | 'cof';

/** The format names imports report. */
export type PassiveDnsFormat = typeof ZEEK_DNS_FORMAT | typeof PASSIVE_DNS_COF_FORMAT;

/** What a passive-DNS line parser offers. */
export interface PassiveDnsParser {
  readonly format: PassiveDnsFormat;
  parseLine(text: string, line: number, out: PassiveDnsObservation[]): LineResult;
  finish(lastLine: number): LineProblem | undefined;
}

/** Tells a passive-DNS input from its first lines; undefined for anything else. */
export function detectPassiveDns(head: readonly string[]): PassiveDnsInput | undefined {
  const zeek = detectZeekDns(head);
  if (zeek) return zeek === 'tsv' ? 'zeek-dns-tsv' : 'zeek-dns-json';
  return detectPassiveDnsCof(head) ? 'cof' : undefined;
}

/** A parser for one file of the input kind; `sensor` names the observer (the file's name). */
export function createPassiveDnsParser(input: PassiveDnsInput, sensor: string): PassiveDnsParser {
  if (input === 'cof') return new CofParser(sensor);
  return new ZeekDnsParser(input === 'zeek-dns-tsv' ? 'tsv' : 'json', sensor);
}
