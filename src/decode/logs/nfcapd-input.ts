// Reads nfcapd binary files for `vantage import` by running `nfdump -r FILE -o csv` and streaming
// its output as numbered lines for the nfdump CSV parser: nfdump owns its file format.

import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { LineBatch } from '../../collect/line-reader.js';
import { VantageError } from '../../core/errors.js';
import { isNfcapdMagic } from './detect-format.js';

/** What to tell a user without nfdump. */
const INSTALL_HINT = 'install nfdump 1.7 (Debian/Ubuntu: apt-get install nfdump), or convert elsewhere with: TZ=UTC nfdump -r FILE -o csv > FILE.csv';

/** The first bytes of a file (fewer when it is shorter). */
async function headBytes(file: string, n: number): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await handle.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** nfdump's environment: times printed in UTC, which the CSV parser assumes. */
function nfdumpEnv(): NodeJS.ProcessEnv {
  return { ...process.env, TZ: 'UTC' };
}

/** Fails with IMPORT_FILE, naming the file, unless `nfdump -V` runs. */
async function checkNfdump(file: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('nfdump', ['-V'], { env: nfdumpEnv(), stdio: 'ignore' });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(new VantageError('IMPORT_FILE', `nfcapd file needs nfdump, which cannot be run (${err.code ?? err.message}): ${INSTALL_HINT}`, { file })),
    );
    child.on('close', () => resolve());
  });
}

/**
 * For `vantage import` planning: true when `file` is to be read through nfdump, that is when
 * it starts with the nfcapd magic and the format is `auto` or `nfcapd` (nfdump is then checked
 * to be runnable). `--format nfcapd` on a file without the magic is IMPORT_FORMAT.
 */
export async function isNfcapdInput(file: string, requested: string): Promise<boolean> {
  if (file === '-' || (requested !== 'auto' && requested !== 'nfcapd')) return false;
  const nfcapd = isNfcapdMagic(await headBytes(file, 4));
  if (!nfcapd) {
    if (requested === 'nfcapd') throw new VantageError('IMPORT_FORMAT', 'not an nfcapd file: it does not start with the nfcapd magic bytes 0C A5', { file });
    return false;
  }
  await checkNfdump(file);
  return true;
}

/**
 * `nfdump -r FILE -o csv` as batches of lines, numbered as lines of that CSV output (header =
 * line 1), for the nfdump CSV parser. nfdump runs with TZ=UTC. A missing nfdump, or nfdump
 * failing on the file or complaining about it on stderr, is IMPORT_FILE naming the file, raised
 * after the lines it did print; stopping early ends nfdump.
 */
export async function* nfcapdLineBatches(file: string): AsyncGenerator<LineBatch> {
  if (file === '-') throw new VantageError('USAGE', 'an nfcapd file cannot be read from stdin (nfdump needs the file): give its name');
  const child = spawn('nfdump', ['-r', file, '-o', 'csv'], { env: nfdumpEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let spawnError: NodeJS.ErrnoException | undefined;
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      spawnError = err;
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (t: string) => {
    if (stderr.length < 4096) stderr += t;
  });
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let lineNo = 1;
  let done = false;
  try {
    for await (const chunk of child.stdout) {
      const text = pending + decoder.write(chunk as Buffer);
      const lines = text.split('\n');
      pending = lines.pop()!;
      if (lines.length === 0) continue;
      for (let i = 0; i < lines.length; i++) if (lines[i]!.endsWith('\r')) lines[i] = lines[i]!.slice(0, -1);
      yield { lines, firstLine: lineNo };
      lineNo += lines.length;
    }
    const code = await exited;
    if (spawnError) {
      throw new VantageError('IMPORT_FILE', `nfcapd file needs nfdump, which cannot be run (${spawnError.code ?? spawnError.message}): ${INSTALL_HINT}`, { file });
    }
    // nfdump reports a damaged file (say, cut short while nfcapd was writing it) on stderr but
    // still exits 0 with the flows before the damage: that must not pass for a whole import.
    const reason = stderr.split('\n').find((l) => l.trim() !== '')?.trim();
    if (code !== 0 || reason !== undefined) {
      throw new VantageError('IMPORT_FILE', `cannot read: nfdump -r FILE -o csv ${code === 0 ? 'reported' : `failed (exit ${code})`}: ${reason ?? 'no message'}`, { file });
    }
    const tail = pending + decoder.end();
    if (tail !== '') yield { lines: [tail.endsWith('\r') ? tail.slice(0, -1) : tail], firstLine: lineNo };
    done = true;
  } finally {
    if (!done && child.exitCode === null && child.signalCode === null) child.kill();
  }
}
