import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../core/ip.js';
import { capturePaths, datagramsOf, decodeAll, decodeShared, mutate, prng, tsharkRecordsOf } from '../../test-support/flow-captures.js';
import { requireTool } from '../../test-support/shared-data.js';
import { decodeExportDatagram } from '../decode-export-datagram.js';
import { decodedFlowToJson, type DecodedFlow } from '../decoded-flow.js';
import { createDecoderState } from '../decoder-state.js';

const AK = 'flow-export/akvorado/netflow';
const LS = 'flow-export/logstash-codec-netflow';
const LOCALHOST = parseIp('127.0.0.1')!;
const json = (f: DecodedFlow) => decodedFlowToJson(f);
/** logstash's v9 conversion puts every *_switched time one second late (docs/decoders.md). */
const lsTime = (iso: string) => new Date(Date.parse(iso) - 1000).toISOString();

/** A v9 packet from flowsets given as [id, body bytes]. */
function v9Packet(sets: Array<[number, number[]]>, header: { uptime?: number; secs?: number; sourceId?: number } = {}): Uint8Array {
  const body = sets.flatMap(([id, b]) => [id >> 8, id & 255, (b.length + 4) >> 8, (b.length + 4) & 255, ...b]);
  const bytes = new Uint8Array(20 + body.length);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 9);
  v.setUint16(2, sets.length);
  v.setUint32(4, header.uptime ?? 100_000);
  v.setUint32(8, header.secs ?? 1_600_000_000);
  v.setUint32(16, header.sourceId ?? 0);
  bytes.set(body, 20);
  return bytes;
}
const u16 = (n: number) => [n >> 8, n & 255];
const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

describe('NetFlow v9 worked examples', () => {
  // Template 300: src(8)/4, dst(12)/4, packets(2)/4, bytes(1)/4, first(22)/4, last(21)/4, proto(4)/1.
  const template: [number, number[]] = [0, [...u16(300), ...u16(7), ...[8, 4, 12, 4, 2, 4, 1, 4, 22, 4, 21, 4, 4, 1].flatMap(u16)]];
  const record = (src: number, first: number, last: number) => [...u32(src), ...u32(0x0a000002), ...u32(2), ...u32(120), ...u32(first), ...u32(last), 17];

  it('converts First/Last from sysUptime: export time minus (uptime - switched)', () => {
    // uptime 100 000 ms at unix 1 600 000 000 s: first 95 000 -> 5 s before, last 99 500 -> 0.5 s before.
    const r = decodeExportDatagram(v9Packet([template, [300, record(0x0a000001, 95_000, 99_500)]]), LOCALHOST, 0, createDecoderState());
    expect(r.errors).toEqual([]);
    expect(r.records[0]).toMatchObject({ start: 1_600_000_000_000 - 5_000, end: 1_600_000_000_000 - 500, packets: 2, bytes: 120, proto: 17, template_id: 300 });
  });

  it('keeps data that precedes its template and decodes it when the template arrives', () => {
    const state = createDecoderState();
    const early = decodeExportDatagram(v9Packet([[300, record(0x0a000001, 1, 2)]]), LOCALHOST, 1_000, state);
    expect(early).toMatchObject({ records: [], deferred: 1, errors: [{ code: 'DECODE_V9_TEMPLATE_MISSING', templateId: 300 }] });
    const later = decodeExportDatagram(v9Packet([template]), LOCALHOST, 2_000, state);
    expect(later.replayed).toBe(1);
    expect(later.records.map((f) => formatIp(f.src))).toEqual(['10.0.0.1']);
  });

  it('drops waiting data past its age and bounds the waiting room', () => {
    const state = createDecoderState({ pendingMaxAgeMs: 1_000, maxPendingSets: 2 });
    for (let i = 0; i < 3; i++) decodeExportDatagram(v9Packet([[300 + i, record(1, 1, 2)]]), LOCALHOST, 0, state);
    expect(state.pendingSets).toBe(2); // the third pushed the oldest out
    const r = decodeExportDatagram(v9Packet([template]), LOCALHOST, 5_000, state);
    expect(r.errors.filter((e) => e.code === 'DECODE_PENDING_DROPPED')).toHaveLength(2);
    expect(state.pendingSets).toBe(0);
  });

  it('scopes templates by exporter and source id', () => {
    const state = createDecoderState();
    decodeExportDatagram(v9Packet([template], { sourceId: 1 }), LOCALHOST, 0, state);
    // Same template id from another source id or another exporter: unknown there.
    expect(decodeExportDatagram(v9Packet([[300, record(1, 1, 2)]], { sourceId: 2 }), LOCALHOST, 0, state).errors[0]!.code).toBe('DECODE_V9_TEMPLATE_MISSING');
    expect(decodeExportDatagram(v9Packet([[300, record(1, 1, 2)]], { sourceId: 1 }), parseIp('::1')!, 0, state).errors[0]!.code).toBe('DECODE_V9_TEMPLATE_MISSING');
    expect(decodeExportDatagram(v9Packet([[300, record(1, 1, 2)]], { sourceId: 1 }), LOCALHOST, 0, state).records).toHaveLength(1);
  });

  it('applies a sampler rate from options data to records naming the sampler', () => {
    // Options template 400: scope system(1)/4; sampler id(48)/1, interval(34)/4. Data template 301 names sampler 48.
    const options: [number, number[]] = [1, [...u16(400), ...u16(4), ...u16(8), ...u16(1), ...u16(4), ...u16(48), ...u16(1), ...u16(34), ...u16(4)]];
    const optionsData: [number, number[]] = [400, [...u32(0), 7, ...u32(512), 0, 0, 0]];
    const tpl301: [number, number[]] = [0, [...u16(301), ...u16(3), ...[2, 4, 1, 4, 48, 1].flatMap(u16)]];
    const r = decodeExportDatagram(v9Packet([options, optionsData, tpl301, [301, [...u32(3), ...u32(150), 7, 0, 0, 0]]]), LOCALHOST, 0, createDecoderState());
    expect(r.optionsRecords).toBe(1);
    expect(r.records[0]).toMatchObject({ sampler_id: 7, sampling: 512, packets: 3 * 512, bytes: 150 * 512 });
  });

  it('rejects flowsets whose length runs past the packet or is below 4', () => {
    const packet = v9Packet([template]);
    new DataView(packet.buffer).setUint16(22, 2000);
    expect(decodeExportDatagram(packet, LOCALHOST, 0, createDecoderState()).errors).toEqual([{ code: 'DECODE_BAD_LENGTH', offset: 20 }]);
    new DataView(packet.buffer).setUint16(22, 2);
    expect(decodeExportDatagram(packet, LOCALHOST, 0, createDecoderState()).errors).toEqual([{ code: 'DECODE_BAD_LENGTH', offset: 20 }]);
  });
});

