// Information elements: how each NetFlow v9 field type / IPFIX element maps to a record field.
// IPFIX ids 1-127 equal the v9 field types (RFC 7012 §4), so one table serves both.

/** What the record decoder does with a field. Small integers so that the hot loop is one switch. */
export const Op = {
  SKIP: 0,
  EXTRA: 1,
  BYTES: 2,
  PACKETS: 3,
  OCTET_TOTAL: 4,
  PACKET_TOTAL: 5,
  INIT_OCTETS: 6,
  INIT_PACKETS: 7,
  PROTO: 8,
  TOS: 9,
  TCP_FLAGS: 10,
  SPORT: 11,
  DPORT: 12,
  SPORT_ALT: 13,
  DPORT_ALT: 14,
  SRC4: 15,
  DST4: 16,
  SRC6: 17,
  DST6: 18,
  SRC_MASK: 19,
  DST_MASK: 20,
  IN_IF: 21,
  OUT_IF: 22,
  IN_PHYS: 23,
  OUT_PHYS: 24,
  NEXT_HOP4: 25,
  NEXT_HOP6: 26,
  BGP_NH4: 27,
  BGP_NH6: 28,
  SRC_AS: 29,
  DST_AS: 30,
  FIRST_UPTIME: 31,
  LAST_UPTIME: 32,
  START_SEC: 33,
  END_SEC: 34,
  START_MS: 35,
  END_MS: 36,
  START_NTP: 37,
  END_NTP: 38,
  START_DELTA_US: 39,
  END_DELTA_US: 40,
  DURATION_MS: 41,
  DURATION_US: 42,
  SYS_INIT: 43,
  ICMP_TC: 44,
  ICMP_TYPE: 45,
  ICMP_CODE: 46,
  SAMPLING_INTERVAL: 47,
  SAMPLER_ID: 48,
  PKT_INTERVAL: 49,
  PKT_SPACE: 50,
  SAMPLING_SIZE: 51,
  SAMPLING_POP: 52,
  SRC_MAC: 53,
  DST_MAC: 54,
  POST_SRC_MAC: 55,
  POST_DST_MAC: 56,
  VLAN: 57,
  POST_VLAN: 58,
  DIRECTION: 59,
  END_REASON: 60,
  MPLS_LABEL: 61,
  SRC_NAT4: 62,
  DST_NAT4: 63,
  SRC_NAT6: 64,
  DST_NAT6: 65,
  SRC_NAT_PORT: 66,
  DST_NAT_PORT: 67,
  DATALINK: 68,
  IP_HEADER: 69,
  REV_BYTES: 70,
  REV_PACKETS: 71,
  REV_TCP_FLAGS: 72,
  REV_EXTRA: 73,
  /** v9 options scope fields (system, interface...): only meaningful in options records. */
  SCOPE: 74,
  /** CERT (yaf) initial/union TCP flags, OR-ed into tcp_flags, and their reverse. */
  TCP_FLAGS_OR: 75,
  REV_TCP_FLAGS_OR: 76,
} as const;

/**
 * How an element without a column is rendered in `extra`; `auto` (unknown octet arrays) is text
 * when the bytes are printable UTF-8, else hex.
 */
export type ValueKind = 'uint' | 'text' | 'ipv4' | 'ipv6' | 'mac' | 'hex' | 'auto';

/** PEN of RFC 5103 reverse elements (biflows). */
export const REVERSE_PEN = 29305;
/** PEN of CERT/NetSA (yaf, SiLK); its reverse elements set bit 0x4000 of the id. */
export const CERT_PEN = 6871;

