import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../../core/ip.js';
import { capturePaths, datagramsOf, decodeShared, mutate, prng, tsharkRecords } from '../../test-support/flow-captures.js';
import { requireTool } from '../../test-support/shared-data.js';
import { decodeExportDatagram } from '../decode-export-datagram.js';
import { createDecoderState } from '../decoder-state.js';

const AKVORADO_V5 = 'flow-export/akvorado/netflow/nfv5.pcap';
const LOGSTASH = 'flow-export/logstash-codec-netflow';

/** Builds a v5 packet: header fields, then 48-byte records from partial field maps. */
function v5Packet(header: { count?: number; uptime: number; secs: number; nsecs?: number; sampling?: number }, records: Array<Record<string, number>>): Uint8Array {
  const bytes = new Uint8Array(24 + records.length * 48);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 5);
  v.setUint16(2, header.count ?? records.length);
  v.setUint32(4, header.uptime);
  v.setUint32(8, header.secs);
  v.setUint32(12, header.nsecs ?? 0);
  v.setUint16(22, header.sampling ?? 0);
  records.forEach((r, i) => {
    const p = 24 + i * 48;
    v.setUint32(p, r.src ?? 0);
    v.setUint32(p + 4, r.dst ?? 0);
    v.setUint32(p + 16, r.packets ?? 0);
    v.setUint32(p + 20, r.bytes ?? 0);
    v.setUint32(p + 24, r.first ?? 0);
    v.setUint32(p + 28, r.last ?? 0);
    v.setUint16(p + 32, r.sport ?? 0);
    v.setUint16(p + 34, r.dport ?? 0);
    v.setUint8(p + 38, r.proto ?? 0);
  });
  return bytes;
}

describe('NetFlow v5 worked examples', () => {
  it('converts First/Last with the header uptime and export time, across the uptime wrap', () => {
    // Export at 1_700_000_000.250 s; uptime 10_000 ms. First 4_000 ms -> 6 s before export.
    // Last 0xFFFFF000: the exporter's uptime wrapped since; (10_000 - 0xFFFFF000) | 0 = 14_096, so
    // the flow ended 14.096 s before export (not 49.7 days later).
    const r = decodeExportDatagram(
      v5Packet({ uptime: 10_000, secs: 1_700_000_000, nsecs: 250_000_000 }, [{ src: 0x0a000001, dst: 0x0a000002, packets: 3, bytes: 180, first: 4_000, last: 0xfffff000, proto: 6 }]),
      parseIp('192.0.2.1')!,
      0,
      createDecoderState(),
    );
    expect(r.errors).toEqual([]);
    expect(r.records[0]!.start).toBe(1_700_000_000_250 - 6_000);
    expect(r.records[0]!.end).toBe(1_700_000_000_250 - 14_096);
  });

  it('drops and counts a record dated outside 1970-2099 (a wrong exporter clock), keeping the others', () => {
    // Exported at 2099-12-31T23:59:59Z with uptime 10 s: Last 12 s of uptime is 2 s into 2100.
    const late = decodeExportDatagram(
      v5Packet({ uptime: 10_000, secs: Date.UTC(2099, 11, 31, 23, 59, 59) / 1000 }, [{ src: 1, first: 1_000, last: 9_000 }, { src: 2, first: 1_000, last: 12_000 }]),
      0,
      0,
      createDecoderState(),
    );
    expect(late.records.map((r) => r.src)).toEqual([1]);
    expect(late.errors).toEqual([{ code: 'DECODE_BAD_TIME' }]);
    // An exporter whose clock reads 0: uptime 10 s puts First before 1970.
    const early = decodeExportDatagram(v5Packet({ uptime: 10_000, secs: 0 }, [{ first: 0, last: 10_000 }]), 0, 0, createDecoderState());
    expect(early).toMatchObject({ records: [], errors: [{ code: 'DECODE_BAD_TIME' }] });
  });

  it('scales counters by the header sampling interval (low 14 bits; the top 2 are the mode)', () => {
    // 0x4064 = mode 1, interval 100: 3 packets / 180 bytes stand for 300 / 18 000.
    const r = decodeExportDatagram(v5Packet({ uptime: 1, secs: 1, sampling: 0x4064 }, [{ packets: 3, bytes: 180 }]), 0, 0, createDecoderState());
    expect(r.records[0]).toMatchObject({ packets: 300, bytes: 18_000, sampling: 100 });
  });

  it('folds ICMP type/code from the destination port (v5 has no ICMP field)', () => {
    const r = decodeExportDatagram(v5Packet({ uptime: 1, secs: 1 }, [{ proto: 1, dport: 0x0303 }]), 0, 0, createDecoderState());
    expect(r.records[0]).toMatchObject({ icmp_type: 3, icmp_code: 3, dport: 771 });
  });

  it('rejects a packet whose count claims more records than it holds, and a short header', () => {
    const full = v5Packet({ uptime: 1, secs: 1, count: 3 }, [{}, {}]);
    expect(decodeExportDatagram(full, 0, 0, createDecoderState())).toMatchObject({ records: [], errors: [{ code: 'DECODE_BAD_LENGTH', offset: 2 }] });
    expect(decodeExportDatagram(full.subarray(0, 20), 0, 0, createDecoderState()).errors).toEqual([{ code: 'DECODE_TRUNCATED', offset: 0 }]);
    expect(decodeExportDatagram(v5Packet({ uptime: 1, secs: 1, count: 0 }, []), 0, 0, createDecoderState()).errors[0]!.code).toBe('DECODE_BAD_LENGTH');
  });
});

