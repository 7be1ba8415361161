// Syslog sink: RFC 5424 messages to a collector, one per UDP datagram (RFC 5426) or octet-counted
// over a TCP connection (RFC 6587). UDP carries no acknowledgement: a datagram handed to the
// kernel counts as delivered. Over TCP a message counts as delivered once the connection closed
// cleanly after it was written.

import { createSocket } from 'node:dgram';
import { isIPv6, connect } from 'node:net';
import { hostname } from 'node:os';
import type { AlertMessage } from '../alert-message.js';
import type { AlertSink } from './alert-sink.js';
import { SYSLOG_FACILITIES, type SyslogSinkConfig } from './sink-config.js';
import { formatSyslogMessage, octetCountingFrame, type SyslogHeader } from './syslog-message.js';

/** The local host name as a HOSTNAME field allows it (printable ASCII, no spaces, at most 255). */
function localHostname(): string {
  const name = hostname().replace(/[^!-~]/g, '').slice(0, 255);
  return name === '' ? '-' : name;
}

/** Sends alerts to a syslog collector. */
export class SyslogSink implements AlertSink {
  readonly type = 'syslog';
  private readonly header: SyslogHeader;

  constructor(
    readonly name: string,
    private readonly config: SyslogSinkConfig,
  ) {
    this.header = { facility: SYSLOG_FACILITIES[config.facility], hostname: config.hostname ?? localHostname(), appName: config.appName, procId: String(process.pid), sdId: config.sdId };
  }

  async send(message: AlertMessage): Promise<void> {
    if (this.config.transport === 'udp') await this.sendUdp(message);
    else await this.sendTcp(formatSyslogMessage(message, this.header));
  }

  private fitDatagram(message: AlertMessage): Buffer {
    let title = message.title;
    let bytes = Buffer.from(formatSyslogMessage(message, this.header, title), 'utf8');
    // Shorten the free-text MSG (never the structured data) until the datagram fits.
    while (bytes.length > this.config.maxUdpBytes && title.length > 0) {
      title = title.slice(0, Math.max(0, title.length - Math.max(1, bytes.length - this.config.maxUdpBytes)));
      bytes = Buffer.from(formatSyslogMessage(message, this.header, title), 'utf8');
    }
    return bytes;
  }

  private sendUdp(message: AlertMessage): Promise<void> {
    const bytes = this.fitDatagram(message);
    return new Promise((resolve, reject) => {
      const socket = createSocket(isIPv6(this.config.host) ? 'udp6' : 'udp4');
      const timer = setTimeout(() => finish(new Error(`syslog ${this.name}: send timed out after ${this.config.timeoutMs} ms`)), this.config.timeoutMs);
      const finish = (err?: Error | null) => {
        clearTimeout(timer);
        socket.close();
        if (err) reject(new Error(`syslog ${this.name}: ${err.message}`));
        else resolve();
      };
      socket.once('error', finish);
      socket.send(bytes, this.config.port, this.config.host, (err) => finish(err));
    });
  }

  private sendTcp(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const socket = connect({ host: this.config.host, port: this.config.port });
      const done = (err?: Error) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        if (err) reject(new Error(`syslog ${this.name}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
        else resolve();
      };
      socket.setTimeout(this.config.timeoutMs, () => done(new Error(`no progress within ${this.config.timeoutMs} ms`)));
      socket.once('error', done);
      socket.once('connect', () => socket.end(octetCountingFrame(text)));
      socket.once('close', (hadError) => done(hadError ? new Error('connection closed with an error') : undefined));
      // The collector sends nothing back; drain whatever it does send so the close completes.
      socket.resume();
    });
  }
}