// [id, op, required length (0 = any 1-8 byte unsigned)] for elements that feed a column.
const COLUMN_ELEMENTS: ReadonlyArray<readonly [number, number, number]> = [
  [1, Op.BYTES, 0],
  [2, Op.PACKETS, 0],
  [4, Op.PROTO, 0],
  [5, Op.TOS, 0],
  [6, Op.TCP_FLAGS, 0],
  [7, Op.SPORT, 0],
  [8, Op.SRC4, 4],
  [9, Op.SRC_MASK, 0],
  [10, Op.IN_IF, 0],
  [11, Op.DPORT, 0],
  [12, Op.DST4, 4],
  [13, Op.DST_MASK, 0],
  [14, Op.OUT_IF, 0],
  [15, Op.NEXT_HOP4, 4],
  [16, Op.SRC_AS, 0],
  [17, Op.DST_AS, 0],
  [18, Op.BGP_NH4, 4],
  [21, Op.LAST_UPTIME, 0],
  [22, Op.FIRST_UPTIME, 0],
  [27, Op.SRC6, 16],
  [28, Op.DST6, 16],
  [29, Op.SRC_MASK, 0],
  [30, Op.DST_MASK, 0],
  [32, Op.ICMP_TC, 0],
  [34, Op.SAMPLING_INTERVAL, 0],
  [48, Op.SAMPLER_ID, 0],
  [50, Op.SAMPLING_INTERVAL, 0],
  [56, Op.SRC_MAC, 6],
  [57, Op.POST_DST_MAC, 6],
  [58, Op.VLAN, 0],
  [59, Op.POST_VLAN, 0],
  [61, Op.DIRECTION, 0],
  [62, Op.NEXT_HOP6, 16],
  [63, Op.BGP_NH6, 16],
  [70, Op.MPLS_LABEL, 0],
  [71, Op.MPLS_LABEL, 0],
  [72, Op.MPLS_LABEL, 0],
  [73, Op.MPLS_LABEL, 0],
  [74, Op.MPLS_LABEL, 0],
  [75, Op.MPLS_LABEL, 0],
  [76, Op.MPLS_LABEL, 0],
  [77, Op.MPLS_LABEL, 0],
  [78, Op.MPLS_LABEL, 0],
  [79, Op.MPLS_LABEL, 0],
  [80, Op.DST_MAC, 6],
  [81, Op.POST_SRC_MAC, 6],
  [85, Op.OCTET_TOTAL, 0],
  [86, Op.PACKET_TOTAL, 0],
  [136, Op.END_REASON, 0],
  [139, Op.ICMP_TC, 0],
  [150, Op.START_SEC, 0],
  [151, Op.END_SEC, 0],
  [152, Op.START_MS, 0],
  [153, Op.END_MS, 0],
  [154, Op.START_NTP, 8],
  [155, Op.END_NTP, 8],
  [156, Op.START_NTP, 8],
  [157, Op.END_NTP, 8],
  [158, Op.START_DELTA_US, 0],
  [159, Op.END_DELTA_US, 0],
  [160, Op.SYS_INIT, 0],
  [161, Op.DURATION_MS, 0],
  [162, Op.DURATION_US, 0],
  [176, Op.ICMP_TYPE, 0],
  [177, Op.ICMP_CODE, 0],
  [178, Op.ICMP_TYPE, 0],
  [179, Op.ICMP_CODE, 0],
  [180, Op.SPORT_ALT, 0],
  [181, Op.DPORT_ALT, 0],
  [182, Op.SPORT_ALT, 0],
  [183, Op.DPORT_ALT, 0],
  [225, Op.SRC_NAT4, 4],
  [226, Op.DST_NAT4, 4],
  [227, Op.SRC_NAT_PORT, 0],
  [228, Op.DST_NAT_PORT, 0],
  [231, Op.INIT_OCTETS, 0],
  [243, Op.VLAN, 0],
  [252, Op.IN_PHYS, 0],
  [253, Op.OUT_PHYS, 0],
  [254, Op.POST_VLAN, 0],
  [281, Op.SRC_NAT6, 16],
  [282, Op.DST_NAT6, 16],
  [298, Op.INIT_PACKETS, 0],
  [302, Op.SAMPLER_ID, 0],
  [305, Op.PKT_INTERVAL, 0],
  [306, Op.PKT_SPACE, 0],
  [309, Op.SAMPLING_SIZE, 0],
  [310, Op.SAMPLING_POP, 0],
  [313, Op.IP_HEADER, -1],
  [315, Op.DATALINK, -1],
];

// Cisco ASA (NSEL) NetFlow v9 vendor field types for the translated addresses and ports.
const V9_VENDOR_ELEMENTS: ReadonlyArray<readonly [number, number, number]> = [
  [40001, Op.SRC_NAT4, 4],
  [40002, Op.DST_NAT4, 4],
  [40003, Op.SRC_NAT_PORT, 0],
  [40004, Op.DST_NAT_PORT, 0],
];

