import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { detectFormat } from './detect-format.js';

const head = (text: string) => text.split('\n').slice(0, 64);

describe('detectFormat on real files', () => {
  it.each([
    ['zeek-logs/rita-proxy-tsv/conn.log', 'zeek-tsv'],
    ['zeek-logs/zeek-baselines/opt.basic_conn.log', 'zeek-tsv'],
    ['zeek-logs/rita-json/conn.log', 'zeek-json'],
    ['zeek-logs/slips-test9-mixed/conn.log', 'zeek-json'],
    ['labeled-flows/stratosphere-security-datasets/002-zeek-scenario-port-scanning/conn.log', 'zeek-json'],
    ['labeled-flows/slips/test4-malicious.binetflow', 'csv'],
    ['labeled-flows/cicids2017-improved-sample/Botnet_736.csv', 'csv'],
  ])('%s is %s', (rel, format) => {
    const path = sharedDataPath(rel);
    if (!path) return;
    expect(detectFormat(head(readFileSync(path, 'utf8')))).toBe(format);
  });

  const nfdumpFile = sharedDataPath('flow-export/slips-nfdump/test1-malicious.nfdump');
  it.skipIf(!nfdumpFile || !requireTool('nfdump'))('nfdump -o csv and -o json', () => {
    const out = (fmt: string) => execFileSync('nfdump', ['-r', nfdumpFile!, '-o', fmt, '-c', '5']).toString();
    expect(detectFormat(head(out('csv')))).toBe('nfdump-csv');
    expect(detectFormat(head(out('json')))).toBe('nfdump-json');
  });
});

describe('detectFormat on inline text', () => {
  it.each([
    ['\uFEFFsrc,dst,start\n1,2,3', 'csv'],
    ['# comment\nsrc\tdst\tstart', 'csv'],
    ['{"src":"10.0.0.1","dst":"10.0.0.2","start":0}', 'jsonl'],
    ['{"ts":1,"id":{"orig_h":"10.0.0.1"}}', 'zeek-json'],
    ['\n\n#fields\tts\tuid', 'zeek-tsv'],
    ['[\n{\n\t"type" : "FLOW",\n', 'nfdump-json'],
    ['[\n{"a": 1}\n]', undefined],
    ['just words', undefined],
    ['', undefined],
    ['{not json', undefined],
  ])('%j', (text, format) => {
    expect(detectFormat(text.split('\n'))).toBe(format);
  });
});
