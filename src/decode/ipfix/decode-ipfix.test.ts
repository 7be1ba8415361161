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
const u16 = (n: number) => [n >> 8, n & 255];
const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

/** An IPFIX message from sets given as [set id, body bytes]. */
function message(sets: Array<[number, number[]]>, exportSecs = 1_700_000_000, domain = 1): Uint8Array {
  const body = sets.flatMap(([id, b]) => [...u16(id), ...u16(b.length + 4), ...b]);
  const bytes = new Uint8Array(16 + body.length);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 10);
  v.setUint16(2, bytes.length);
  v.setUint32(4, exportSecs);
  v.setUint32(12, domain);
  bytes.set(body, 16);
  return bytes;
}
/** A template record: id then [element id, length, pen?] fields (pen sets the enterprise bit). */
const templateRecord = (id: number, fields: Array<[number, number, number?]>) => [
  ...u16(id),
  ...u16(fields.length),
  ...fields.flatMap(([e, len, pen]) => (pen ? [...u16(e | 0x8000), ...u16(len), ...u32(pen)] : [...u16(e), ...u16(len)])),
];

describe('IPFIX worked examples', () => {
  it('variable-length fields, the 3-byte length form, enterprise elements kept by (pen, id)', () => {
    // Template 256: sourceIPv4Address/4, applicationName(96)/var, PEN 9999 element 7 / var.
    const long = 'x'.repeat(300); // > 254: length byte 255 then a 2-byte length
    const record = [...u32(0x0a000001), 5, ...Array.from('hello', (c) => c.charCodeAt(0)), 255, ...u16(long.length), ...Array.from(long, (c) => c.charCodeAt(0))];
    const r = decodeExportDatagram(message([[2, templateRecord(256, [[8, 4], [96, 65535], [7, 65535, 9999]])], [256, record]]), LOCALHOST, 0, createDecoderState());
    expect(r.errors).toEqual([]);
    expect(r.records[0]!.extra).toEqual({ applicationName: 'hello', '9999.7': long });
  });

  it('reduced-size encoding: counters in fewer octets than their type', () => {
    // packetDeltaCount in 2 octets, octetDeltaCount in 3, ingressInterface in 1.
    const r = decodeExportDatagram(message([[2, templateRecord(256, [[2, 2], [1, 3], [10, 1]])], [256, [...u16(7), 0x01, 0x00, 0x00, 9]]]), LOCALHOST, 0, createDecoderState());
    expect(r.records[0]).toMatchObject({ packets: 7, bytes: 65536, in_if: 9 });
  });

  it('template withdrawal: one template, then all of a domain', () => {
    const state = createDecoderState();
    decodeExportDatagram(message([[2, [...templateRecord(256, [[2, 4]]), ...templateRecord(257, [[1, 4]])]]]), LOCALHOST, 0, state);
    expect(decodeExportDatagram(message([[2, [...u16(256), ...u16(0)]]]), LOCALHOST, 0, state).withdrawn).toBe(1);
    expect(decodeExportDatagram(message([[256, u32(1)]]), LOCALHOST, 0, state).errors[0]!.code).toBe('DECODE_IPFIX_TEMPLATE_MISSING');
    expect(decodeExportDatagram(message([[257, u32(1)]]), LOCALHOST, 0, state).records).toHaveLength(1);
    // Template id 2 with no field withdraws every data template of the domain.
    expect(decodeExportDatagram(message([[2, [...u16(2), ...u16(0)]]]), LOCALHOST, 0, state).withdrawn).toBe(1);
    expect(decodeExportDatagram(message([[257, u32(1)]]), LOCALHOST, 0, state).errors[0]!.code).toBe('DECODE_IPFIX_TEMPLATE_MISSING');
  });

  it('times: NTP microseconds, delta microseconds, sysUpTime with and without systemInitTime', () => {
    const state = createDecoderState();
    // flowStartMicroseconds (154) NTP: seconds since 1900 (2208988800 + 1 700 000 000) + half a second.
    const ntp = [...u32(2208988800 + 1_700_000_000), ...u32(0x80000000)];
    let r = decodeExportDatagram(message([[2, templateRecord(300, [[154, 8]])], [300, ntp]]), LOCALHOST, 0, state);
    expect(r.records[0]).toMatchObject({ start: 1_700_000_000_500, end: 1_700_000_000_500 });
    // flowStart/EndDeltaMicroseconds (158/159): before the export time (1 700 000 010 s).
    r = decodeExportDatagram(message([[2, templateRecord(301, [[158, 4], [159, 4]])], [301, [...u32(3_000_000), ...u32(1_000)]]], 1_700_000_010), LOCALHOST, 0, state);
    expect(r.records[0]).toMatchObject({ start: 1_700_000_007_000, end: 1_700_000_009_999 });
    // flowStart/EndSysUpTime (22/21) with systemInitTimeMilliseconds (160) in the record.
    r = decodeExportDatagram(message([[2, templateRecord(302, [[160, 8], [22, 4], [21, 4]])], [302, [...u32(0), ...u32(1_000_000), ...u32(5_000), ...u32(9_000)]]]), LOCALHOST, 0, state);
    expect(r.records[0]).toMatchObject({ start: 1_005_000, end: 1_009_000 });
    // Without any init time: the flow ends at export time and keeps its 4 s duration.
    r = decodeExportDatagram(message([[2, templateRecord(303, [[22, 4], [21, 4]])], [303, [...u32(5_000), ...u32(9_000)]]], 1_700_000_000, 9), LOCALHOST, 0, state);
    expect(r.records[0]).toMatchObject({ start: 1_699_999_996_000, end: 1_700_000_000_000 });
  });

  it('rejects a message or set that claims bytes past the datagram, and malformed templates', () => {
    const m = message([[2, templateRecord(256, [[2, 4]])]]);
    const long = m.slice();
    new DataView(long.buffer).setUint16(2, m.length + 10);
    expect(decodeExportDatagram(long, LOCALHOST, 0, createDecoderState()).errors).toEqual([{ code: 'DECODE_BAD_LENGTH', offset: 2 }]);
    const set = m.slice();
    new DataView(set.buffer).setUint16(18, 200);
    expect(decodeExportDatagram(set, LOCALHOST, 0, createDecoderState()).errors).toEqual([{ code: 'DECODE_BAD_LENGTH', offset: 18 }]);
    // Options template with scope count 0, template id below 256, template field list past its set.
    expect(decodeExportDatagram(message([[3, [...u16(300), ...u16(1), ...u16(0), ...u16(1), ...u16(4)]]]), LOCALHOST, 0, createDecoderState()).errors[0]!.code).toBe('DECODE_BAD_TEMPLATE');
    expect(decodeExportDatagram(message([[2, templateRecord(200, [[2, 4]])]]), LOCALHOST, 0, createDecoderState()).errors[0]!.code).toBe('DECODE_BAD_TEMPLATE');
    expect(decodeExportDatagram(message([[2, [...u16(256), ...u16(5), ...u16(2), ...u16(4)]]]), LOCALHOST, 0, createDecoderState()).errors[0]!.code).toBe('DECODE_BAD_LENGTH');
  });

  it('a record cut by the end of its set is counted and ends the set', () => {
    const r = decodeExportDatagram(message([[2, templateRecord(256, [[2, 4], [96, 65535]])], [256, [...u32(1), 200, 1, 2]]]), LOCALHOST, 0, createDecoderState());
    expect(r.errors).toEqual([{ code: 'DECODE_RECORD_TRUNCATED', offset: 36, templateId: 256 }]); // 16 header + 16 template set + 4 set header
  });
});

