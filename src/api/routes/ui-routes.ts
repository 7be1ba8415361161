// The built web UI (web/ -> dist/web): static assets, and index.html for every client-side route.
// The shell holds no data (every datum comes from the authenticated API), so it is served openly.

import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Context, Hono } from 'hono';
import type { ApiEnv } from '../api-context.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Types worth compressing (text); images and fonts are compressed already. */
const TEXT = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt']);

/**
 * A file's body as the client can take it: gzip when it accepts gzip and the type is text
 * (the UI's JavaScript is a third of its size gzipped). Assets never change (content-hashed
 * names), so their compressed bodies are kept.
 */
function encoded(c: Context<ApiEnv>, file: string, body: Buffer, cache: Map<string, Buffer> | undefined): { body: Buffer; headers: Record<string, string> } {
  if (!TEXT.has(extname(file)) || !/\bgzip\b/i.test(c.req.header('accept-encoding') ?? '')) return { body, headers: { vary: 'accept-encoding' } };
  let gz = cache?.get(file);
  if (!gz) {
    gz = gzipSync(body, { level: 9 });
    cache?.set(file, gz);
  }
  return { body: gz, headers: { 'content-encoding': 'gzip', vary: 'accept-encoding' } };
}

/** Serves `dir` for GET requests outside /api and /metrics; unknown paths get index.html (client routing). */
export function registerUiRoutes(app: Hono<ApiEnv>, dir: string | undefined): void {
  const compressedAssets = new Map<string, Buffer>();
  app.get('*', async (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/api/') || path === '/api' || path === '/metrics') return next();
    if (!dir) return c.text('The web UI is not built: run `npm run build:web`. The API is at /api (see /api/openapi.json).\n', 404);
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return c.text('bad path\n', 400);
    }
    const rel = normalize(decoded).replace(/^([/\\])+/, '');
    const file = join(dir, rel);
    const inside = file.startsWith(dir.endsWith(sep) ? dir : dir + sep);
    const asset = rel.startsWith('assets/') || rel.startsWith(`assets${sep}`);
    if (inside && rel && extname(rel)) {
      try {
        const out = encoded(c, file, await readFile(file), asset ? compressedAssets : undefined);
        // Vite names assets by content hash: they never change, so browsers may keep them.
        return c.body(new Uint8Array(out.body), 200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream', 'cache-control': asset ? 'public, max-age=31536000, immutable' : 'no-cache', ...out.headers });
      } catch {
        // Not a file: a client route such as /ip/10.0.0.1 (its "extension" is .1) gets the app below.
        if (asset) return c.text('not found\n', 404);
      }
    }
    try {
      const index = join(dir, 'index.html');
      const out = encoded(c, index, await readFile(index), undefined);
      return c.body(new Uint8Array(out.body), 200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-cache', ...out.headers });
    } catch {
      return c.text('The web UI is not built: run `npm run build:web`.\n', 404);
    }
  });
}
