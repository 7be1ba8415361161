// UI benchmark: the target of the web UI over the 20M-flow benchmark dataset (one demo day, the
// detector benchmark's store): a top-N query typed into Explore's query bar answers within 2 s end
// to end (Enter pressed -> the rows in the results table's DOM), measured in headless Chromium
// against the real server, beside the same query through the HTTP API alone and as raw DuckDB SQL
// on the same store in the same run; and the first page load (sign-in page, then Explore) stays
// under 1 MB of JavaScript, gzip. Benches report: the exit status is 0 whether targets are met or
// not, 1 only when something breaks (the UI shows other rows than the API and raw SQL agree on).
//
//   node dist/bench/ui-bench.js [--store FILE] [--flows N] [--runs N] [--json]
//   --store FILE  the detector benchmark's store (node dist/bench/detect-bench.js --store FILE):
//                 reused when it exists (the server adds its account and audit tables to it),
//                 else generated there by detect-bench and kept
//   --flows N     flows to generate when there is no store to reuse (default 20,000,000); the store
//                 is made by running detect-bench --pivot-only, so both benches share one dataset
//   --runs N      warm runs of each way of asking, interleaved (default 5)
//   --web DIR     serve this build of the UI instead of dist/web (to compare two builds)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { BrowserContext, Page } from 'playwright-core';
import { formatIpv4, formatIpv6 } from '../src/core/ip.js';
import { serverConfig } from '../src/services/server-config.js';
import { startServer, type VantageServer } from '../src/services/server.js';
import { DuckDbStore } from '../src/store/duckdb/duckdb-store.js';
import { duration, grouped, log, median, renderTable } from './report.js';

const TARGET_MS = 2000;
const TARGET_JS_GZIP = 1_000_000;
const CHROMIUM = '/usr/bin/chromium';
/** The flags ARCHITECTURE.md fixes for the browser tests. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The measured query, over the whole range ("All data", the UI's default). */
const QUERY = 'any | top 20 src by bytes';
const TOP = 20;
/** Shown between runs, so that the rows of the next run are new DOM. Cheap: one row. */
const SPACER = 'any | limit 1';
/** The same answer written by hand against the flows table (addresses are v4/v6 integer columns). */
const RAW_SQL =
  'SELECT src4, src6, COUNT(*) AS flows, SUM(packets) AS packets, SUM(bytes) AS bytes FROM flows GROUP BY src4, src6 ORDER BY bytes DESC, src4, src6 LIMIT 20';

const USER = 'ui-bench';
const PASSWORD = 'ui bench correct horse';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const USAGE = `usage: node dist/bench/ui-bench.js [--store FILE] [--flows N] [--runs N] [--web DIR] [--json]
  --store FILE  reuse the detector benchmark's DuckDB store (generated there by detect-bench when missing)
  --flows N     flows to generate when there is no store to reuse (default 20000000)
  --runs N      warm runs per way of asking, interleaved; the median is reported (default 5)
  --web DIR     serve this UI build instead of dist/web (built there when missing)
  --json        print the results as JSON on stdout (the table then goes to stderr)`;

/**
 * In-page probe (installed before every page load): `arm` records when Enter goes down and, from
 * a MutationObserver, when the results table first holds the expected rows; both on the page's
 * clock, as the resource timings of the API requests are.
 */
const PROBE = String.raw`
window.__uiBench = {
  arm(expect) {
    const state = { t0: NaN, tDom: NaN };
    this.state = state;
    performance.clearResourceTimings();
    const shown = () => {
      const summary = document.querySelector('[data-testid=result-summary]')?.textContent ?? '';
      const first = document.querySelector('[data-testid=results-table] .tr')?.textContent ?? '';
      return summary.startsWith(expect.rows + ' row') && first.includes(expect.first);
    };
    addEventListener('keydown', (e) => { if (e.key === 'Enter' && Number.isNaN(state.t0)) state.t0 = performance.now(); }, { capture: true });
    const observer = new MutationObserver(() => {
      if (Number.isNaN(state.tDom) && shown()) { state.tDom = performance.now(); observer.disconnect(); }
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    if (expect.popstate) {
      state.t0 = performance.now();
      history.pushState(null, '', '/?q=' + encodeURIComponent(expect.query));
      dispatchEvent(new PopStateEvent('popstate'));
    }
  },
  done() { return !Number.isNaN(this.state.tDom); },
  result() {
    const s = this.state;
    const api = performance.getEntriesByType('resource')
      .filter((e) => new URL(e.name).pathname === '/api/query' && e.startTime >= s.t0 - 1)
      .map((e) => ({ start: e.startTime, end: e.responseEnd, bytes: e.transferSize }));
    const summary = document.querySelector('[data-testid=result-summary]')?.textContent ?? '';
    const server = /(\d+) ms/.exec(summary);
    return { t0: s.t0, tDom: s.tDom, api, serverMs: server ? Number(server[1]) : NaN };
  },
};`;