describe.skipIf(!capturePaths([`${AK}/datalink-template.pcap`]))('akvorado IPFIX captures', () => {
  // Expected values: akvorado outlet/flow/decoder/netflow/root_test.go and decode_evpn_test.go.
  const run = (files: string[], decoder = {}) => decodeShared(files.map((f) => `${AK}/${f}`), { exporter: LOCALHOST, decoder });

  it('TestDecodeDataLink: L2-L4 from the dataLinkFrameSection (IE 315)', () => {
    const { records } = run(['datalink-template.pcap', 'datalink-data.pcap']);
    expect(records).toHaveLength(1);
    expect(json(records[0]!)).toMatchObject({ src: '51.51.51.51', dst: '52.52.52.52', src_vlan: 231, dst_vlan: 231, in_if: 582, out_if: 0, bytes: 96, sport: 55501, dport: 11777, packets: 1, proto: 17, src_mac: 'b4:02:16:55:92:f4', dst_mac: '18:2a:d3:6e:50:3f', direction: 0 });
  });

  it('TestDecodeWithoutTemplate: no flow, a counted template miss', () => {
    const { records, results } = run(['datalink-data.pcap']);
    expect(records).toEqual([]);
    expect(results[0]!.errors).toEqual([{ code: 'DECODE_IPFIX_TEMPLATE_MISSING', offset: 16, templateId: 384 }]);
  });

  it('TestDecodeEVPN: Ethernet over MPLS with a control word (flow #4)', () => {
    const { records } = run(['ethernet-over-mpls-with-control-word-template.pcap', 'ethernet-over-mpls-with-control-word-data.pcap']);
    expect(records).toHaveLength(10);
    expect(json(records[3]!)).toMatchObject({ in_if: 1022, out_if: 0, src: '198.51.100.1', dst: '198.51.100.2', proto: 6, sport: 443, dport: 55427, tcp_flags: 16, tos: 32, bytes: 1492, packets: 1, mpls_labels: [300012, 17], dst_mac: '02:00:00:00:00:03', src_mac: '02:00:00:00:00:04', direction: 0 });
  });

  it('TestDecodeSRv6: the inner IPv4 packet when IP-in-IP decapsulation is on', () => {
    const { records } = run(['ipfix-srv6-template.pcap', 'ipfix-srv6-data.pcap'], { decapsulateIpInIp: true });
    expect(json(records[0]!)).toMatchObject({ src: '8.8.8.8', dst: '213.36.140.100', packets: 1, bytes: 64, proto: 1, direction: 0 });
    // Decapsulation is off by default: the outer IPv6 packet (protocol 4) is the flow.
    expect(json(run(['ipfix-srv6-template.pcap', 'ipfix-srv6-data.pcap']).records[0]!)).toMatchObject({ proto: 4 });
  });

  it('TestJuniperCPIDDrop: the outer IPv6 packet, Juniper’s common properties id kept by (pen, id)', () => {
    const { records } = run(['juniper-cpid-template.pcap', 'juniper-cpid-data.pcap']);
    expect(json(records[0]!)).toMatchObject({ in_if: 737, out_if: 0, src: 'fc30:2200:1b::f', dst: 'fc30:2200:23:e009::', packets: 1, bytes: 104, direction: 0, proto: 4, src_mac: '0c:00:c3:86:af:07', dst_mac: '2c:6b:f5:e8:1f:c5' });
    expect(records[0]!.extra).toHaveProperty('2636.137');
  });

  it('TestDecodeMPLS: label stack elements', () => {
    const { records } = run(['mpls.pcap']);
    expect(records.map((f) => [formatIp(f.src), formatIp(f.dst), formatIp(f.next_hop!), f.sampling, f.out_if, f.bytes / f.sampling, f.packets / f.sampling, f.proto, f.sport, f.dport, f.mpls_labels, f.direction])).toEqual([
      ['fd00::1:0:1:7:1', 'fd00::1:0:1:5:1', '0.0.0.0', 10, 16, 89, 1, 17, 49153, 862, [20005, 524250], 1],
      ['fd00::1:0:1:7:1', 'fd00::1:0:1:6:1', '0.0.0.0', 10, 17, 890, 10, 17, 49153, 862, [20006, 524275], 1],
    ]);
    expect(records[0]!.extra).toMatchObject({ forwardingStatus: 66, egressVRFID: 1, minimumTTL: 255 });
  });

  it('TestDecodePhysicalInterfaces: physical interfaces, dot1q VLANs, zero IPv6 beside IPv4', () => {
    const { records } = run(['physicalinterfaces.pcap']);
    expect(records).toHaveLength(8); // tshark: "Set 4 [id=1910] (8 flows)"
    expect(json(records[0]!)).toMatchObject({ sampling: 1000, in_if: 1342177291, out_if: 0, src_vlan: 4, dst_vlan: 0, src: '147.53.240.75', dst: '212.82.101.24', next_hop: '0.0.0.0', src_mac: 'c0:14:fe:f6:c3:65', dst_mac: 'e8:b6:c2:4a:e3:4c', packets: 3000, bytes: 4506000, sport: 55629, dport: 993, tcp_flags: 16, proto: 6 });
    expect(records[0]!.extra).toMatchObject({ ingressVRFID: 311 });
  });

  it('TestDecodeRFC5103: biflows split in two records (reverse with empty packets dropped)', () => {
    const { records } = run(['ipfixprobe-templates.pcap', 'ipfixprobe-data.pcap']);
    const rows = records.map((f) => [formatIp(f.src), formatIp(f.dst), f.sport, f.dport, f.proto, f.packets, f.bytes, f.in_if ?? 0, f.out_if ?? 0, json(f).src_mac, json(f).dst_mac, f.tcp_flags]);
    expect(rows).toEqual([
      ['10.10.1.4', '10.10.1.1', 56166, 53, 17, 1, 62, 10, 0, '00:e0:1c:3c:17:c2', '00:1f:33:d9:81:60', 0],
      ['10.10.1.1', '10.10.1.4', 53, 56166, 17, 1, 128, 0, 10, '00:1f:33:d9:81:60', '00:e0:1c:3c:17:c2', 0],
      ['10.10.1.20', '10.10.1.255', 138, 138, 17, 1, 229, 10, 0, '00:02:3f:ec:61:11', 'ff:ff:ff:ff:ff:ff', 0],
      ['10.10.1.4', '74.53.140.153', 1470, 25, 6, 28, 21673, 10, 0, '00:e0:1c:3c:17:c2', '00:1f:33:d9:81:60', 0x1b],
      ['74.53.140.153', '10.10.1.4', 25, 1470, 6, 25, 1546, 0, 10, '00:1f:33:d9:81:60', '00:e0:1c:3c:17:c2', 0x1b],
      ['192.168.1.1', '10.10.1.4', 0, 0, 1, 4, 2304, 10, 0, '00:1f:33:d9:81:60', '00:e0:1c:3c:17:c2', 0],
    ]);
  });
});

