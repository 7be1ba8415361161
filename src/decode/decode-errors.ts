// Stable error codes of the export decoders: a bad datagram is counted by code and dropped, never thrown.

/**
 * Every code a flow-export decoder may report. Kept apart from core/errors.ts because these are
 * hot-path counters (per datagram, per set), not user-facing failures. Never rename one: logs,
 * metrics and dashboards key on them.
 */
export const DECODE_ERROR_CODES = [
  /** The datagram or a structure inside it ends before its fixed-size header does. */
  'DECODE_TRUNCATED',
  /** The version field is none of NetFlow 5, 9, IPFIX (10) or sFlow 5. */
  'DECODE_BAD_VERSION',
  /** A length or count field claims more bytes than there are, or fewer than its own header. */
  'DECODE_BAD_LENGTH',
  /** A template or options template is malformed (bad id, zero-length record, scope count...). */
  'DECODE_BAD_TEMPLATE',
  /** NetFlow v9 data arrived for a template not (yet) known for its exporter and source id. */
  'DECODE_V9_TEMPLATE_MISSING',
  /** IPFIX data arrived for a template not (yet) known for its exporter and observation domain. */
  'DECODE_IPFIX_TEMPLATE_MISSING',
  /** A data set waiting for its template was dropped: too old, or the waiting room was full. */
  'DECODE_PENDING_DROPPED',
  /** The template table reached its bound; the new template was ignored. */
  'DECODE_TEMPLATE_LIMIT',
  /** A data record ended in the middle of a field (variable-length field overrunning its set). */
  'DECODE_RECORD_TRUNCATED',
  /** A set id in the reserved range (v9 2-255, IPFIX 4-255): skipped. */
  'DECODE_RESERVED_SET',
  /** sFlow sample or record of a kind this decoder does not read: skipped. */
  'DECODE_SFLOW_UNKNOWN_SAMPLE',
  /** sFlow agent address type other than IPv4 or IPv6. */
  'DECODE_SFLOW_BAD_ADDRESS',
  /** A flow's start or end falls outside 1970-2099 (a wrong exporter clock): the record is dropped. */
  'DECODE_BAD_TIME',
  /** A bug guard: an unexpected exception inside a decoder, caught at the entry point. */
  'DECODE_INTERNAL',
] as const;

/**
 * The problem codes that mean the input itself is malformed: a datagram, template or record that
 * contradicts its own lengths, a bad address type or clock, and damage to the capture file
 * (CAPTURE_TRUNCATED, CAPTURE_BAD_BLOCK, CAPTURE_NO_INTERFACE, CAPTURE_BAD_TIME). Not in it: data
 * waiting for a template not yet seen, a kind of sample or set the decoder does not read, other
 * UDP traffic, and the template table's bound. The CLI exits 1 when any of these was counted.
 */
const MALFORMED_INPUT_CODES: ReadonlySet<string> = new Set([
  'DECODE_TRUNCATED',
  'DECODE_BAD_LENGTH',
  'DECODE_BAD_TEMPLATE',
  'DECODE_RECORD_TRUNCATED',
  'DECODE_SFLOW_BAD_ADDRESS',
  'DECODE_BAD_TIME',
  'CAPTURE_TRUNCATED',
  'CAPTURE_BAD_BLOCK',
  'CAPTURE_NO_INTERFACE',
  'CAPTURE_BAD_TIME',
]);

/** How many of the counted problems (code -> count) are malformed input. */
export function malformedInputCount(problems: Readonly<Record<string, number>>): number {
  let n = 0;
  for (const [code, count] of Object.entries(problems)) if (MALFORMED_INPUT_CODES.has(code)) n += count;
  return n;
}

/** One of {@link DECODE_ERROR_CODES}. */
export type DecodeErrorCode = (typeof DECODE_ERROR_CODES)[number];

/** A counted decode problem: its code and where in the datagram it was found. */
export interface DecodeError {
  readonly code: DecodeErrorCode;
  /** Byte offset in the datagram (or in the replayed set) where the problem starts. */
  readonly offset?: number;
  /** Template id, for template-related codes. */
  readonly templateId?: number;
}

/** True when a string is one of the decode codes (for the CLI summary and metrics labels). */
export function isDecodeErrorCode(code: string): code is DecodeErrorCode {
  return (DECODE_ERROR_CODES as readonly string[]).includes(code);
}
