// Reads a sinks file: a JSON object of sink name -> settings (checked when the sinks are built).

import { readFileSync } from 'node:fs';
import { VantageError } from '../../../core/errors.js';

/** The sink settings in a JSON file; errors name the file. */
export function readSinksFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new VantageError('USAGE', `cannot read the sinks file: ${(err as Error).message}`, { file: path });
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected an object of sink name -> settings');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new VantageError('USAGE', `the sinks file is not valid: ${(err as Error).message}`, { file: path });
  }
}
