// An alert as an RFC 5424 syslog message: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID
// [SD-ID param="value"...] BOM MSG, with the finding id, kind, severity and score (and the
// evidence URL) as structured data, and its RFC 6587 octet-counting frame for TCP.

import type { Severity } from '../../../detect/finding.js';
import type { AlertMessage } from '../alert-message.js';

/** Syslog severity per finding severity (RFC 5424 table 2). */
export const SYSLOG_SEVERITY: Record<Severity, number> = { critical: 2, high: 3, medium: 4, low: 5, info: 6 };

/** Header fields that do not come from the alert. */
export interface SyslogHeader {
  readonly facility: number;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly sdId: string;
}

/** A PARAM-VALUE with '"', '\' and ']' escaped (RFC 5424 6.3.3). */
export function escapeSdValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** The structured-data parameters of an alert. */
export function alertSdParams(m: AlertMessage): [string, string][] {
  const params: [string, string][] = [
    ['alert', m.id],
    ['rule', m.rule],
    ['type', m.type],
    ['severity', m.severity],
  ];
  if (m.finding) {
    params.push(['finding', m.finding.id], ['kind', m.finding.kind], ['subkind', m.finding.subkind], ['score', String(m.finding.score)]);
    if (m.finding.src) params.push(['src', m.finding.src]);
    if (m.finding.dst) params.push(['dst', m.finding.dst]);
    if (m.finding.dport !== null) params.push(['dport', String(m.finding.dport)]);
  }
  if (m.evidence) params.push(['url', m.evidence.findingUrl]);
  if (m.suppressed) params.push(['count', String(m.suppressed.length)]);
  if (m.window) params.push(['windowFrom', m.window.from], ['windowTo', m.window.to]);
  return params;
}

const BOM = '\uFEFF';

/**
 * The message text. `title` replaces the alert's title (the UDP sink shortens it to fit a
 * datagram); the TIMESTAMP is when the alert was raised.
 */
export function formatSyslogMessage(m: AlertMessage, header: SyslogHeader, title = m.title): string {
  const pri = header.facility * 8 + SYSLOG_SEVERITY[m.severity];
  const sd = `[${header.sdId}${alertSdParams(m)
    .map(([k, v]) => ` ${k}="${escapeSdValue(v)}"`)
    .join('')}]`;
  const msgId = m.type === 'summary' ? 'alert-summary' : 'alert';
  return `<${pri}>1 ${m.createdAt} ${header.hostname} ${header.appName} ${header.procId} ${msgId} ${sd} ${BOM}${title}`;
}

/** RFC 6587 octet counting: the message's length in bytes, a space, the message. */
export function octetCountingFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