describe.skipIf(!capturePaths([`${AK}/options-template.pcap`, `${AK}/options-data.pcap`, `${AK}/template.pcap`, `${AK}/data.pcap`]))('akvorado NetFlow v9 captures', () => {
  // Expected values: akvorado outlet/flow/decoder/netflow/root_test.go. akvorado keeps raw
  // counters beside SamplingRate; Vantage stores them multiplied (bytes 1500 x 30000 = 45e6).
  it('TestDecode: options template + options data + template + data -> 4 flows at 1:30000', () => {
    const { records, results } = decodeShared([`${AK}/options-template.pcap`, `${AK}/options-data.pcap`, `${AK}/template.pcap`, `${AK}/data.pcap`], { exporter: LOCALHOST });
    expect(results.map((r) => [r.templates, r.optionsRecords, r.records.length])).toEqual([
      [1, 0, 0],
      [0, 4, 0], // OptionsDataFlowSet records_total 4
      [1, 0, 0],
      [0, 0, 4],
    ]);
    const expected = [
      ['198.38.121.178', '91.170.143.87', '194.149.174.63', 335, 450, 24, 14, 1500, 443, 19624],
      ['198.38.121.219', '88.122.57.97', '194.149.174.71', 335, 452, 24, 14, 1500, 443, 2444],
      ['173.194.190.106', '37.165.129.20', '252.223.0.0', 461, 306, 20, 18, 1400, 443, 53697],
      ['74.125.100.234', '88.120.219.117', '194.149.174.61', 461, 451, 16, 14, 1448, 443, 52300],
    ] as const;
    records.forEach((f, i) => {
      const [src, dst, nh, inIf, outIf, srcMask, dstMask, bytes, sport, dport] = expected[i]!;
      expect(json(f)).toMatchObject({ exporter: '127.0.0.1', src, dst, next_hop: nh, in_if: inIf, out_if: outIf, src_mask: srcMask, dst_mask: dstMask, sport, dport, proto: 6, tcp_flags: 16, direction: 0, sampling: 30000, packets: 30000, bytes: bytes * 30000 });
      expect(f.extra).toMatchObject({ forwardingStatus: 64, ingressVRFID: 1610612738 });
    });
    expect(records[2]!.extra!.egressVRFID).toBe(1610612736);
    // TestDecodeTimestampFromFirstSwitched: packet ts 1647285928 s, sysUptime 944951609 ms,
    // first switched 944948659, 944948659, 944948660, 944948661 ms.
    expect(records.map((f) => f.start)).toEqual([944948659, 944948659, 944948660, 944948661].map((first) => 1647285928_000 - (944951609 - first)));
  });

  it('TestDecodeSamplingRate: the record’s own sampling interval (2048)', () => {
    const { records } = decodeShared([`${AK}/samplingrate-template.pcap`, `${AK}/samplingrate-data.pcap`], { exporter: LOCALHOST });
    expect(records).toHaveLength(6); // SOURCES.md: 6 flow records
    expect(json(records[0]!)).toMatchObject({ sampling: 2048, src: '232.131.215.65', dst: '142.183.180.65', in_if: 13, src_vlan: 701, next_hop: '0.0.0.0', packets: 2048, bytes: 160 * 2048, proto: 6, sport: 13245, dport: 10907 });
  });

  it('TestDecodeMultipleSamplingRates: per-sampler rates from options data', () => {
    const { records } = decodeShared(
      [`${AK}/multiplesamplingrates-options-template.pcap`, `${AK}/multiplesamplingrates-options-data.pcap`, `${AK}/multiplesamplingrates-template.pcap`, `${AK}/multiplesamplingrates-data.pcap`],
      { exporter: LOCALHOST },
    );
    expect(records).toHaveLength(12); // SOURCES.md: 12 flow records
    expect(json(records[0]!)).toMatchObject({ sampling: 4000, src: 'ffff::68', dst: 'ffff::1a', next_hop: 'ffff::2', src_mask: 48, dst_mask: 56, in_if: 97, out_if: 6, packets: 18 * 4000, bytes: 1348 * 4000, proto: 6, sport: 443, dport: 52616, tos: 64, tcp_flags: 16 });
    expect(json(records[1]!)).toMatchObject({ sampling: 2000, src: 'ffff::5a', dst: 'ffff::f', next_hop: 'ffff::3c', src_mask: 36, dst_mask: 48, in_if: 103, out_if: 6, packets: 4 * 2000, bytes: 579 * 2000, proto: 17, sport: 2121, dport: 2121, tos: 40 });
  });

  it('TestDecodeICMP: ICMP and ICMPv6 type/code, also as dport = type*256+code', () => {
    const { records } = decodeShared([`${AK}/icmp-template.pcap`, `${AK}/icmp-data.pcap`], { exporter: LOCALHOST });
    expect(records.map((f) => [formatIp(f.src), formatIp(f.dst), f.proto, f.icmp_type, f.icmp_code, f.dport, f.bytes, f.packets])).toEqual([
      ['2001:db8::', '2001:db8::1', 58, 128, 0, 32768, 104, 1],
      ['2001:db8::1', '2001:db8::', 58, 129, 0, 33024, 104, 1],
      ['203.0.113.4', '203.0.113.5', 1, 8, 0, 2048, 84, 1],
      ['203.0.113.5', '203.0.113.4', 1, 0, 0, 0, 84, 1],
    ]);
  });

  it('TestDecodeNAT: post-NAT addresses and ports', () => {
    const { records } = decodeShared([`${AK}/nat.pcap`], { exporter: LOCALHOST });
    expect(records).toHaveLength(9); // SOURCES.md: 9 records
    expect(json(records[0]!)).toMatchObject({ src: '172.16.100.198', dst: '10.89.87.1', sport: 35303, dport: 53, proto: 17, src_nat: '10.143.52.29', dst_nat: '10.89.87.1', src_nat_port: 35303, dst_nat_port: 53 });
  });

  it('TestTemplatesMixedWithData: the templates are learned and the data before them is replayed', () => {
    const { results } = decodeShared([`${AK}/data+templates.pcap`], { exporter: LOCALHOST });
    // akvorado learns option template 256 and template 257 for obs domain 17170432 and drops the
    // 11 records that precede template 257; Vantage keeps them aside and decodes them once it is read.
    expect(results[0]).toMatchObject({ templates: 2, deferred: 1, replayed: 11, errors: [{ code: 'DECODE_V9_TEMPLATE_MISSING', templateId: 257 }] });
    expect(results[0]!.records).toHaveLength(21); // 10 after the template (SOURCES.md) + 11 replayed
    expect(results[0]!.records.every((f) => f.observation_domain === 17170432 && f.sampling === 100)).toBe(true);
  });
});

