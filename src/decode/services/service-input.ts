// Service inputs `vantage import` recognizes (nmap XML, masscan JSON): one detection over a
// file's first lines and one parser factory, so the importer needs one branch.

import type { LineProblem, LineResults } from '../logs/log-parser.js';
import { detectMasscanJson, MASSCAN_JSON_FORMAT, MasscanJsonParser } from './masscan-json-parser.js';
import { detectNmapXml, NMAP_XML_FORMAT, NmapXmlParser } from './nmap-xml-parser.js';
import type { ServiceObservation } from './service-observation.js';

/** A service input kind. */
export type ServiceInput = 'nmap-xml' | 'masscan-json';

/** The format names imports report. */
export type ServiceFormat = typeof NMAP_XML_FORMAT | typeof MASSCAN_JSON_FORMAT;

/**
 * What a service line parser offers. Records span lines, so a line can give several results
 * (a broken record and the next one), and a line skipped unread spoils the record it is in.
 */
export interface ServiceParser {
  readonly format: ServiceFormat;
  parseLine(text: string, line: number, out: ServiceObservation[]): LineResults;
  finish(lastLine: number): LineProblem | undefined;
  /** A line the reader skipped (too long): its problem, or false when it is folded into the open record's. */
  skipLine(problem: LineProblem): LineResults;
}

/** Tells a service input from its first lines; undefined for anything else. */
export function detectServiceInput(head: readonly string[]): ServiceInput | undefined {
  if (detectNmapXml(head)) return 'nmap-xml';
  return detectMasscanJson(head) ? 'masscan-json' : undefined;
}

/** A parser for one file of the input kind. */
export function createServiceParser(input: ServiceInput): ServiceParser {
  return input === 'nmap-xml' ? new NmapXmlParser() : new MasscanJsonParser();
}
