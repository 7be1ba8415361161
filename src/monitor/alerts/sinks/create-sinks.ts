// Sinks from their settings (sink-config.ts): name -> sink.

import type { AlertSink } from './alert-sink.js';
import { EmailSink } from './email-sink.js';
import { parseSinksConfig } from './sink-config.js';
import { SyslogSink } from './syslog-sink.js';
import { WebhookSink } from './webhook-sink.js';

/** Builds the sinks of a sinks file (validated here; a bad entry is a USAGE error). No I/O. */
export function createSinks(config: unknown, clock: () => number = Date.now): Map<string, AlertSink> {
  const sinks = new Map<string, AlertSink>();
  for (const [name, c] of Object.entries(parseSinksConfig(config))) {
    if (c.type === 'webhook') sinks.set(name, new WebhookSink(name, c, clock));
    else if (c.type === 'syslog') sinks.set(name, new SyslogSink(name, c));
    else sinks.set(name, new EmailSink(name, c));
  }
  return sinks;
}
