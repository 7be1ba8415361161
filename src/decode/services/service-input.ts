// Service inputs `vantage import` recognizes (nmap XML, masscan JSON): one detection over a
// file's first lines and one parser factory, so the importer needs one branch.

import type { LineProblem, LineResult } from '../logs/log-parser.js';
import { detectMasscanJson, MASSCAN_JSON_FORMAT, MasscanJsonParser } from './masscan-json-parser.js';
import { detectNmapXml, NMAP_XML_FORMAT, NmapXmlParser } from './nmap-xml-parser.js';
import type { ServiceObservation } from './service-observation.js';

/** A service input kind. */
export type ServiceInput = 'nmap-xml' | 'masscan-json';

/** The format names imports report. */
export type ServiceFormat = typeof NMAP_XML_FORMAT | typeof MASSCAN_JSON_FORMAT;

/** What a service line parser offers. */
export interface ServiceParser {
  readonly format: ServiceFormat;
  parseLine(text: string, line: number, out: ServiceObservation[]): LineResult;
  finish(lastLine: number): LineProblem | undefined;
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
