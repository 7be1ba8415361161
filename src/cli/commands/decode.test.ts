import { Command } from 'commander';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { VantageError } from '../../core/errors.js';
import { sharedDataPath } from '../../test-support/shared-data.js';
import { reportError } from '../context.js';
import { decodeFiles, registerDecode } from './decode.js';

const dir = mkdtempSync(join(tmpdir(), 'vantage-decode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } } };
}

const TEMPLATE = sharedDataPath('flow-export/akvorado/netflow/template.pcap');
const DATA = sharedDataPath('flow-export/akvorado/netflow/data.pcap');
const OPTIONS = sharedDataPath('flow-export/akvorado/netflow/options-template.pcap');
const OPTIONS_DATA = sharedDataPath('flow-export/akvorado/netflow/options-data.pcap');

describe.skipIf(!TEMPLATE || !DATA || !OPTIONS || !OPTIONS_DATA)('vantage decode on a template + data pair', () => {
  it('carries the template across files and prints one JSON object per record', () => {
    const c = capture();
    const summary = decodeFiles([TEMPLATE!, DATA!], { format: 'jsonl' }, c.io);
    const lines = c.out.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    // akvorado root_test.go TestDecode, first flow (without its options data: sampling 1).
    expect(lines[0]).toMatchObject({
      exporter: '192.0.2.100',
      version: 9,
      src: '198.38.121.178',
      dst: '91.170.143.87',
      sport: 443,
      dport: 19624,
      proto: 6,
      packets: 1,
      bytes: 1500,
      start: '2022-03-14T19:25:25.050Z',
      end: '2022-03-14T19:25:25.050Z',
      tcp_flags: 16,
      in_if: 335,
      out_if: 450,
      sampling: 1,
      next_hop: '194.149.174.63',
    });
    for (const line of lines) {
      for (const key of ['exporter', 'version', 'src', 'dst', 'sport', 'dport', 'proto', 'packets', 'bytes', 'start', 'end', 'tcp_flags', 'in_if', 'out_if', 'sampling']) expect(line).toHaveProperty(key);
    }
    expect(summary).toMatchObject({ files: 2, datagrams: 2, records: 4, templates: 1, errors: {} });
    expect(c.err.join('')).toContain('vantage: decoded 2 files: 2 datagrams (v9 2); 4 records; 1 templates; 0 options records; errors: none');
  });

  it('data before its template: kept aside, replayed when the template comes in time, else dropped', () => {
    // data.pcap was captured 62 s before template.pcap (1662723601.5 vs 1662723663.7).
    const late = capture();
    expect(decodeFiles([DATA!, TEMPLATE!], { format: 'jsonl' }, late.io)).toMatchObject({
      records: 0,
      deferred: 1,
      replayed: 0,
      errors: { DECODE_V9_TEMPLATE_MISSING: 1, DECODE_PENDING_DROPPED: 1 },
    });
    expect(late.err.join('')).toMatch(/data\.pcap: packet 1: offset 20: DECODE_V9_TEMPLATE_MISSING \(template 260\)/);
    const patient = capture();
    expect(decodeFiles([DATA!, TEMPLATE!], { format: 'jsonl', decoder: { pendingMaxAgeMs: 120_000 } }, patient.io)).toMatchObject({ records: 4, deferred: 1, replayed: 4 });
  });

  it('with the options files first, sampling applies: bytes and packets scaled by 30000', () => {
    const c = capture();
    decodeFiles([OPTIONS!, OPTIONS_DATA!, TEMPLATE!, DATA!], { format: 'jsonl', exporter: 0x7f000001 }, c.io);
    expect(JSON.parse(c.out.join('').split('\n')[0]!)).toMatchObject({ exporter: '127.0.0.1', sampling: 30000, packets: 30000, bytes: 45_000_000 });
  });

  it('through commander: `vantage decode FILE...` writes to stdout', async () => {
    const program = new Command('vantage').exitOverride();
    registerDecode(program);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['node', 'vantage', 'decode', '--format', 'jsonl', TEMPLATE!, DATA!]);
      expect(out.mock.calls.map((c) => String(c[0])).join('').trim().split('\n')).toHaveLength(4);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain('4 records');
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});

describe('vantage decode failures', () => {
  it('an unreadable file or an unknown file type: a coded error before any output, exit 1, no stack', () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'not a capture');
    for (const [files, code, text] of [
      [[join(dir, 'missing.pcap')], 'IMPORT_FILE', /cannot read .*missing\.pcap/],
      [[notes], 'IMPORT_FORMAT', /notes\.txt is not a pcap, pcapng or raw NetFlow\/IPFIX\/sFlow datagram file/],
    ] as const) {
      const c = capture();
      let error: unknown;
      try {
        decodeFiles(files, { format: 'jsonl' }, c.io);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(VantageError);
      expect((error as VantageError).code).toBe(code);
      expect(c.out).toEqual([]);
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        expect(reportError(error)).toBe(1);
        const message = stderr.mock.calls.map((call) => String(call[0])).join('');
        expect(message).toMatch(text);
        expect(message).not.toMatch(/\n\s+at /); // no stack trace
      } finally {
        stderr.mockRestore();
      }
    }
  });

  it('a raw datagram file with invalid content: errors counted on stderr, and the command exits 1 after decoding the rest', async () => {
    const path = sharedDataPath('flow-export/logstash-codec-netflow/netflow5_test_invalid01.dat');
    if (!path) return;
    const c = capture();
    const summary = decodeFiles([path], { format: 'jsonl' }, c.io);
    expect(summary).toMatchObject({ datagrams: 1, records: 0, errors: { DECODE_BAD_LENGTH: 1 } });
    expect(c.err.join('')).toMatch(/netflow5_test_invalid01\.dat: packet 1: offset 2: DECODE_BAD_LENGTH/);
    // Through the command, with a good file after the bad one: its records are printed, then exit 1.
    const program = new Command('vantage').exitOverride();
    registerDecode(program);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const run = program.parseAsync(['node', 'vantage', 'decode', path, TEMPLATE!, DATA!]);
      await expect(run).rejects.toMatchObject({ code: 'IMPORT_RECORD', message: '1 problem of malformed input (listed above); the other 4 records were decoded' });
      expect(out.mock.calls.map((call) => String(call[0])).join('').trim().split('\n')).toHaveLength(4);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});