describe.skipIf(!capturePaths([AKVORADO_V5]))('akvorado nfv5.pcap', () => {
  it('decodes the 29 records with akvorado’s expected values for the first', () => {
    // Expected values: akvorado outlet/flow/decoder/netflow/root_test.go, TestDecodeNFv5
    // (akvorado keeps sampling 1 as Vantage does; its exporter is forced to 127.0.0.1 as here).
    const { records, results } = decodeShared([AKVORADO_V5], { exporter: parseIp('127.0.0.1') });
    expect(results.map((r) => r.errors)).toEqual([[]]);
    expect(records).toHaveLength(29); // SOURCES.md: header count 29
    const f = records[0]!;
    expect({ ...f, src: formatIp(f.src), dst: formatIp(f.dst), next_hop: formatIp(f.next_hop!) }).toMatchObject({
      version: 5,
      exporter: parseIp('127.0.0.1'),
      src: '161.202.212.212',
      dst: '202.152.70.24',
      next_hop: '61.6.255.150',
      sampling: 1,
      in_if: 117,
      out_if: 86,
      src_as: 36351,
      dst_as: 10101,
      src_mask: 19,
      dst_mask: 24,
      bytes: 133,
      packets: 1,
      proto: 6,
      sport: 30104,
      dport: 11963,
      tcp_flags: 0x18,
    });
    // Header: unix secs 1680626679 (akvorado's packet timestamp); First = Last = uptime - 15 000 ms.
    expect(new Date(f.start).toISOString()).toBe('2023-04-04T16:44:24.000Z');
    expect(f.end).toBe(f.start);
  });
});