interface UiRun {
  /** Enter (or the address change) -> rows in the DOM. */
  readonly totalMs: number;
  /** Enter -> the start of the request that was answered (includes any request it replaced). */
  readonly beforeMs: number;
  /** The answered request, start to last byte (server time included). */
  readonly requestMs: number;
  /** The server's own time for the query (elapsedMs, shown in the summary). */
  readonly serverMs: number;
  /** Last byte -> rows in the DOM (JSON parse, React render). */
  readonly renderMs: number;
  /** POST /api/query requests the page sent for the one submission. */
  readonly requests: number;
  readonly aborted: number;
  readonly responseBytes: number;
}

interface Script {
  readonly url: string;
  readonly page: string;
  readonly bytes: number;
  readonly gzip: number;
  readonly encoding: string;
  readonly transferred: number;
  /** The served body is byte for byte the file of that name in the build served. */
  readonly matchesBuild: boolean;
}

/** What the page's globals look like to the functions run inside it (tsconfig has no DOM types). */
interface InPage {
  readonly __uiBench: { arm(expect: unknown): void; done(): boolean; result(): unknown };
  readonly document: { querySelector(selector: string): { textContent: string | null } | null };
}
/** True in the page once the results summary starts with `prefix` (e.g. '1 row'); self-contained, it runs there. */
const summaryStarts = (prefix: string): boolean => ((globalThis as unknown as InPage).document.querySelector('[data-testid=result-summary]')?.textContent ?? '').startsWith(prefix);

const dotted = (row: Record<string, unknown>): string =>
  row.src4 !== null && row.src4 !== undefined ? formatIpv4(Number(row.src4)) : formatIpv6(BigInt(row.src6 as bigint));