describe.skipIf(!capturePaths([`${LS}/netflow9_test_valid01.dat`]))('logstash NetFlow v9 captures', () => {
  // Expected values: logstash-plugins/logstash-codec-netflow spec/codecs/netflow_spec.rb. logstash
  // also emits options records as events; Vantage counts those (optionsRecords) and emits flows.
  const run = (...files: string[]) => decodeShared(files.map((f) => `${LS}/${f}`));

  it('softflowd valid01: 7 flows, the first as expected', () => {
    const { records } = run('netflow9_test_valid01.dat');
    expect(records).toHaveLength(7);
    expect(json(records[0]!)).toMatchObject({ version: 9, template_id: 1024, src: '172.16.32.100', dst: '172.16.32.248', bytes: 76, packets: 1, in_if: 0, out_if: 0, sport: 123, dport: 123, proto: 17, tcp_flags: 0, tos: 0 });
    expect(json(records[0]!)).toMatchObject({ start: lsTime('2015-10-08T19:03:47.140Z'), end: lsTime('2015-10-08T19:03:47.141Z') });
  });

  it('MAC addresses (decode[1] after one options record)', () => {
    const { records, results } = run('netflow9_test_macaddr_tpl.dat', 'netflow9_test_macaddr_data.dat');
    expect(results[0]!.optionsRecords).toBe(1);
    expect(json(records[0]!)).toMatchObject({ template_id: 257, proto: 6, sport: 65058, src: '172.16.32.1', dport: 22, dst: '172.16.32.201', src_mac: '00:50:56:c0:00:01', dst_mac: '00:0c:29:70:86:09' });
    expect(records).toHaveLength(29); // SOURCES.md
  });

  it('Cisco ACI: 3 flows', () => {
    const { records } = run('netflow9_test_cisco_aci_tpl256-258.dat', 'netflow9_test_cisco_aci_data256.dat');
    expect(records).toHaveLength(3);
    expect(json(records[0]!)).toMatchObject({ dport: 49411, sport: 179, dst: '10.154.231.146', src: '10.154.231.145', packets: 2, bytes: 99, proto: 6, tcp_flags: 24, in_if: 369139712, src_vlan: 0, direction: 0 });
    expect(json(records[0]!)).toMatchObject({ start: lsTime('2018-10-15T11:28:05.019Z'), end: lsTime('2018-10-15T11:28:24.066Z') });
  });

  it('Cisco ASA (NSEL): 14 and 19 records, ICMP, translated addresses, initiator octets', () => {
    const asa1 = run('netflow9_test_cisco_asa_1_tpl.dat', 'netflow9_test_cisco_asa_1_data.dat').records;
    expect(asa1).toHaveLength(14);
    expect(json(asa1[1]!)).toMatchObject({ template_id: 265, src: '192.168.23.22', sport: 17549, in_if: 2, dst: '164.164.37.11', out_if: 3, proto: 1, icmp_type: 8, icmp_code: 0, dport: 2048, src_nat: '192.168.23.22', dst_nat: '164.164.37.11', src_nat_port: 17549, dst_nat_port: 0, bytes: 56 });
    expect(asa1[1]!.extra).toMatchObject({ flowId: 8501, NF_F_FW_EVENT: 2, NF_F_FW_EXT_EVENT: 2025 });
    const asa2 = run('netflow9_test_cisco_asa_2_tpl_26x.dat', 'netflow9_test_cisco_asa_2_tpl_27x.dat', 'netflow9_test_cisco_asa_2_data.dat').records;
    expect(asa2).toHaveLength(19);
    expect(json(asa2[18]!)).toMatchObject({ template_id: 263, src: '192.168.0.1', sport: 56651, in_if: 3, dst: '192.168.0.18', dport: 80, out_if: 4, proto: 6, src_nat: '192.168.0.1', dst_nat: '192.168.0.18', src_nat_port: 56651, dst_nat_port: 80, bytes: 69 });
    expect(asa2[18]!.extra).toMatchObject({ flowId: 742820223, responderOctets: 14178 });
  });

  it('templates of two exporters do not overwrite each other (nprobe + softflowd)', () => {
    const { records, results } = run('netflow9_test_nprobe_tpl.dat', 'netflow9_test_softflowd_tpl_data.dat', 'netflow9_test_nprobe_data.dat');
    expect(results[0]!.optionsRecords).toBe(1); // logstash decode[0]: scope_system 0, total_flows_exp 1
    expect(records).toHaveLength(8); // logstash decode.size 9 = 1 options record + 8 flows
    expect(json(records[0]!)).toMatchObject({ src: '172.16.32.100', dst: '172.16.32.248', sport: 123, dport: 123, bytes: 76 });
    expect(json(records[7]!)).toMatchObject({ template_id: 257, bytes: 200, packets: 2, proto: 6, tos: 16, tcp_flags: 24, sport: 22, src: '172.16.32.201', dport: 65058, dst: '172.16.32.1', next_hop: '0.0.0.0' });
    expect(json(records[7]!)).toMatchObject({ start: lsTime('2015-10-08T19:05:56.010Z'), end: lsTime('2015-10-08T19:05:56.015Z') });
  });

  it('Juniper SRX options template with a zero-length scope field; 0-length template fields', () => {
    expect(run('netflow9_test_juniper_srx_tplopt.dat').results[0]).toMatchObject({ optionsRecords: 1, errors: [] });
    const { records } = run('netflow9_test_0length_fields_tpl_data.dat');
    expect(records).toHaveLength(10);
    expect(json(records[9]!)).toMatchObject({ src: '192.168.1.33', dst: '239.255.255.250', proto: 2, in_if: 2, out_if: 3, src_mask: 32, dst_mask: 32, direction: 1 });
    expect(records[9]!.extra).toMatchObject({ postOctetDeltaCount: 32, postPacketDeltaCount: 1, engineId: 1 });
  });

  it('Cisco ASR 9000: options data (19 interface records) and template 260', () => {
    const { records, results } = run(
      'netflow9_test_cisco_asr9k_opttpl256.dat',
      'netflow9_test_cisco_asr9k_opttpl257.dat',
      'netflow9_test_cisco_asr9k_opttpl334.dat',
      'netflow9_test_cisco_asr9k_tpl260.dat',
      'netflow9_test_cisco_asr9k_tpl266.dat',
      'netflow9_test_cisco_asr9k_data256.dat',
      'netflow9_test_cisco_asr9k_data260.dat',
    );
    expect(results[5]!.optionsRecords).toBe(19);
    expect(records).toHaveLength(21);
    expect(json(records[20]!)).toMatchObject({ dst_as: 64498, packets: 2, bytes: 112, sport: 443, dport: 52364, proto: 6, tcp_flags: 18, src_as: 15169, direction: 1, out_if: 158, in_if: 75, dst_mask: 24, src_mask: 24, dst: '10.0.15.38', src: '10.0.29.46', tos: 0, sampler_id: 1, bgp_next_hop: '10.0.14.27' });
    expect(records[20]!.extra).toMatchObject({ ingressVRFID: 1610612736, egressVRFID: 1610612736 });
    expect(json(records[20]!)).toMatchObject({ start: lsTime('2016-12-06T10:08:53.377Z'), end: lsTime('2016-12-06T10:08:54.964Z') });
  });

  it('Cisco NBAR: 15 options records, then 5 flows', () => {
    const { records, results } = run('netflow9_test_cisco_nbar_opttpl260.dat', 'netflow9_test_cisco_nbar_tpl262.dat', 'netflow9_test_cisco_nbar_data262.dat');
    expect(results[0]!.optionsRecords).toBe(15);
    expect(records).toHaveLength(5);
    expect(json(records[4]!)).toMatchObject({ dst_as: 0, packets: 36, bytes: 2794, sport: 45269, dport: 161, proto: 17, next_hop: '0.0.0.0', direction: 0, src_as: 0, out_if: 0, in_if: 1, dst: '10.30.19.180', src: '10.10.172.60', tos: 0, src_mac: '00:18:19:9e:6c:01', dst_mac: '1c:df:0f:7e:c3:58', sampler_id: 0, src_mask: 0 });
    expect(json(records[4]!)).toMatchObject({ start: lsTime('2017-02-14T11:10:20.936Z'), end: lsTime('2017-02-14T11:10:21.008Z') });
  });

  it('Cisco WLC: 19 records; WLC 8510, 1941/K9 and ASR1001-X decode without error', () => {
    const wlc = run('netflow9_test_cisco_wlc_tpl.dat', 'netflow9_test_cisco_wlc_data261.dat').records;
    expect(wlc).toHaveLength(19);
    expect(json(wlc[18]!)).toMatchObject({ packets: 53362, bytes: 80973880, direction: 1 });
    expect(wlc[18]!.extra).toMatchObject({ wlanSSID: 'Test-env', staIPv4Address: '192.168.20.121', staMacAddress: '34:02:86:75:c0:51', wtpMacAddress: '00:f6:63:cc:80:60' });
    for (const file of ['netflow9_test_cisco_wlc_8510_tpl_262.dat', 'netflow9_test_cisco_1941K9.dat', 'netflow9_cisco_asr1001x_tpl259.dat']) {
      expect(run(file).results[0]!.errors).toEqual([]);
    }
    expect(run('netflow9_test_cisco_1941K9.dat').records).toHaveLength(29); // SOURCES.md
    expect(run('netflow9_cisco_asr1001x_tpl259.dat').records).toHaveLength(25); // SOURCES.md
  });

  it('H3C NetStream (16 records; variable-length string) and Huawei NetStream', () => {
    const h3c = run('netflow9_test_h3c_tpl3281.dat', 'netflow9_test_h3c_data3281.dat').records;
    expect(h3c).toHaveLength(16);
    expect(h3c[11]!.extra).toMatchObject({ dstTrafficIndex: 4294967295, srcTrafficIndex: 0 });
    expect(json(h3c[15]!)).toMatchObject({ packets: 9, src_as: 0, dport: 0, dst_mask: 24, tcp_flags: 0, tos: 0, dst_as: 0, in_if: 2662, direction: 0, src_mask: 24, bytes: 5092, src: '10.22.166.36', dst: '10.21.75.38', next_hop: '10.21.17.78', sport: 0, proto: 6, out_if: 1743 });
    expect(json(h3c[15]!)).toMatchObject({ start: lsTime('2018-05-21T09:24:04.922Z'), end: lsTime('2018-05-21T09:25:04.928Z') });
    const varstring = run('netflow9_test_h3c_netstream_varstring_tpl3281.dat', 'netflow9_test_h3c_netstream_varstring_data3281.dat').records;
    expect(varstring).toHaveLength(1);
    expect(json(varstring[0]!)).toMatchObject({ packets: 9, dst: '20.20.255.255', src: '20.20.20.20', sport: 137, dport: 137, proto: 17, in_if: 17, out_if: 0, bytes: 702, src_mask: 32, dst_mask: 32 });
    expect(varstring[0]!.extra).toMatchObject({ VRFname: '' });
    const huawei = run('netflow9_test_huawei_netstream_tpl.dat', 'netflow9_test_huawei_netstream_data.dat').records;
    expect(huawei).toHaveLength(1);
    expect(json(huawei[0]!)).toMatchObject({ packets: 4, bytes: 200, next_hop: '10.108.252.41', sport: 45587, dport: 2598, proto: 6, tcp_flags: 24, src_vlan: 0, dst_vlan: 0, direction: 1, out_if: 31, in_if: 8, dst_mask: 25, src_mask: 24, dst: '10.111.112.204', src: '10.108.219.53', bgp_next_hop: '0.0.0.0' });
    expect(huawei[0]!.extra).toMatchObject({ responderOctets: 0 });
    expect(json(huawei[0]!)).toMatchObject({ start: lsTime('2018-01-29T02:56:52.940Z'), end: lsTime('2018-01-29T03:02:20.000Z') });
  });

  it('layer2SegmentId, Fortigate, ipt_netflow reduced-size encoding, Palo Alto, IE150/151, nprobe DPI', () => {
    const l2 = run('netflow9_test_field_layer2segmentid_tpl.dat', 'netflow9_test_field_layer2segmentid_data.dat').records;
    expect(json(l2[0]!)).toMatchObject({ packets: 1, dst: '80.82.237.40', src: '192.168.200.136', sport: 61926, dport: 445, src_vlan: 3174, proto: 6, bytes: 52, in_if: 7, sampler_id: 98, direction: 0 });
    expect(l2[0]!.extra).toMatchObject({ layer2SegmentId: 0, ingressVRFID: 0 });
    expect(json(l2[0]!)).toMatchObject({ start: lsTime('2018-01-16T09:44:48.000Z') });

    const forti = run('netflow9_test_fortigate_fortios_542_appid_tpl258-269.dat', 'netflow9_test_fortigate_fortios_542_appid_data258_262.dat').records;
    expect(forti).toHaveLength(17);
    expect(json(forti[0]!)).toMatchObject({ out_if: 2, src_nat_port: 45380, packets: 6, dst: '182.50.136.239', sport: 45380, dst_nat_port: 0, src: '192.168.100.151', bytes: 748, proto: 6, end_reason: 3, in_if: 8, src_nat: '10.0.0.250', dst_nat: '0.0.0.0', dport: 80 });
    expect(json(forti[0]!)).toMatchObject({ start: lsTime('2018-05-11T00:54:10.580Z'), end: lsTime('2018-05-11T00:54:10.990Z') });

    const ipt = run('netflow9_test_iptnetflow_reduced_size_encoding_tpldata260.dat').records;
    expect(ipt).toHaveLength(12);
    expect(json(ipt[11]!)).toMatchObject({ sport: 443, bytes: 187, dst_mac: '00:1b:21:bc:24:dd', proto: 6, out_if: 8, tos: 0, dport: 38164, in_if: 7, packets: 3, next_hop: '10.232.5.1', tcp_flags: 25, dst: '10.233.150.21', src: '2.17.140.47', src_mac: '90:e2:ba:23:09:fc' });
    expect(json(ipt[11]!)).toMatchObject({ start: lsTime('2018-02-18T05:46:54.800Z'), end: lsTime('2018-02-18T05:46:54.992Z') });

    const palo = run('netflow9_test_paloalto_81_tpl256-263.dat', 'netflow9_test_paloalto_81_data257_1flowset_in_large_zerofilled_packet.dat');
    expect(palo.results[1]!.errors).toEqual([]); // the zero padding after the flowset is not an error
    expect(json(palo.records[0]!)).toMatchObject({ out_if: 500010002, packets: 3, tos: 0, dst: '134.220.1.156', sport: 88, src: '134.220.2.6', bytes: 363, proto: 6, tcp_flags: 94, in_if: 500010024, dport: 50234, direction: 0 });
    expect(palo.records[0]!.extra).toMatchObject({ flowId: 1428388, privateEnterpriseNumber: 25461, '0.56701': 'kerberos' });
    expect(json(palo.records[0]!)).toMatchObject({ start: lsTime('2018-06-06T13:20:03.000Z') });

    const ie150 = run('netflow9_test_unknown_tpl266_292_data.dat').records;
    expect(ie150.map((f) => [f.template_id, f.start / 1000, f.end / 1000, formatIp(f.src), formatIp(f.dst), f.sport, f.dport, f.bytes, f.direction, f.sampler_id])).toEqual([
      [266, 1512147866, 1512147866, '192.168.0.3', '192.168.0.2', 137, 137, 78, 0, 1],
      [292, 1512147869, 1512147869, '192.168.0.4', '192.168.0.5', 58130, 6343, 232, 1, 1],
    ]);

    const dpi = run('netflow9_test_nprobe_dpi.dat').records;
    expect(dpi).toHaveLength(1);
    expect(dpi[0]).toMatchObject({ bytes: 82, packets: 1 });
    expect(dpi[0]!.extra).toMatchObject({ '0.57590': 82 }); // nprobe_proto 82
  });

  it('Streamcore: templates and data in one packet, vendor elements kept by id', () => {
    const { records } = run('netflow9_test_streamcore_tpl_data256.dat', 'netflow9_test_streamcore_tpl_data260.dat');
    expect(records).toHaveLength(4);
    expect(json(records[0]!)).toMatchObject({ packets: 3, sport: 8080, bytes: 128, proto: 6, tcp_flags: 19, dport: 50073, out_if: 1148, tos: 40, dst: '10.231.128.150', src: '100.78.40.201', in_if: 1152 });
    expect(records[0]!.extra).toMatchObject({ '0.8384': 1171, '0.8385': 1179 }); // streamcore_id_rule_1/2
    expect(records[3]!.extra).toMatchObject({ '0.8256': 'live.lemde.fr', '0.8257': '/mux.json' }); // hostname, url
    expect(json(records[0]!)).toMatchObject({ start: lsTime('2017-01-11T11:47:23.867Z'), end: lsTime('2017-01-11T11:47:29.879Z') });
  });

  it('invalid01: decodes what is well-formed, reports nothing thrown', () => {
    const { results } = run('netflow9_test_invalid01.dat');
    expect(results[0]!.errors.filter((e) => e.code === 'DECODE_INTERNAL')).toEqual([]);
  });
});