describe.skipIf(!capturePaths([`${LS}/ipfix.dat`]))('logstash IPFIX captures', () => {
  // Expected values: logstash-plugins/logstash-codec-netflow spec/codecs/netflow_spec.rb.
  const run = (...files: string[]) => decodeShared(files.map((f) => `${LS}/${f}`));

  it('softflowd ipfix.dat: options record (system init time) then 6 flows timed from it', () => {
    const { records, results } = run('ipfix.dat');
    expect(results[0]!.optionsRecords).toBe(1); // decode[0]: systemInitTimeMilliseconds 1431516013506
    expect(records.map((f) => [formatIp(f.src), formatIp(f.dst), f.bytes, f.packets, f.sport, f.dport, f.proto, f.tcp_flags, f.in_if, f.out_if, f.tos])).toEqual([
      ['192.168.253.1', '192.168.253.128', 260, 5, 60560, 22, 6, 16, 0, 0, 0],
      ['192.168.253.128', '192.168.253.1', 1000, 6, 22, 60560, 6, 24, 0, 0, 0],
      ['192.168.253.2', '192.168.253.132', 601, 2, 53, 35262, 17, 0, 0, 0, 0],
      ['192.168.253.132', '192.168.253.2', 148, 2, 35262, 53, 17, 0, 0, 0, 0],
      ['54.214.9.161', '192.168.253.132', 5946, 14, 443, 49935, 6, 26, 0, 0, 0],
      ['192.168.253.132', '54.214.9.161', 2608, 13, 49935, 443, 6, 26, 0, 0, 0],
    ]);
    // flowStartSysUpTime 0 / flowEndSysUpTime 12726 from systemInitTimeMilliseconds 1431516013506.
    expect([records[0]!.start, records[0]!.end]).toEqual([1431516013506, 1431516013506 + 12726]);
    expect([records[2]!.start, records[2]!.end]).toEqual([1431516013506 + 1104, 1431516013506 + 1142]);
  });

  it('Netscaler: variable-length fields (some over 255 bytes), 3 records', () => {
    const { records, results } = run('ipfix_test_netscaler_tpl.dat', 'ipfix_test_netscaler_data.dat');
    expect(records).toHaveLength(3);
    expect(json(records[0]!)).toMatchObject({ version: 10, src: '192.168.0.1', dst: '10.0.0.1' });
    expect(records[0]!.extra).toMatchObject({ '5951.133': 14460661, '5951.192': '00e0ed1c9ca80300efb4255884850600' }); // netscalerConnectionId, ConnectionChainID
    expect(records[1]!.extra).toMatchObject({ flowId: 14460662, observationPointId: 167954698, '5951.132': 1157636096, '5951.128': 83 }); // FlowFlags, RoundTripTime
    expect(json(records[2]!)).toMatchObject({ sport: 51053, dport: 443, bytes: 1541, packets: 2, tcp_flags: 24, in_if: 8, out_if: 2147483651 });
    expect(records[2]!.extra).toMatchObject({
      '5951.171': 239927296, // netscalerAppUnitNameAppId
      '5951.130': '/aa/bb/ccccc/ddddddddddddddddddddddddd', // netscalerHttpReqUrl
      '5951.141': 'GET', // netscalerHttpReqMethod
      '5951.142': 'www.kobo.com', // netscalerHttpReqHost
      '5951.143': 'Mozilla/5.0 (Commodore 64;  kobo.com) Gecko/20100101 Firefox/75.0', // netscalerHttpReqUserAgent
      '5951.140': 'http://www.kobo.com/is-the-best-ebook-company-in-the-world', // netscalerHttpReqReferer
      '5951.186': '1.1 akamai.net(ghost) (AkamaiGHost)', // netscalerHttpReqVia
      '5951.190': '11.222.33.255', // netscalerHttpReqXForwardedFor
    });
    expect(String(records[2]!.extra!['5951.131'])).toMatch(/^beer=123456789abcdefghijklmnopqrstuvw; AnotherCookie=.*LastPadding=aaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbcccccccccccccccccccdddddddddddeeeeeeee$/);
    expect(String(records[2]!.extra!['5951.131']).length).toBeGreaterThan(255);
    // flowStart/EndMicroseconds (NTP) 2016-11-11T12:09:19.000Z.
    expect(json(records[0]!)).toMatchObject({ start: '2016-11-11T12:09:19.000Z', end: '2016-11-11T12:09:19.000Z' });
    // The data file also references template 280, which the template file does not define.
    expect(results[1]!.errors).toEqual([{ code: 'DECODE_IPFIX_TEMPLATE_MISSING', offset: 302, templateId: 280 }]);
  });

  it('Barracuda: 8 flows; extended uniflow: 2 flows with text vendor fields', () => {
    const b = run('ipfix_test_barracuda_tpl.dat', 'ipfix_test_barracuda_data256.dat').records;
    expect(b).toHaveLength(8);
    expect(json(b[7]!)).toMatchObject({ dst: '10.99.168.140', dport: 50294, src: '10.98.243.20', in_if: 41874, packets: 1, proto: 17, src_mac: '00:00:00:00:00:00', out_if: 48660, bytes: 113, sport: 53 });
    expect(b[7]!.extra).toMatchObject({ firewallEvent: 2 });
    // flowStart/EndSysUpTime without a system init time: ends at export time, keeps the 20 368 ms.
    expect(b[7]!.end - b[7]!.start).toBe(20368);
    const u = run('ipfix_test_barracuda_extended_uniflow_tpl256.dat', 'ipfix_test_barracuda_extended_uniflow_data256.dat').records;
    expect(u).toHaveLength(2);
    expect(json(u[1]!)).toMatchObject({ src: '64.235.151.76', sport: 443, src_mac: '00:00:00:00:00:00', in_if: 3689, proto: 6, dport: 51917, dst: '10.236.5.4', out_if: 35233 });
    expect(u[1]!.extra).toMatchObject({ '10704.4': 'MTH:MTH-MC-to-Inet', '10704.5': 'https', '10704.7': 'Normal Operation' });
  });

  it('Ixia, Juniper MX240 options, Nokia BRAS, Procera, vIPtela', () => {
    const ixia = run('ipfix_test_ixia_tpldata256.dat').records;
    expect(ixia).toHaveLength(1);
    expect(json(ixia[0]!)).toMatchObject({ dst: '202.170.60.247', src: '119.103.128.175', sport: 51695, tcp_flags: 0, out_if: 1, end_reason: 1, packets: 4, dport: 36197, bytes: 360, proto: 17, src_as: 4134, dst_as: 24090, in_if: 1 });
    expect(json(ixia[0]!)).toMatchObject({ start: '2018-10-25T12:24:19.882Z', end: '2018-10-25T12:24:32.022Z' });
    expect(ixia[0]!.extra).toMatchObject({ '3054.187': 'UNISAINS-AS-AP Universiti Sains Malaysia (USM), MY' }); // ixiaDstAsName

    const mx = run('ipfix_test_juniper_mx240_junos151r6s3_opttpl512.dat', 'ipfix_test_juniper_mx240_junos151r6s3_data512.dat');
    expect(mx.results[1]).toMatchObject({ optionsRecords: 1, errors: [] });
    const domain = [...mx.state.allDomains()][0]!;
    expect(domain.samplers.get(0)).toBe(1000); // samplingInterval 1000
    expect(domain.systemInit).toBe(1262761598000);

    const nokia = run('ipfix_test_nokia_bras_tpl.dat', 'ipfix_test_nokia_bras_data256.dat').records;
    expect(json(nokia[0]!)).toMatchObject({ dst: '10.0.0.34', dport: 80, proto: 6, src: '10.0.1.228', sport: 5878, start: '2017-12-14T07:23:45.148Z' });
    expect(nokia[0]!.extra).toMatchObject({ flowId: 3389049088, '637.91': 100, '637.92': 0, '637.93': 'USER1@10.10.0.123' }); // natInsideSvcid, natOutsideSvcid, natSubString

    const procera = run('ipfix_test_procera_tpl52935.dat', 'ipfix_test_procera_data52935.dat').records;
    expect(procera).toHaveLength(8);
    expect(json(procera[7]!)).toMatchObject({ sport: 33689, dport: 179, proto: 6, src: '138.44.161.14', dst: '138.44.161.13', src_as: 7575, dst_as: 7575, start: '2018-04-15T03:25:00.000Z', end: '2018-04-15T03:30:00.000Z' });
    expect(procera[7]!.extra).toMatchObject({ '15397.1': 'BGP-4', '15397.15': 'INTERACTIVE,CLIENT_IS_LOCAL,INBOUND,ESTABLISHED,ACTIVE', '15397.3': 7076, '15397.4': 3310 });

    const viptela = run('ipfix_test_viptela_tpl257.dat', 'ipfix_test_viptela_data257.dat').records;
    expect(json(viptela[0]!)).toMatchObject({ dport: 443, src: '10.113.7.54', tos: 48, out_if: 3, bytes: 775, next_hop: '10.0.0.1', sport: 41717, dst: '172.16.21.27', tcp_flags: 16, in_if: 11, packets: 8, end_reason: 3, proto: 6, start: '2017-11-21T14:32:15.000Z', end: '2017-11-21T14:32:15.000Z' });
    expect(viptela[0]!.extra).toMatchObject({ '41916.4321': 100, ipDiffServCodePoint: 12, maximumIpTotalLength: 277, minimumIpTotalLength: 70, ipPrecedence: 1 });
  });

  it('YAF biflows: forward and reverse flows, CERT TCP flags, an options record', () => {
    const { records, results } = run('ipfix_test_yaf_tpls_option_tpl.dat', 'ipfix_test_yaf_tpl45841.dat', 'ipfix_test_yaf_data45841.dat', 'ipfix_test_yaf_data45873.dat', 'ipfix_test_yaf_data53248.dat');
    expect(results[4]!.optionsRecords).toBe(1); // decode[2]: flowTablePeakCount 58
    expect(records.map((f) => [formatIp(f.src), formatIp(f.dst), f.sport, f.dport, f.proto, f.packets, f.bytes, f.tcp_flags, f.end_reason])).toEqual([
      ['172.16.32.201', '172.16.32.100', 46086, 53, 17, 2, 132, 0, 1],
      ['172.16.32.100', '172.16.32.201', 53, 46086, 17, 2, 200, 0, 1], // reversePacketTotalCount 2, reverseOctetTotalCount 200
      ['172.16.32.100', '172.16.32.215', 63499, 9997, 6, 4, 172, 194 | 17, 3], // initialTCPFlags 194 | unionTCPFlags 17
      ['172.16.32.215', '172.16.32.100', 9997, 63499, 6, 2, 92, 18 | 17, 3], // reverseInitialTCPFlags 18 | reverseUnionTCPFlags 17
    ]);
    expect(json(records[0]!)).toMatchObject({ start: '2016-12-25T12:58:35.818Z', end: '2016-12-25T12:58:35.819Z' });
    expect(records[2]!.extra).toMatchObject({ tcpSequenceNumber: 340533701, reverseTcpSequenceNumber: 3788795034 });
  });
});

