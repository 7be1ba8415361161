// E-mail sink: one plain-text message per alert through an SMTP relay (nodemailer), the subject
// the alert's title, the body its finding and evidence links (alertText).

import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { alertText, type AlertMessage } from '../alert-message.js';
import type { AlertSink } from './alert-sink.js';
import type { EmailSinkConfig } from './sink-config.js';

const MAX_SUBJECT = 200;

/** The subject line of an alert. */
export function emailSubject(prefix: string, message: AlertMessage): string {
  const text = `${prefix ? `${prefix} ` : ''}${message.title}`.replace(/[\r\n]+/g, ' ');
  return text.length > MAX_SUBJECT ? `${text.slice(0, MAX_SUBJECT - 1)}…` : text;
}

/** Mails alerts. */
export class EmailSink implements AlertSink {
  readonly type = 'email';
  private transport: Transporter | undefined;

  constructor(
    readonly name: string,
    private readonly config: EmailSinkConfig,
  ) {}

  private transporter(): Transporter {
    const c = this.config;
    this.transport ??= nodemailer.createTransport({
      host: c.host,
      port: c.port,
      secure: c.secure,
      requireTLS: c.requireTls,
      ignoreTLS: c.ignoreTls,
      ...(c.user ? { auth: { user: c.user, pass: c.password ?? '' } } : {}),
      connectionTimeout: c.timeoutMs,
      greetingTimeout: c.timeoutMs,
      socketTimeout: c.timeoutMs,
    });
    return this.transport;
  }

  async send(message: AlertMessage): Promise<void> {
    try {
      await this.transporter().sendMail({
        from: this.config.from,
        to: this.config.to,
        subject: emailSubject(this.config.subjectPrefix, message),
        text: alertText(message),
        headers: { 'X-Vantage-Alert-Id': message.id },
      });
    } catch (err) {
      throw new Error(`email ${this.name}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.transport?.close();
    this.transport = undefined;
  }
}