// IANA names (and value kinds) of elements kept in `extra`, so that it reads like the registry.
const NAMED_ELEMENTS: ReadonlyArray<readonly [number, string, ValueKind]> = [
  [3, 'deltaFlowCount', 'uint'],
  [19, 'postMCastPacketDeltaCount', 'uint'],
  [20, 'postMCastOctetDeltaCount', 'uint'],
  [23, 'postOctetDeltaCount', 'uint'],
  [24, 'postPacketDeltaCount', 'uint'],
  [25, 'minimumIpTotalLength', 'uint'],
  [26, 'maximumIpTotalLength', 'uint'],
  [31, 'flowLabelIPv6', 'uint'],
  [33, 'igmpType', 'uint'],
  [35, 'samplingAlgorithm', 'uint'],
  [36, 'flowActiveTimeout', 'uint'],
  [37, 'flowIdleTimeout', 'uint'],
  [38, 'engineType', 'uint'],
  [39, 'engineId', 'uint'],
  [40, 'exportedOctetTotalCount', 'uint'],
  [41, 'exportedMessageTotalCount', 'uint'],
  [42, 'exportedFlowRecordTotalCount', 'uint'],
  [44, 'sourceIPv4Prefix', 'ipv4'],
  [45, 'destinationIPv4Prefix', 'ipv4'],
  [46, 'mplsTopLabelType', 'uint'],
  [47, 'mplsTopLabelIPv4Address', 'ipv4'],
  [49, 'samplerMode', 'uint'],
  [52, 'minimumTTL', 'uint'],
  [53, 'maximumTTL', 'uint'],
  [54, 'fragmentIdentification', 'uint'],
  [55, 'postIpClassOfService', 'uint'],
  [60, 'ipVersion', 'uint'],
  [64, 'ipv6ExtensionHeaders', 'uint'],
  [82, 'interfaceName', 'text'],
  [83, 'interfaceDescription', 'text'],
  [84, 'samplerName', 'text'],
  [87, 'ipHeaderLength', 'uint'],
  [88, 'fragmentOffset', 'uint'],
  [89, 'forwardingStatus', 'uint'],
  [90, 'mplsVpnRouteDistinguisher', 'hex'],
  [91, 'mplsTopLabelPrefixLength', 'uint'],
  [92, 'srcTrafficIndex', 'uint'],
  [93, 'dstTrafficIndex', 'uint'],
  [94, 'applicationDescription', 'text'],
  [95, 'applicationId', 'hex'],
  [96, 'applicationName', 'text'],
  [98, 'postIpDiffServCodePoint', 'uint'],
  [128, 'bgpNextAdjacentAsNumber', 'uint'],
  [129, 'bgpPrevAdjacentAsNumber', 'uint'],
  [130, 'exporterIPv4Address', 'ipv4'],
  [131, 'exporterIPv6Address', 'ipv6'],
  [137, 'commonPropertiesId', 'uint'],
  [138, 'observationPointId', 'uint'],
  [140, 'mplsTopLabelIPv6Address', 'ipv6'],
  [141, 'lineCardId', 'uint'],
  [142, 'portId', 'uint'],
  [143, 'meteringProcessId', 'uint'],
  [144, 'exportingProcessId', 'uint'],
  [145, 'templateId', 'uint'],
  [147, 'wlanSSID', 'text'],
  [148, 'flowId', 'uint'],
  [149, 'observationDomainId', 'uint'],
  [184, 'tcpSequenceNumber', 'uint'],
  [185, 'tcpAcknowledgementNumber', 'uint'],
  [186, 'tcpWindowSize', 'uint'],
  [189, 'ipHeaderLength', 'uint'],
  [190, 'totalLengthIPv4', 'uint'],
  [192, 'ipTTL', 'uint'],
  [193, 'nextHeaderIPv6', 'uint'],
  [194, 'mplsPayloadLength', 'uint'],
  [195, 'ipDiffServCodePoint', 'uint'],
  [196, 'ipPrecedence', 'uint'],
  [197, 'fragmentFlags', 'uint'],
  [204, 'ipPayloadLength', 'uint'],
  [205, 'udpMessageLength', 'uint'],
  [206, 'isMulticast', 'uint'],
  [209, 'tcpOptions', 'uint'],
  [210, 'paddingOctets', 'hex'],
  [224, 'ipTotalLength', 'uint'],
  [229, 'natOriginatingAddressRealm', 'uint'],
  [230, 'natEvent', 'uint'],
  [232, 'responderOctets', 'uint'],
  [233, 'firewallEvent', 'uint'],
  [234, 'ingressVRFID', 'uint'],
  [235, 'egressVRFID', 'uint'],
  [236, 'VRFname', 'text'],
  [239, 'biflowDirection', 'uint'],
  [245, 'dot1qCustomerVlanId', 'uint'],
  [255, 'postDot1qCustomerVlanId', 'uint'],
  [256, 'ethernetType', 'uint'],
  [299, 'responderPackets', 'uint'],
  [312, 'dataLinkFrameSize', 'uint'],
  [322, 'observationTimeSeconds', 'uint'],
  [323, 'observationTimeMilliseconds', 'uint'],
  [346, 'privateEnterpriseNumber', 'uint'],
  [351, 'layer2SegmentId', 'uint'],
  [365, 'staMacAddress', 'mac'],
  [366, 'staIPv4Address', 'ipv4'],
  [367, 'wtpMacAddress', 'mac'],
  [368, 'ingressInterfaceType', 'uint'],
  [369, 'egressInterfaceType', 'uint'],
  [371, 'userName', 'text'],
  [372, 'applicationCategoryName', 'text'],
  [408, 'dataLinkFrameType', 'uint'],
  [33000, 'NF_F_INGRESS_ACL_ID', 'hex'],
  [33001, 'NF_F_EGRESS_ACL_ID', 'hex'],
  [33002, 'NF_F_FW_EXT_EVENT', 'uint'],
  [40000, 'NF_F_USERNAME', 'text'],
  [40005, 'NF_F_FW_EVENT', 'uint'],
];

