// Webhook sink: the alert message as a JSON POST, signed (webhook-signature.ts) when a secret is
// set, with a timeout. Any 2xx is delivered; anything else (status, refused connection, timeout)
// is a failed attempt that the outbox retries.

import type { AlertMessage } from '../alert-message.js';
import type { AlertSink, DeliveryAttempt } from './alert-sink.js';
import type { WebhookSinkConfig } from './sink-config.js';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

/** Posts alerts to a URL. */
export class WebhookSink implements AlertSink {
  readonly type = 'webhook';

  constructor(
    readonly name: string,
    private readonly config: WebhookSinkConfig,
    private readonly clock: () => number = Date.now,
  ) {}

  async send(message: AlertMessage, attempt: DeliveryAttempt): Promise<void> {
    const body = JSON.stringify(message);
    const headers: Record<string, string> = {
      ...this.config.headers,
      'content-type': 'application/json',
      'user-agent': 'vantage-alerts',
      'x-vantage-alert-id': message.id,
      'x-vantage-delivery-attempt': String(attempt.attempt),
    };
    if (this.config.secret) headers[SIGNATURE_HEADER.toLowerCase()] = signWebhook(this.config.secret, this.clock() / 1000, body);
    let res: Response;
    try {
      res = await fetch(this.config.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError') throw new Error(`webhook ${this.name}: no answer within ${this.config.timeoutMs} ms`);
      throw new Error(`webhook ${this.name}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
    }
    // Read the answer so the connection can be reused; its content does not matter.
    const text = await res.text().catch(() => '');
    if (res.status < 200 || res.status > 299) throw new Error(`webhook ${this.name}: HTTP ${res.status}${text ? ` ${text.slice(0, 200)}` : ''}`);
  }
}