describe.skipIf(!capturePaths([`${AK}/multiplesamplingrates-template.pcap`]) || !requireTool('tshark'))('tshark agrees on NetFlow v9 captures', () => {
  const cases: Array<[string[], string]> = [
    [[`${AK}/template.pcap`, `${AK}/data.pcap`], 'udp.port==2055,cflow'],
    [[`${AK}/multiplesamplingrates-template.pcap`, `${AK}/multiplesamplingrates-data.pcap`], 'udp.port==2055,cflow'],
    [[`${AK}/nat.pcap`], 'udp.port==2055,cflow'],
    [['flow-export/pmacct/101-NFv9-CISCO-cust_primitives/traffic-00.pcap'], 'udp.port==9991,cflow'],
    [['flow-export/pmacct/102-NFv9-CISCO-f2rd-pretag-sampling-reload/traffic-00.pcap'], 'udp.port==9991,cflow'],
  ];
  it.each(cases)('%s: src, dst, ports, proto, packets, bytes', (files, decodeAs) => {
    const { records } = decodeShared(files);
    // tshark keeps templates within one file: give it the captures concatenated.
    const shark = tsharkRecordsOf(capturePaths(files)!, [decodeAs], ['cflow.srcaddr', 'cflow.srcaddrv6', 'cflow.dstaddr', 'cflow.dstaddrv6', 'cflow.srcport', 'cflow.dstport', 'cflow.protocol', 'cflow.packets', 'cflow.packets64', 'cflow.octets', 'cflow.octets64']);
    const rows = shark
      .map(({ fields }) => fields)
      .filter((f) => f.has('cflow.srcaddr') || f.has('cflow.srcaddrv6'))
      .map((f) => [
        (f.get('cflow.srcaddr') ?? f.get('cflow.srcaddrv6'))![0],
        (f.get('cflow.dstaddr') ?? f.get('cflow.dstaddrv6'))![0],
        f.get('cflow.srcport')?.[0] ?? '0',
        f.get('cflow.dstport')?.[0] ?? '0',
        f.get('cflow.protocol')?.[0],
        (f.get('cflow.packets') ?? f.get('cflow.packets64'))?.[0] ?? '0',
        (f.get('cflow.octets') ?? f.get('cflow.octets64'))?.[0] ?? '0',
      ]);
    expect(rows.length).toBeGreaterThan(0);
    // tshark prints raw counters: compare with ours divided by the sampling rate we applied.
    expect(records.map((f) => [formatIp(f.src), formatIp(f.dst), String(f.sport), String(f.dport), String(f.proto), String(f.packets / f.sampling), String(f.bytes / f.sampling)])).toEqual(rows);
  });
});

