// The UI shell's files: gzip when the client accepts it (text types only), the same bytes as
// the build once decoded, identity otherwise, and client routes answered with index.html.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-server.js';

let t: TestServer;
let ui: string;
const script = `console.log(${JSON.stringify('vantage '.repeat(500))});\n`;
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

beforeAll(async () => {
  ui = mkdtempSync(join(tmpdir(), 'vantage-ui-'));
  mkdirSync(join(ui, 'assets'));
  writeFileSync(join(ui, 'index.html'), '<!doctype html><title>Vantage</title><script src="/assets/app-1a2b.js"></script>');
  writeFileSync(join(ui, 'assets', 'app-1a2b.js'), script);
  writeFileSync(join(ui, 'assets', 'logo-3c4d.png'), png);
  t = await startTestServer({ uiDir: ui });
});
afterAll(async () => {
  await t.close();
  rmSync(ui, { recursive: true, force: true });
});

/** A raw GET (fetch would decode the body and hide the encoding). */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const url = new URL(path, t.base);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('UI files', () => {
  it('gzips text when the client accepts it, and the bytes decode to the build', async () => {
    const gz = await get('/assets/app-1a2b.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(gunzipSync(gz.body).toString('utf8')).toBe(script);
    expect(gz.body.length).toBeLessThan(script.length / 10);
    const plain = await get('/assets/app-1a2b.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toBe(script);
  });

  it('leaves images as they are, and answers client routes with the compressed shell', async () => {
    const image = await get('/assets/logo-3c4d.png', { 'accept-encoding': 'gzip' });
    expect(image.headers['content-encoding']).toBeUndefined();
    expect(image.body.equals(png)).toBe(true);
    const route = await get('/ip/10.1.0.1', { 'accept-encoding': 'gzip' });
    expect(route.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(gunzipSync(route.body).toString('utf8')).toContain('<title>Vantage</title>');
  });
});