describe.skipIf(!capturePaths(['flow-export/pmacct/104-IPFIXv10-IPv6-CISCO-sampling_option/traffic-00.pcap']))('pmacct IPFIX sampling option', () => {
  it('renormalises counters with the selector’s n-out-of-N sampling (1 in 256)', () => {
    // Expected values: pmacct tests/104-IPFIXv10-IPv6-CISCO-sampling_option/output-flow-00.json.
    const { records } = decodeShared(['flow-export/pmacct/104-IPFIXv10-IPv6-CISCO-sampling_option/traffic-00.pcap']);
    expect(records.map((f) => [formatIp(f.src), formatIp(f.dst), f.in_if, f.proto, f.tos, f.packets, f.bytes])).toEqual([
      ['fe80::fa53:29ff:fe3a:3152', 'fe80::ea5c:aff:fe3b:fc00', 42, 58, 192, 256, 18432],
      ['fe80::4206:d5ff:feff:dd90', 'ff02::12', 71, 112, 192, 15360, 1474560],
      ['fe80::6ee8:74ff:feff:c308', 'ff02::12', 70, 112, 192, 15360, 1228800],
    ]);
    expect(records.every((f) => formatIp(f.exporter!) === '2a02:a90:4007:700::54' && f.sampling === 256)).toBe(true);
  });
});