/** What a template field becomes once compiled. */
export interface ElementPlan {
  readonly op: number;
  /** Key in `extra` for EXTRA / REV_EXTRA fields. */
  readonly name: string | null;
  readonly kind: ValueKind;
}

const COLUMN_OPS = new Map<number, readonly [number, number]>(COLUMN_ELEMENTS.map(([id, op, len]) => [id, [op, len]]));
const V9_OPS = new Map<number, readonly [number, number]>(V9_VENDOR_ELEMENTS.map(([id, op, len]) => [id, [op, len]]));
const NAMES = new Map<number, readonly [string, ValueKind]>(NAMED_ELEMENTS.map(([id, name, kind]) => [id, [name, kind]]));

// Reverse (RFC 5103) elements that change the reversed record itself rather than `extra`.
const REVERSE_OPS = new Map<number, number>([
  [1, Op.REV_BYTES],
  [85, Op.REV_BYTES],
  [2, Op.REV_PACKETS],
  [86, Op.REV_PACKETS],
  [6, Op.REV_TCP_FLAGS],
]);

function lengthFits(required: number, length: number): boolean {
  if (required === -1) return true; // octet arrays of any length, variable-length included
  if (length === 65535) return false; // a number never comes in a variable-length field
  return required === 0 ? length >= 1 && length <= 8 : length === required;
}

/**
 * Plans one template field: the column op when the element feeds a column and its length is one
 * the column can read (reduced-size encoding included), else an `extra` entry keyed by IANA name
 * or by id. `version` 9 adds the Cisco ASA vendor types; `scope` marks v9 options scope fields.
 */
export function planElement(version: 9 | 10, id: number, pen: number, length: number, scope: boolean): ElementPlan {
  if (scope) return { op: Op.SCOPE, name: `scope.${id}`, kind: 'uint' };
  if (length === 0) return { op: Op.SKIP, name: null, kind: 'uint' };
  if (pen === 0) {
    const column = COLUMN_OPS.get(id) ?? (version === 9 ? V9_OPS.get(id) : undefined);
    if (column && lengthFits(column[1], length)) return { op: column[0], name: null, kind: 'uint' };
    const named = NAMES.get(id);
    if (named) return { op: Op.EXTRA, name: named[0], kind: named[1] === 'uint' && (length > 8 || length === 65535) ? 'hex' : named[1] };
    // "0.id" rather than "id": integer-like keys would turn `extra` into a sparse array-backed
    // object (slow to build, listed first), and "pen.id" with pen 0 reads as IANA / v9 anyway.
    return { op: Op.EXTRA, name: `0.${id}`, kind: length >= 1 && length <= 8 ? 'uint' : 'auto' };
  }
  if (pen === REVERSE_PEN) {
    const reverse = REVERSE_OPS.get(id);
    if (reverse !== undefined && length >= 1 && length <= 8) return { op: reverse, name: null, kind: 'uint' };
    const named = NAMES.get(id);
    const name = named ? `reverse${named[0][0]!.toUpperCase()}${named[0].slice(1)}` : `${pen}.${id}`;
    return { op: Op.REV_EXTRA, name, kind: length >= 1 && length <= 8 ? 'uint' : 'auto' };
  }
  if (pen === CERT_PEN && (id === 14 || id === 15 || id === 16398 || id === 16399) && length >= 1 && length <= 8) {
    return { op: id < 0x4000 ? Op.TCP_FLAGS_OR : Op.REV_TCP_FLAGS_OR, name: null, kind: 'uint' };
  }
  return { op: Op.EXTRA, name: `${pen}.${id}`, kind: length >= 1 && length <= 8 ? 'uint' : 'auto' };
}
