// Test helpers for alerting: hand-made findings, a recording sink, and a webhook receiver on
// 127.0.0.1 whose answers a test scripts (refuse, fail, accept).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Finding, Severity } from '../../detect/finding.js';
import type { AlertMessage } from './alert-message.js';
import type { AlertableFinding } from './alert-rule.js';
import type { AlertSink } from './sinks/alert-sink.js';

/** A finding with the given id, kind and severity (score 0.5 unless given). */
export function testFinding(id: string, kind: string, severity: Severity, extra: Partial<Finding> & { watchlists?: string[]; tags?: string[] } = {}): AlertableFinding {
  return {
    id,
    kind,
    subkind: 'test',
    severity,
    score: 0.5,
    summary: `${kind} finding ${id}`,
    src: '192.0.2.10',
    dst: '198.51.100.7',
    dport: 443,
    first: '2026-03-01T10:00:00.000Z',
    last: '2026-03-01T11:00:00.000Z',
    evidence: { counts: { flows: 3 }, query: 'src 192.0.2.10 and dst 198.51.100.7', from: '2026-03-01T10:00:00.000Z', to: '2026-03-01T11:00:00.000Z', sample: [] },
    status: 'open',
    intel: [],
    entities: [],
    ...extra,
  };
}

/** A sink that keeps what it is sent, and fails while `failing` is set. */
export class RecordingSink implements AlertSink {
  readonly type = 'test';
  readonly sent: AlertMessage[] = [];
  failing: string | undefined;
  constructor(readonly name: string) {}
  async send(message: AlertMessage): Promise<void> {
    if (this.failing) throw new Error(this.failing);
    this.sent.push(message);
  }
}

/** One request the receiver saw. */
export interface ReceivedRequest {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A webhook receiver: answers each request with the next scripted status (200 once the script is used up). */
export interface WebhookReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  listen(): Promise<void>;
  close(): Promise<void>;
}

/** A free port on 127.0.0.1 (bound then released), for a receiver that is not up yet. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A receiver on `port` (not listening until `listen()`). */
export function webhookReceiver(port: number, script: number[]): WebhookReceiver {
  const requests: ReceivedRequest[] = [];
  let server: Server | undefined;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    async listen() {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const status = script.shift() ?? 200;
          requests.push({ status, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
          res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try later');
        });
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    },
    async close() {
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((r) => server!.close(() => r()));
    },
  };
}