describe.skipIf(!capturePaths(['flow-export/pmacct/106-IPFIXv10-HUAWEI-vrf_name/traffic-00.pcap']))('pmacct IPFIX Huawei (VRF names, 4in6)', () => {
  it('takes the inner flow of a record that repeats addresses, ports and protocol', () => {
    // Expected values: pmacct tests/106-IPFIXv10-HUAWEI-vrf_name/output-flow-00.json (3 lines).
    const { records } = decodeShared(['flow-export/pmacct/106-IPFIXv10-HUAWEI-vrf_name/traffic-00.pcap']);
    expect(records.map((f) => [formatIp(f.src), formatIp(f.dst), f.sport, f.dport, f.proto, f.in_if, f.out_if, f.tos, f.src_mask, f.dst_mask, f.start / 1000, f.end / 1000])).toEqual([
      ['192.0.2.110', '192.0.2.14', 2222, 1111, 17, 10, 65, 0, 0, 0, 1737989246, 1737989307],
      ['192.0.2.110', '192.0.2.14', 1111, 2222, 17, 10, 65, 0, 0, 0, 1737989246, 1737989307],
      ['fd00::2', 'fd00::1', 54194, 179, 6, 65, 65, 192, 128, 128, 1737989300, 1737989300],
    ]);
    expect(records[2]!.tcp_flags).toBe(0x18); // ["ACK", "PSH"]
  });
});

