import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { requireTool, sharedDataPath } from '../../test-support/shared-data.js';
import { detectFormat, isNfcapdMagic } from './detect-format.js';

const head = (text: string) => text.split('\n').slice(0, 64);

describe('detectFormat on real files', () => {
  it.each([
    ['zeek-logs/rita-proxy-tsv/conn.log', 'zeek-tsv'],
    ['zeek-logs/zeek-baselines/opt.basic_conn.log', 'zeek-tsv'],
    ['zeek-logs/rita-json/conn.log', 'zeek-json'],
    ['zeek-logs/slips-test9-mixed/conn.log', 'zeek-json'],
    ['labeled-flows/stratosphere-security-datasets/002-zeek-scenario-port-scanning/conn.log', 'zeek-json'],
    ['labeled-flows/slips/test4-malicious.binetflow', 'argus-binetflow'],
    ['labeled-flows/slips/test3-mixed.binetflow', 'argus-binetflow'],
    ['labeled-flows/slips/test11-portscan.binetflow', 'argus-binetflow'],
    ['labeled-flows/cicids2017-improved-sample/Botnet_736.csv', 'cicflowmeter'],
    ['labeled-flows/cicids2017-improved-sample/BENIGN_2500.csv', 'cicflowmeter'],
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
    // A first line cut short or of another kind does not decide: the first objects that parse do.
    ['{"ts":1,"id.orig_h":"10.0.0.1","id.re\n{"ts":1,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2"}', 'zeek-json'],
    ['{"foo":1}\n{"ts":1,"id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2"}', 'zeek-json'],
    ['{"start":0,"src":"10.0.0.1","d\n{"start":0,"src":"10.0.0.1","dst":"10.0.0.2"}', 'jsonl'],
    ['StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label', 'argus-binetflow'],
    ['# exported\nStartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes', 'argus-binetflow'],
    ['StartTime,Dur,Proto,SrcAddr,DstAddr', 'csv'], // too few Argus columns: generic CSV
    ['Flow ID, Source IP, Source Port, Destination IP, Destination Port, Protocol, Timestamp, Flow Duration, Total Fwd Packets, Total Backward Packets,Total Length of Fwd Packets, Total Length of Bwd Packets, Label', 'cicflowmeter'],
    ['Src IP,Dst IP,Timestamp', 'csv'],
  ])('%j', (text, format) => {
    expect(detectFormat(text.split('\n'))).toBe(format);
  });
});

describe('isNfcapdMagic', () => {
  const nfcapd = sharedDataPath('flow-export/slips-nfdump/test1-malicious.nfdump');
  it.skipIf(!nfcapd)('is true for a real nfcapd file (0C A5 01 00: magic 0xA50C little-endian, layout 1)', () => {
    expect(isNfcapdMagic(readFileSync(nfcapd!).subarray(0, 4))).toBe(true);
  });
  it.each([
    [[0x0c, 0xa5, 0x02, 0x00], true], // nfdump 1.7 layout 2
    [[0xa5, 0x0c, 0x00, 0x02], true], // written big-endian
    [[0x0c, 0xa5, 0x03, 0x00], false], // unknown layout
    [[0x0c, 0xa5], false], // too short
    [[0x1f, 0x8b, 0x08, 0x00], false], // gzip
    [[0x74, 0x73, 0x2c, 0x74], false], // "ts,t"
  ])('%j -> %s', (bytes, expected) => {
    expect(isNfcapdMagic(Uint8Array.from(bytes))).toBe(expected);
  });
});