describe('NetFlow v9 fuzz', () => {
  it('6 000 mutated datagrams from real captures: no exception, bad lengths rejected with a code', () => {
    const seeds = [
      ...datagramsOf(`${AK}/data+templates.pcap`),
      ...datagramsOf(`${AK}/nat.pcap`),
      ...datagramsOf(`${AK}/multiplesamplingrates-template.pcap`),
      ...datagramsOf(`${AK}/multiplesamplingrates-data.pcap`),
      ...datagramsOf(`${LS}/netflow9_test_cisco_asa_1_tpl.dat`),
      ...datagramsOf(`${LS}/netflow9_test_cisco_asa_1_data.dat`),
      ...datagramsOf(`${LS}/netflow9_test_h3c_netstream_varstring_tpl3281.dat`),
      ...datagramsOf(`${LS}/netflow9_test_h3c_netstream_varstring_data3281.dat`),
    ];
    if (seeds.length === 0) return;
    const random = prng(9);
    const state = createDecoderState();
    decodeAll(seeds, state); // templates known, so mutated data exercises the record readers
    for (let i = 0; i < 6_000; i++) {
      const seed = seeds[i % seeds.length]!;
      const bytes = mutate(seed.bytes, random);
      const r = decodeExportDatagram(bytes, seed.exporter, seed.receivedAt, state);
      expect(r.errors.filter((e) => e.code === 'DECODE_INTERNAL')).toEqual([]);
      // A first flowset claiming to run past the end is rejected with a code.
      if (bytes.length >= 24 && bytes[0] === 0 && bytes[1] === 9) {
        const len = (bytes[22]! << 8) | bytes[23]!;
        if (20 + len > bytes.length) expect(r.errors.map((e) => e.code)).toContain('DECODE_BAD_LENGTH');
      }
    }
    expect(state.pendingSets).toBeLessThanOrEqual(state.options.maxPendingSets);
  });
});
