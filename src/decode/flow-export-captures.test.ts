import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeShared } from '../test-support/flow-captures.js';
import { decodedFlowToJson } from './decoded-flow.js';
import { sharedDataPath, sharedDataRoot } from '../test-support/shared-data.js';

const ROOT = sharedDataPath('flow-export');
const LS = 'flow-export/logstash-codec-netflow';

// Each logstash group in the decode order SOURCES.md gives, and the flows it holds. The counts are
// SOURCES.md's tshark counts except where noted: tshark counts a record twice when it carries both
// a v4 and a v6 source field (Procera), and gives up on some captures (H3C, WLC without a source
// address, invalid01's unpadded options template) where logstash's spec and Vantage decode them.
const LOGSTASH_GROUPS: Array<[files: string[], flows: number]> = [
  [['ipfix.dat'], 6],
  [['ipfix_test_barracuda_tpl.dat', 'ipfix_test_barracuda_data256.dat'], 8],
  [['ipfix_test_barracuda_extended_uniflow_tpl256.dat', 'ipfix_test_barracuda_extended_uniflow_data256.dat'], 2],
  [['ipfix_test_ixia_tpldata256.dat', 'ipfix_test_ixia_tpldata271.dat'], 3],
  [['ipfix_test_juniper_mx240_junos151r6s3_opttpl512.dat', 'ipfix_test_juniper_mx240_junos151r6s3_data512.dat'], 0],
  [['ipfix_test_netscaler_tpl.dat', 'ipfix_test_netscaler_data.dat'], 3],
  [['ipfix_test_nokia_bras_tpl.dat', 'ipfix_test_nokia_bras_data256.dat'], 1],
  [['ipfix_test_procera_tpl52935.dat', 'ipfix_test_procera_data52935.dat'], 8], // logstash: 8 (SOURCES: 16, v4 and v6 fields)
  [['ipfix_test_viptela_tpl257.dat', 'ipfix_test_viptela_data257.dat'], 1],
  [['ipfix_test_yaf_tpls_option_tpl.dat', 'ipfix_test_yaf_tpl45841.dat', 'ipfix_test_yaf_data45841.dat', 'ipfix_test_yaf_data45873.dat', 'ipfix_test_yaf_data53248.dat'], 4], // 2 biflow records, split
  [['netflow9_cisco_asr1001x_tpl259.dat'], 25],
  [['netflow9_test_0length_fields_tpl_data.dat'], 10],
  [['netflow9_test_cisco_1941K9.dat'], 29],
  [['netflow9_test_cisco_aci_tpl256-258.dat', 'netflow9_test_cisco_aci_data256.dat'], 3],
  [['netflow9_test_cisco_asa_1_tpl.dat', 'netflow9_test_cisco_asa_1_data.dat'], 14],
  [['netflow9_test_cisco_asa_2_tpl_26x.dat', 'netflow9_test_cisco_asa_2_tpl_27x.dat', 'netflow9_test_cisco_asa_2_data.dat'], 19],
  [
    [
      'netflow9_test_cisco_asr9k_opttpl256.dat',
      'netflow9_test_cisco_asr9k_opttpl257.dat',
      'netflow9_test_cisco_asr9k_opttpl334.dat',
      'netflow9_test_cisco_asr9k_tpl260.dat',
      'netflow9_test_cisco_asr9k_tpl266.dat',
      'netflow9_test_cisco_asr9k_data256.dat',
      'netflow9_test_cisco_asr9k_data260.dat',
    ],
    21,
  ],
  [['netflow9_test_cisco_nbar_opttpl260.dat', 'netflow9_test_cisco_nbar_tpl262.dat', 'netflow9_test_cisco_nbar_data262.dat'], 5],
  [['netflow9_test_cisco_wlc_8510_tpl_262.dat'], 0],
  [['netflow9_test_cisco_wlc_tpl.dat', 'netflow9_test_cisco_wlc_data261.dat'], 19], // logstash: 19 (no source address: SOURCES 0)
  [['netflow9_test_field_layer2segmentid_tpl.dat', 'netflow9_test_field_layer2segmentid_data.dat'], 1],
  [['netflow9_test_fortigate_fortios_542_appid_tpl258-269.dat', 'netflow9_test_fortigate_fortios_542_appid_data258_262.dat'], 17],
  [['netflow9_test_h3c_tpl3281.dat', 'netflow9_test_h3c_data3281.dat'], 16], // logstash: 16 (SOURCES: 1)
  [['netflow9_test_h3c_netstream_varstring_tpl3281.dat', 'netflow9_test_h3c_netstream_varstring_data3281.dat'], 1],
  [['netflow9_test_huawei_netstream_tpl.dat', 'netflow9_test_huawei_netstream_data.dat'], 1],
  [['netflow9_test_invalid01.dat'], 2], // deliberately malformed; the well-formed records decode (SOURCES: 0)
  [['netflow9_test_iptnetflow_reduced_size_encoding_tpldata260.dat'], 12],
  [['netflow9_test_juniper_srx_tplopt.dat'], 0],
  [['netflow9_test_macaddr_tpl.dat', 'netflow9_test_macaddr_data.dat'], 29],
  [['netflow9_test_nprobe_tpl.dat', 'netflow9_test_nprobe_data.dat'], 1],
  [['netflow9_test_nprobe_dpi.dat'], 1],
  [['netflow9_test_paloalto_81_tpl256-263.dat', 'netflow9_test_paloalto_81_data257_1flowset_in_large_zerofilled_packet.dat'], 1],
  [['netflow9_test_softflowd_tpl_data.dat'], 7],
  [['netflow9_test_streamcore_tpl_data256.dat', 'netflow9_test_streamcore_tpl_data260.dat'], 4],
  [['netflow9_test_unknown_tpl266_292_data.dat'], 2],
  [['netflow9_test_valid01.dat'], 7],
  [['netflow5.dat'], 2],
  [['netflow5_test_invalid01.dat'], 0],
  [['netflow5_test_invalid02.dat'], 0],
];

function captures(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return captures(path);
    return /\.(pcap|pcapng|dat)$/.test(name) ? [path] : [];
  });
}

describe.skipIf(!ROOT)('every flow-export capture decodes', () => {
  it.each(LOGSTASH_GROUPS)('logstash %j: %i flows', (files, flows) => {
    const { records, results } = decodeShared(files.map((f) => `${LS}/${f}`));
    expect(records).toHaveLength(flows);
    expect(results.flatMap((r) => r.errors).filter((e) => e.code === 'DECODE_INTERNAL')).toEqual([]);
  });

  it('generated record readers and the interpreter agree on every capture', () => {
    const show = (files: string[], generateReaders: boolean) =>
      decodeShared(files, { decoder: { generateReaders } }).records.map((f) => JSON.stringify(decodedFlowToJson(f)));
    for (const [files] of LOGSTASH_GROUPS) {
      const rel = files.map((f) => `${LS}/${f}`);
      expect(show(rel, false)).toEqual(show(rel, true));
    }
    for (const path of captures(ROOT!).filter((p) => p.endsWith('.pcap'))) {
      const rel = [relative(sharedDataRoot(), path)];
      expect(show(rel, false)).toEqual(show(rel, true));
    }
  });

  it('each capture on its own: no exception, no internal error, no container problem', () => {
    const all = captures(ROOT!);
    expect(all.length).toBeGreaterThan(100);
    for (const path of all) {
      const { results } = decodeShared([relative(sharedDataRoot(), path)]);
      expect({ path, internal: results.flatMap((r) => r.errors).filter((e) => e.code === 'DECODE_INTERNAL') }).toEqual({ path, internal: [] });
    }
  });
});