describe.skipIf(!capturePaths([`${AK}/physicalinterfaces.pcap`]) || !requireTool('tshark'))('tshark agrees on IPFIX captures', () => {
  const cases: Array<[string[], string]> = [
    [[`${AK}/physicalinterfaces.pcap`], 'udp.port==2055,cflow'],
    [[`${AK}/mpls.pcap`], 'udp.port==2055,cflow'],
    [['flow-export/pmacct/100-IPFIXv10-CISCO/traffic-00.pcap'], 'udp.port==9991,cflow'],
    [['flow-export/pmacct/104-IPFIXv10-IPv6-CISCO-sampling_option/traffic-00.pcap'], 'udp.port==9992,cflow'],
  ];
  // Not pmacct 106 (Huawei): its records carry the outer (IPv6, IP-in-IP) and the inner (IPv4,
  // UDP) addresses, ports and protocol as repeated elements, and tshark's per-field lists cannot
  // say which belong together; pmacct's expected output is the reference there (below).
  const pick = (f: Map<string, string[]>, v4: string, v6: string) => {
    const a = f.get(v4)?.[0];
    return a !== undefined && a !== '0.0.0.0' ? a : (f.get(v6)?.[0] ?? a);
  };
  it.each(cases)('%s: src, dst, ports, proto, packets, bytes', (files, decodeAs) => {
    const { records } = decodeShared(files);
    const names = ['cflow.srcaddr', 'cflow.srcaddrv6', 'cflow.dstaddr', 'cflow.dstaddrv6', 'cflow.srcport', 'cflow.dstport', 'cflow.protocol', 'cflow.packets', 'cflow.packets64', 'cflow.octets', 'cflow.octets64'];
    const rows = tsharkRecordsOf(capturePaths(files)!, [decodeAs], names)
      .map(({ fields }) => fields)
      .filter((f) => f.has('cflow.srcaddr') || f.has('cflow.srcaddrv6'))
      .map((f) => [
        pick(f, 'cflow.srcaddr', 'cflow.srcaddrv6'),
        pick(f, 'cflow.dstaddr', 'cflow.dstaddrv6'),
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

describe.skipIf(!capturePaths([`${AK}/physicalinterfaces.pcap`]))('generated record readers', () => {
  it('agree with the table-driven interpreter, field for field', () => {
    const groups = [
      [`${AK}/physicalinterfaces.pcap`],
      [`${AK}/mpls.pcap`],
      [`${AK}/datalink-template.pcap`, `${AK}/datalink-data.pcap`],
      [`${AK}/ipfixprobe-templates.pcap`, `${AK}/ipfixprobe-data.pcap`],
      [`${LS}/ipfix_test_netscaler_tpl.dat`, `${LS}/ipfix_test_netscaler_data.dat`],
      [`${LS}/ipfix_test_yaf_tpls_option_tpl.dat`, `${LS}/ipfix_test_yaf_tpl45841.dat`, `${LS}/ipfix_test_yaf_data45841.dat`, `${LS}/ipfix_test_yaf_data45873.dat`],
      ['flow-export/pmacct/100-IPFIXv10-CISCO/traffic-00.pcap'],
    ];
    for (const files of groups) {
      const show = (generateReaders: boolean) => decodeShared(files, { decoder: { generateReaders } }).records.map((f) => JSON.stringify(json(f)));
      const generated = show(true);
      expect(generated.length).toBeGreaterThan(0);
      expect(show(false)).toEqual(generated);
    }
  });
});

describe('IPFIX fuzz', () => {
  it('6 000 mutated datagrams from real captures: no exception, bad lengths rejected with a code', () => {
    const seeds = [
      ...datagramsOf(`${AK}/physicalinterfaces.pcap`),
      ...datagramsOf(`${AK}/mpls.pcap`),
      ...datagramsOf(`${AK}/datalink-template.pcap`),
      ...datagramsOf(`${AK}/datalink-data.pcap`),
      ...datagramsOf(`${AK}/ipfixprobe-templates.pcap`),
      ...datagramsOf(`${AK}/ipfixprobe-data.pcap`),
      ...datagramsOf(`${LS}/ipfix_test_netscaler_tpl.dat`),
      ...datagramsOf(`${LS}/ipfix_test_netscaler_data.dat`),
      ...datagramsOf(`${LS}/ipfix.dat`),
    ];
    if (seeds.length === 0) return;
    const random = prng(10);
    const state = createDecoderState();
    decodeAll(seeds, state);
    for (let i = 0; i < 6_000; i++) {
      const seed = seeds[i % seeds.length]!;
      const bytes = mutate(seed.bytes, random);
      const r = decodeExportDatagram(bytes, seed.exporter, seed.receivedAt, state);
      expect(r.errors.filter((e) => e.code === 'DECODE_INTERNAL')).toEqual([]);
      if (bytes.length >= 16 && bytes[0] === 0 && bytes[1] === 10 && ((bytes[2]! << 8) | bytes[3]!) > bytes.length) {
        expect(r.errors).toContainEqual({ code: 'DECODE_BAD_LENGTH', offset: 2 });
        expect(r.records).toEqual([]);
      }
    }
  });
});
