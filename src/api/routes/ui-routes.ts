// The built web UI (web/ -> dist/web): static assets, and index.html for every client-side route.
// The shell holds no data (every datum comes from the authenticated API), so it is served openly.

import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Hono } from 'hono';
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

/** Serves `dir` for GET requests outside /api and /metrics; unknown paths get index.html (client routing). */
export function registerUiRoutes(app: Hono<ApiEnv>, dir: string | undefined): void {
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
        const body = await readFile(file);
        // Vite names assets by content hash: they never change, so browsers may keep them.
        return c.body(body, 200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream', 'cache-control': asset ? 'public, max-age=31536000, immutable' : 'no-cache' });
      } catch {
        // Not a file: a client route such as /ip/10.0.0.1 (its "extension" is .1) gets the app below.
        if (asset) return c.text('not found\n', 404);
      }
    }
    try {
      return c.body(await readFile(join(dir, 'index.html')), 200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-cache' });
    } catch {
      return c.text('The web UI is not built: run `npm run build:web`.\n', 404);
    }
  });
}