describe.skipIf(!capturePaths([`${LOGSTASH}/netflow5.dat`]))('logstash netflow5.dat', () => {
  it('decodes the 2 softflowd records with logstash’s expected values', () => {
    // Expected values: logstash-plugins/logstash-codec-netflow spec/codecs/netflow_spec.rb,
    // context "Netflow 5 valid 01". The .dat holds several datagrams captured with nc; as a
    // single UDP payload only the first (header count 2) counts, as in logstash.
    const { records } = decodeShared([`${LOGSTASH}/netflow5.dat`]);
    expect(records).toHaveLength(2);
    expect(records.map((r) => [formatIp(r.src), formatIp(r.dst), r.sport, r.dport, r.tcp_flags, r.packets, r.bytes, r.proto, r.tos])).toEqual([
      ['10.0.2.2', '10.0.2.15', 54435, 22, 16, 5, 230, 6, 0],
      ['10.0.2.15', '10.0.2.2', 22, 54435, 24, 4, 304, 6, 0],
    ]);
    // logstash prints last_switched 2015-05-02T18:38:08.476Z: export 18:38:08.280 (secs + nsecs)
    // minus (uptime 3381 - last 2577 = 804 ms) is 18:38:07.476; logstash's conversion adds a
    // second (docs/decoders.md). first_switched 0xFFFFFFFF is 3382 ms before export across the
    // uptime wrap, where logstash prints a date 49.7 days ahead (2015-06-21T11:40:52.194Z).
    expect(new Date(records[0]!.end).toISOString()).toBe('2015-05-02T18:38:07.476Z');
    expect(new Date(records[0]!.start).toISOString()).toBe('2015-05-02T18:38:04.898Z');
  });

  it.each(['netflow5_test_invalid01.dat', 'netflow5_test_invalid02.dat'])('counts %s as an error, no exception, no record', (file) => {
    // SOURCES.md: header counts 55582 and 163 with 30 records' worth of bytes: the count lies.
    const { records, results } = decodeShared([`${LOGSTASH}/${file}`]);
    expect(records).toEqual([]);
    expect(results[0]!.errors).toEqual([{ code: 'DECODE_BAD_LENGTH', offset: 2 }]);
  });
});

describe.skipIf(!capturePaths([AKVORADO_V5]) || !requireTool('tshark'))('tshark agrees on nfv5.pcap', () => {
  it('field by field: addresses, ports, protocol, packets, bytes', () => {
    const path = capturePaths([AKVORADO_V5])![0]!;
    const shark = tsharkRecords(path, ['udp.port==9990,cflow'], ['cflow.srcaddr', 'cflow.dstaddr', 'cflow.srcport', 'cflow.dstport', 'cflow.protocol', 'cflow.packets', 'cflow.octets']);
    const ours = decodeShared([AKVORADO_V5]).records;
    expect(shark).toHaveLength(ours.length);
    shark.forEach(({ fields }, i) => {
      const f = ours[i]!;
      expect([formatIp(f.src), formatIp(f.dst), f.sport, f.dport, f.proto, f.packets, f.bytes].map(String)).toEqual(
        ['cflow.srcaddr', 'cflow.dstaddr', 'cflow.srcport', 'cflow.dstport', 'cflow.protocol', 'cflow.packets', 'cflow.octets'].map((k) => fields.get(k)![0]),
      );
    });
  });
});

describe('NetFlow v5 fuzz', () => {
  it('5 000 mutated datagrams: no exception escapes, lengths past the end are rejected with a code', () => {
    const seeds = [...datagramsOf(AKVORADO_V5), ...datagramsOf(`${LOGSTASH}/netflow5.dat`)];
    if (seeds.length === 0) return;
    const random = prng(5);
    const state = createDecoderState();
    for (let i = 0; i < 5_000; i++) {
      const seed = seeds[i % seeds.length]!;
      const bytes = mutate(seed.bytes, random);
      const r = decodeExportDatagram(bytes, seed.exporter, seed.receivedAt, state);
      expect(r.errors.filter((e) => e.code === 'DECODE_INTERNAL')).toEqual([]);
      if (bytes.length >= 24 && bytes[0] === 0 && bytes[1] === 5) {
        const count = (bytes[2]! << 8) | bytes[3]!;
        if (24 + count * 48 > bytes.length) expect(r.errors.map((e) => e.code)).toContain('DECODE_BAD_LENGTH');
        // Every record is decoded, or dropped for a clock outside 1970-2099 and counted.
        else expect(r.records.length + r.errors.filter((e) => e.code === 'DECODE_BAD_TIME').length).toBe(count);
      }
    }
  });
});
