// Sink settings, validated with zod: webhook (URL, signing secret, timeout), syslog (RFC 5424
// over UDP or TCP) and e-mail (SMTP). A sinks file is a JSON object of sink name -> settings.

import { z } from 'zod';
import { VantageError } from '../../../core/errors.js';
import { NAME_PATTERN } from '../alert-rule.js';

/** A webhook: JSON POST, signed with HMAC-SHA256 when `secret` is set. */
export const WebhookSinkSchema = z
  .object({
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }),
    /** Shared secret for `X-Vantage-Signature` (docs/alerting.md); at least 16 characters. */
    secret: z.string().min(16).optional(),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Extra request headers (an API key the receiver wants, say). */
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/** Syslog facilities by name (RFC 5424 table 1). */
export const SYSLOG_FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  ntp: 12, audit: 13, alert: 14, clock: 15, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;

/** A syslog collector: RFC 5424 messages, one per UDP datagram or octet-counted on TCP (RFC 6587). */
export const SyslogSinkSchema = z
  .object({
    type: z.literal('syslog'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(514),
    transport: z.enum(['udp', 'tcp']).default('udp'),
    facility: z.enum(Object.keys(SYSLOG_FACILITIES) as [keyof typeof SYSLOG_FACILITIES, ...(keyof typeof SYSLOG_FACILITIES)[]]).default('local0'),
    /** HOSTNAME field; default: this machine's name. */
    hostname: z.string().min(1).max(255).regex(/^[!-~]+$/, 'printable ASCII without spaces').optional(),
    appName: z.string().min(1).max(48).regex(/^[!-~]+$/, 'printable ASCII without spaces').default('vantage'),
    /** SD-ID of the structured data element (name@private-enterprise-number). */
    sdId: z.string().regex(/^[!#-<>-\\^-~]{1,32}$/).refine((s) => s.includes('@'), 'an SD-ID of our own must be name@number').default('vantage@32473'),
    timeoutMs: z.number().int().min(100).max(120_000).default(5_000),
    /** Largest UDP datagram sent; longer messages have their MSG cut (RFC 5426 asks receivers for at least 480, should 2048). */
    maxUdpBytes: z.number().int().min(480).max(65_000).default(2048),
  })
  .strict();

/** An SMTP relay. */
export const EmailSinkSchema = z
  .object({
    type: z.literal('email'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(25),
    /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    /** Refuse to send unless STARTTLS succeeds. */
    requireTls: z.boolean().default(false),
    /** Never try STARTTLS (a local relay without TLS). */
    ignoreTls: z.boolean().default(false),
    user: z.string().optional(),
    password: z.string().optional(),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
    /** Subject prefix. */
    subjectPrefix: z.string().max(64).default('[Vantage]'),
    timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
  })
  .strict();

/** Any sink's settings. */
export const SinkConfigSchema = z.discriminatedUnion('type', [WebhookSinkSchema, SyslogSinkSchema, EmailSinkSchema]);
export type SinkConfig = z.infer<typeof SinkConfigSchema>;
export type WebhookSinkConfig = z.infer<typeof WebhookSinkSchema>;
export type SyslogSinkConfig = z.infer<typeof SyslogSinkSchema>;
export type EmailSinkConfig = z.infer<typeof EmailSinkSchema>;

/** The sinks file: name -> settings. */
export const SinksConfigSchema = z.record(z.string().regex(NAME_PATTERN, 'a sink name is 1-64 characters: a-z, 0-9, ".", "_", "-"'), SinkConfigSchema);
export type SinksConfig = z.infer<typeof SinksConfigSchema>;

/** Validates sink settings; a bad entry is a USAGE error naming the sink and the field. */
export function parseSinksConfig(input: unknown, where = 'sinks'): SinksConfig {
  const parsed = SinksConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new VantageError('USAGE', `${where}: ${issue.path.length ? `'${issue.path.join('.')}': ` : ''}${issue.message}`);
  }
  return parsed.data;
}