async function main(): Promise<void> {
  const { values: opts } = parseArgs({
    options: {
      store: { type: 'string' },
      flows: { type: 'string', default: process.env.VANTAGE_BENCH_DETECT_FLOWS ?? '20000000' },
      runs: { type: 'string', default: '5' },
      web: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const flows = Number(opts.flows!.replace(/_/g, ''));
  const runs = Number(opts.runs);
  if (!Number.isSafeInteger(flows) || flows < 1 || !Number.isSafeInteger(runs) || runs < 1) {
    process.stderr.write(`ui-bench: --flows and --runs take positive integers\n${USAGE}\n`);
    process.exit(1);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package`);

  const work = mkdtempSync(join(tmpdir(), 'vantage-ui-bench-'));
  const path = opts.store ? resolve(opts.store) : join(work, 'bench.duckdb');
  let server: VantageServer | undefined;
  let ctx: BrowserContext | undefined;
  let store: DuckDbStore | undefined;
  let tokenId: string | undefined;
  try {
    if (!existsSync(path)) {
      // The detector benchmark's own generator and options (one demo day, seed 1): its --pivot-only
      // run stores the day, loads the demo's C2 list and times one pivot, leaving the file here.
      log(`no store at ${path}: generating ~${grouped(flows)} flows with detect-bench`);
      const gen = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'detect-bench.js'), '--flows', String(flows), '--pivot-only', '--store', path], { stdio: ['ignore', 'inherit', 'inherit'] });
      if (gen.status !== 0 || !existsSync(path)) throw new Error(`detect-bench could not generate the store (exit ${gen.status})`);
    }
    const webDir = opts.web ? resolve(opts.web) : join(ROOT, 'dist', 'web');
    if (!existsSync(join(webDir, 'index.html'))) {
      // Vite empties its output folder: never point it at a folder holding something else.
      if (existsSync(webDir) && readdirSync(webDir).length > 0) throw new Error(`${webDir} holds files but no index.html: not a UI build`);
      log(`${webDir} has no built UI: building it (vite build)`);
      const build = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn', '--outDir', webDir], { cwd: ROOT, stdio: 'inherit', timeout: 600_000 });
      if (build.status !== 0) throw new Error('the web UI did not build');
    }

    store = new DuckDbStore({ path });
    await store.open();
    const stored = (await store.stats()).flows;
    log(`store ${path}: ${grouped(stored)} flows; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    server = await startServer(store, `duckdb:${path}`, serverConfig({ port: 0, host: '127.0.0.1', monitorIntervalSeconds: 0, uiDir: webDir, queryTimeoutMs: 300_000 }, {}), {
      loginLimits: { maxPerAccount: 50, maxPerClient: 500 },
      log: () => undefined,
    });
    const accounts = server.accounts;
    if (await accounts.getUser(USER)) await accounts.updateUser(USER, { password: PASSWORD, disabled: false, role: 'analyst', scopes: [] }, 'ui-bench');
    else await accounts.addUser({ name: USER, role: 'analyst', password: PASSWORD }, 'ui-bench');
    const created = await accounts.createToken({ name: `ui-bench-${Date.now()}`, role: 'analyst' }, 'ui-bench');
    tokenId = created.record.id;
    const base = server.url.replace(/\/$/, '');

    // ---- The browser: a fresh profile, so the first load fetches every script. ----
    const { chromium } = await import('playwright-core');
    const profile = join(work, 'chromium');
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    await ctx.addInitScript(PROBE);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(300_000);

    const scripts: Script[] = [];
    let phase = 'sign-in page';
    const bodies: Promise<void>[] = [];
    page.on('response', (r) => {
      if (r.request().resourceType() !== 'script') return;
      const at = phase;
      bodies.push(
        (async () => {
          const body = await r.body();
          const sizes = await r.request().sizes();
          const file = join(webDir, 'assets', basename(new URL(r.url()).pathname));
          scripts.push({
            url: new URL(r.url()).pathname,
            page: at,
            bytes: body.length,
            gzip: gzipSync(body, { level: 9 }).length,
            encoding: r.headers()['content-encoding'] ?? 'identity',
            transferred: sizes.responseBodySize,
            matchesBuild: existsSync(file) && readFileSync(file).equals(body),
          });
        })(),
      );
    });
    let apiRequests = 0;
    let apiAborted = 0;
    const isQuery = (url: string) => new URL(url).pathname === '/api/query';
    page.on('request', (r) => {
      if (isQuery(r.url()) && r.method() === 'POST') apiRequests++;
    });
    page.on('requestfailed', (r) => {
      if (isQuery(r.url()) && r.method() === 'POST') apiAborted++;
    });

    // Sign in on an Explore address that shows the cheap spacer, so the first top-N is the cold one.
    const loadStart = performance.now();
    await page.goto(`${base}/?q=${encodeURIComponent(SPACER)}`);
    await page.waitForSelector('input[name=username]');
    const loginPageMs = performance.now() - loadStart;
    await page.fill('input[name=username]', USER);
    await page.fill('input[name=password]', PASSWORD);
    phase = 'Explore';
    await page.click('button[type=submit]');
    await page.waitForFunction(summaryStarts, '1 row');
    await Promise.all(bodies);

    // ---- The answer, three ways; the first ask of the day is the UI's (cold: DuckDB has read nothing yet). ----
    const typeQuery = async (text: string): Promise<void> => {
      await page.locator('.query-editor .cm-content').click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Backspace');
      await page.keyboard.type(text, { delay: 2 });
      // Close a completion list, so that Enter runs the query rather than accepting a suggestion.
      await page.keyboard.press('Escape');
    };
    const showSpacer = async (): Promise<void> => {
      await typeQuery(SPACER);
      await page.keyboard.press('Enter');
      await page.waitForFunction(summaryStarts, '1 row');
    };
    let expectedFirst = '';
    const uiRun = async (how: 'query bar' | 'address'): Promise<UiRun> => {
      await showSpacer();
      if (how === 'query bar') await typeQuery(QUERY);
      apiRequests = 0;
      apiAborted = 0;
      // Before the first answer is known, any first row will do (checked against the API afterwards).
      const arm = { rows: TOP, first: expectedFirst, query: QUERY, popstate: how === 'address' };
      await page.evaluate((a) => (globalThis as unknown as InPage).__uiBench.arm(a), arm);
      if (how === 'query bar') await page.keyboard.press('Enter');
      await page.waitForFunction(() => (globalThis as unknown as InPage).__uiBench.done(), undefined, { polling: 50 });
      const r = (await page.evaluate(() => (globalThis as unknown as InPage).__uiBench.result())) as { t0: number; tDom: number; serverMs: number; api: { start: number; end: number; bytes: number }[] };
      const answered = r.api.filter((a) => a.end <= r.tDom).sort((a, b) => b.end - a.end)[0];
      if (!answered) throw new Error('the UI showed the rows without a timed /api/query response');
      return {
        totalMs: r.tDom - r.t0,
        beforeMs: answered.start - r.t0,
        requestMs: answered.end - answered.start,
        serverMs: r.serverMs,
        renderMs: r.tDom - answered.end,
        requests: apiRequests,
        aborted: apiAborted,
        responseBytes: answered.bytes,
      };
    };
    const apiRun = async (): Promise<{ ms: number; rows: Record<string, unknown>[]; serverMs: number }> => {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/query`, { method: 'POST', headers: { authorization: `Bearer ${created.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY }) });
      const body = (await res.json()) as { rows: Record<string, unknown>[]; elapsedMs: number };
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`POST /api/query answered ${res.status}: ${JSON.stringify(body)}`);
      return { ms, rows: body.rows, serverMs: body.elapsedMs };
    };
    const rawRun = async (): Promise<{ ms: number; rows: Record<string, unknown>[] }> => {
      const t0 = performance.now();
      const rows = await store!.execute(RAW_SQL);
      return { ms: performance.now() - t0, rows };
    };

    log(`signed in; cold run through the query bar: ${QUERY}`);
    const cold = await uiRun('query bar');
    const firstApi = await apiRun();
    const firstRaw = await rawRun();
    // Cross-check: the API's rows are raw SQL's (addresses and byte counts), and the UI showed the top one.
    const apiTop = firstApi.rows.map((r) => `${String(r.src)} ${Number(r.bytes)}`);
    const rawTop = firstRaw.rows.map((r) => `${dotted(r)} ${Number(r.bytes)}`);
    const agree = apiTop.length === TOP && JSON.stringify(apiTop) === JSON.stringify(rawTop);
    expectedFirst = String(firstApi.rows[0]?.src ?? '');
    const uiFirst = await page.locator('[data-testid=results-table] .tr').first().textContent();
    const uiAgrees = !!uiFirst?.includes(expectedFirst);
    log(`cold: UI ${duration(cold.totalMs)}; top src ${expectedFirst}; API = raw SQL: ${agree}; UI first row shows it: ${uiAgrees}`);

    const ui: UiRun[] = [];
    const address: UiRun[] = [];
    const api: number[] = [];
    const apiServer: number[] = [];
    const raw: number[] = [];
    const loads: number[] = [loadavg()[0]!];
    for (let i = 0; i < runs; i++) {
      ui.push(await uiRun('query bar'));
      address.push(await uiRun('address'));
      const a = await apiRun();
      api.push(a.ms);
      apiServer.push(a.serverMs);
      raw.push((await rawRun()).ms);
      loads.push(loadavg()[0]!);
      log(`run ${i + 1}/${runs}: UI ${duration(ui.at(-1)!.totalMs)} (${ui.at(-1)!.requests} requests), UI by address ${duration(address.at(-1)!.totalMs)}, API ${duration(a.ms)}, raw SQL ${duration(raw.at(-1)!)}; load ${loadavg()[0]!.toFixed(2)}`);
    }

    // ---- Report. ----
    const med = (xs: UiRun[], k: keyof UiRun) => median(xs.map((x) => x[k]));
    const uiMs = med(ui, 'totalMs');
    const rawMs = median(raw);
    const ratio = (ms: number) => (ms / TARGET_MS).toFixed(2);
    const verdict = (ms: number) => (ms <= TARGET_MS ? 'met' : 'MISSED');
    const rows = [
      ['UI, query bar, cold (first query)', duration(cold.totalMs), `${ratio(cold.totalMs)}x`, verdict(cold.totalMs), (cold.totalMs / firstRaw.ms).toFixed(2), `${cold.requests} POST /api/query (${cold.aborted} aborted)`],
      [`UI, query bar, warm (median of ${runs})`, duration(uiMs), `${ratio(uiMs)}x`, verdict(uiMs), (uiMs / rawMs).toFixed(2), `${median(ui.map((u) => u.requests))} POST /api/query (${median(ui.map((u) => u.aborted))} aborted)`],
      [`UI, address change (median of ${runs})`, duration(med(address, 'totalMs')), `${ratio(med(address, 'totalMs'))}x`, '(info)', (med(address, 'totalMs') / rawMs).toFixed(2), `${median(address.map((u) => u.requests))} POST /api/query`],
      [`HTTP API alone (median of ${runs})`, duration(median(api)), `${ratio(median(api))}x`, '(info)', (median(api) / rawMs).toFixed(2), `server elapsedMs ${median(apiServer)}`],
      [`raw DuckDB SQL (median of ${runs})`, duration(rawMs), `${ratio(rawMs)}x`, '(info)', '1.00', 'same store, same process'],
    ];
    const split = (xs: UiRun[]) =>
      `before the answered request ${duration(med(xs, 'beforeMs'))}, request ${duration(med(xs, 'requestMs'))} (server ${duration(med(xs, 'serverMs'))}), after the last byte to rows in the DOM ${duration(med(xs, 'renderMs'))}; ${grouped(med(xs, 'responseBytes'))} bytes`;
    const jsTotal = scripts.reduce((s, x) => s + x.gzip, 0);
    const jsRaw = scripts.reduce((s, x) => s + x.bytes, 0);
    const jsRows = scripts.map((s) => [s.url, s.page, grouped(s.bytes), grouped(s.gzip), `${s.encoding} ${grouped(s.transferred)}`, s.matchesBuild ? 'yes' : 'NO']);
    jsRows.push(['all scripts', '', grouped(jsRaw), grouped(jsTotal), '', '']);
    const lines = [
      '',
      `UI top-N over ${grouped(stored)} flows (DuckDB, ${basename(path)}): '${QUERY}', all data; Enter -> rows in the results table's DOM (headless Chromium)`,
      `load average (1 min) during the runs: ${loads.map((l) => l.toFixed(2)).join(', ')}; other work on the machine skews timings`,
      '',
      renderTable(['way of asking', 'time', 'vs 2 s', 'target', 'vs raw SQL', 'notes'], rows),
      '',
      `where the UI's time goes (medians): query bar: ${split(ui)}`,
      `                                   address:   ${split(address)}`,
      `                                   cold:      ${split([cold])}`,
      `runs (ms): UI ${ui.map((u) => u.totalMs.toFixed(0)).join('/')}; by address ${address.map((u) => u.totalMs.toFixed(0)).join('/')}; API ${api.map((m) => m.toFixed(0)).join('/')}; raw SQL ${raw.map((m) => m.toFixed(0)).join('/')}`,
      `cross-checks: API rows = raw SQL rows (20 addresses and byte counts): ${agree ? 'OK' : 'MISMATCH'}; the UI's first row shows ${expectedFirst}: ${uiAgrees ? 'OK' : 'MISMATCH'}`,
      '',
      `JavaScript of the first page load (sign-in page, then Explore), gzip -9 of each served body; sign-in page shown after ${duration(loginPageMs)}`,
      '',
      renderTable(['script', 'loaded by', 'bytes', 'gzip', 'served as', 'same as the build'], jsRows),
      '',
      `target: under 1 MB of JavaScript (gzip): ${grouped(jsTotal)} bytes = ${(jsTotal / TARGET_JS_GZIP).toFixed(3)}x the target (${jsTotal <= TARGET_JS_GZIP ? 'met' : 'MISSED'})`,
      `target: top-N within 2 s end to end: ${duration(uiMs)} (warm median) = ${ratio(uiMs)}x, cold ${duration(cold.totalMs)} = ${ratio(cold.totalMs)}x (${uiMs <= TARGET_MS && cold.totalMs <= TARGET_MS ? 'met' : 'MISSED'})`,
      '',
    ];
    const result = {
      flows: stored,
      store: path,
      query: QUERY,
      rawSql: RAW_SQL,
      loadAverage: loads,
      ui: { cold, warm: ui, address, medianMs: uiMs, targetMs: TARGET_MS, ratio: uiMs / TARGET_MS },
      api: { runsMs: api, serverMs: apiServer, medianMs: median(api) },
      raw: { runsMs: raw, medianMs: rawMs },
      checks: { apiEqualsRaw: agree, uiShowsTop: uiAgrees },
      javascript: { scripts, gzipTotal: jsTotal, bytesTotal: jsRaw, target: TARGET_JS_GZIP, ratio: jsTotal / TARGET_JS_GZIP },
    };
    if (opts.json) {
      process.stderr.write(lines.join('\n'));
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else process.stdout.write(lines.join('\n'));
    if (!agree || !uiAgrees || scripts.some((s) => !s.matchesBuild)) process.exitCode = 1;
  } finally {
    await ctx?.close().catch(() => undefined);
    if (server && tokenId) await server.accounts.revokeToken(tokenId, 'ui-bench').catch(() => undefined);
    if (server && (await server.accounts.getUser(USER).catch(() => undefined))) await server.accounts.updateUser(USER, { disabled: true }, 'ui-bench').catch(() => undefined);
    await server?.stop();
    await store?.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`ui-bench: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
