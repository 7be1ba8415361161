// The e-mail sink against a local SMTP receiver (smtp-server, 127.0.0.1, no TLS): the envelope,
// the subject and the plain-text body with the evidence links, read back from the raw message.

import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { findingAlertMessage } from '../alert-message.js';
import { testFinding } from '../alert-test-fixtures.js';
import { EmailSink } from './email-sink.js';
import { EmailSinkSchema } from './sink-config.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

describe('e-mail sink', () => {
  it('delivers the alert through SMTP with its subject and evidence', async () => {
    const received: Received[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          done();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.server.address() as AddressInfo).port;
    const sink = new EmailSink('soc', EmailSinkSchema.parse({ type: 'email', host: '127.0.0.1', port, ignoreTls: true, from: 'vantage@example.org', to: ['soc@example.org', 'oncall@example.org'] }));
    try {
      const m = findingAlertMessage({
        id: 'alert-mail-1',
        rule: 'partners',
        createdAt: Date.UTC(2026, 2, 1, 12, 0, 0),
        finding: testFinding('f-mail', 'beacon', 'high', { subkind: 'periodic', score: 0.91, summary: '192.0.2.10 beacons to 198.51.100.7:443 every 60 s' }),
        watchlists: ['partners'],
        uiBaseUrl: 'https://vantage.example.org',
      });
      await sink.send(m);
      expect(received).toHaveLength(1);
      const mail = received[0]!;
      expect(mail.from).toBe('vantage@example.org');
      expect(mail.to).toEqual(['soc@example.org', 'oncall@example.org']);
      // Headers end at the first empty line (RFC 5322); long headers are folded with CRLF + space.
      const split = mail.raw.indexOf('\r\n\r\n');
      const headers = mail.raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ').replace(/\r\n/g, '\n');
      const body = mail.raw.slice(split + 4).replace(/=\r\n/g, '');
      expect(headers).toMatch(/^Subject: \[Vantage\] high beacon\/periodic: 192\.0\.2\.10 beacons to 198\.51\.100\.7:443 every 60 s$/m);
      expect(headers).toMatch(/^X-Vantage-Alert-Id: alert-mail-1$/im);
      expect(body).toContain('Finding:   f-mail');
      expect(body).toContain('Severity:  high (score 0.91)');
      expect(body).toContain('Watchlists: partners');
      expect(body).toContain('  query: src 192.0.2.10 and dst 198.51.100.7');
      expect(body).toContain('  finding: https://vantage.example.org/findings/f-mail');
    } finally {
      await sink.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
    // The relay gone: a failed attempt, for the outbox to retry.
    const gone = new EmailSink('soc', EmailSinkSchema.parse({ type: 'email', host: '127.0.0.1', port, ignoreTls: true, timeoutMs: 2000, from: 'vantage@example.org', to: ['soc@example.org'] }));
    await expect(gone.send(findingAlertMessage({ id: 'x', rule: 'r', createdAt: 0, finding: testFinding('f', 'c2', 'low'), watchlists: [], uiBaseUrl: 'http://h' }))).rejects.toThrow(/^email soc: .*ECONNREFUSED/);
    await gone.close();
  });
});
