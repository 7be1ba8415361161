// End to end in a real browser (Debian's chromium driven by playwright-core): sign in, run a
// query (with completion and an error shown at its column), chart it, open an IP page (with its
// profile sections), expand a pivot graph from it, look an indicator up, run the detections and
// triage a finding, create a watchlist (the next detection run marks its host), save a query as a
// monitor and run it, pin an address to a case and export it, share (a STIX download, a TAXII
// publish, a peer asked from the Sharing and IP pages), visit the audit trail, saving
// screenshots. They go to a
// temporary folder, or to docs/screenshots/ (the README shows one) when VANTAGE_UPDATE_SCREENSHOTS=1,
// so a test run leaves the tree clean.
// Skipped with a notice when chromium is missing, unless VANTAGE_REQUIRE_ALL=1.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { writeDemoFlows } from '../demo/write-demo-flows.js';
import { DEMO_SCENARIOS } from '../demo/demo-scenarios.js';
import { repoRoot, requireTool } from '../test-support/shared-data.js';
import { startTestServer, type TestServer } from './test-server.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM) ? true : requireTool('chromium');
const shots = process.env.VANTAGE_UPDATE_SCREENSHOTS === '1' ? join(repoRoot(), 'docs', 'screenshots') : mkdtempSync(join(tmpdir(), 'vantage-shots-'));

describe.skipIf(!available)('web UI in Chromium', () => {
  let t: TestServer;
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    // The production build is made by `npm install` (prepare); build it here when it is missing.
    if (!existsSync(join(repoRoot(), 'dist', 'web', 'index.html'))) {
      const build = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: repoRoot(), stdio: 'inherit', timeout: 180_000 });
      if (build.status !== 0) throw new Error('the web UI did not build');
    }
    t = await startTestServer({ uiDir: join(repoRoot(), 'dist', 'web') }, async (store) => {
      await writeDemoFlows(store, { days: 2, scale: 0.02 });
    });
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'vantage-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1440, height: 900 },
      colorScheme: 'dark',
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(20_000);
    mkdirSync(shots, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await ctx?.close();
    await t?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  async function typeQuery(text: string): Promise<void> {
    const editor = page.locator('.query-editor .cm-content');
    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(text, { delay: 2 });
  }

  it('signs in', async () => {
    await page.goto(`${t.base}/`);
    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', 'wrong password');
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('.login-card .error').textContent()).toContain('wrong user name or password');
    await page.fill('input[name=password]', t.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=results-table]');
    expect(await page.locator('.user').textContent()).toContain('alice');
  });

  it('completes fields and shows a bad query at its column', async () => {
    await typeQuery('dst port 23 | top 5 s');
    await page.waitForSelector('.cm-tooltip-autocomplete');
    expect(await page.locator('.cm-tooltip-autocomplete').textContent()).toContain('src');
    await page.keyboard.press('Escape');
    await typeQuery('dst port 23 | top 5 src by bites');
    const error = page.locator('[data-testid=query-error]');
    await expect.poll(() => page.locator('.query-editor .cm-content').textContent()).toBe('dst port 23 | top 5 src by bites');
    await expect.poll(() => error.textContent()).toContain('column 28');
    expect(await page.locator('.tok-error').textContent()).toBe('bites');
    await page.screenshot({ path: join(shots, 'query-error.png'), clip: { x: 0, y: 0, width: 1440, height: 200 } });
  });

  it('runs a query and shows the scanner on top', async () => {
    const scan = DEMO_SCENARIOS.horizontalScan;
    await typeQuery(`${scan.query} | limit 20`);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-testid=results-table] .tr').first().textContent()).toContain(scan.scanner);
    await page.click('text=Table');
    await page.screenshot({ path: join(shots, 'explore.png') });
  });

  it('charts a timeline', async () => {
    await typeQuery('any | timeline 30m');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=timeseries] canvas');
    await page.screenshot({ path: join(shots, 'timeline.png') });
  });

  it('opens an IP page from a result', async () => {
    const scan = DEMO_SCENARIOS.horizontalScan;
    await typeQuery(`${scan.query} | limit 20`);
    await page.keyboard.press('Enter');
    await page.locator(`[data-testid=results-table] a:text-is("${scan.scanner}")`).first().click();
    await page.waitForSelector('[data-testid=ip-page]');
    expect(await page.locator('h1.mono').textContent()).toBe(scan.scanner);
    await page.waitForSelector('[data-testid=ip-flows-table] .tr');
    await page.waitForSelector('[data-testid=ip-timeline] canvas');
    expect(Number((await page.locator('[data-testid=ip-flows]').textContent())?.replace(/\D/g, ''))).toBeGreaterThan(0);
    await page.waitForSelector('[data-testid=profile]');
    await page.screenshot({ path: join(shots, 'ip-page.png'), fullPage: true });
  });

  it('expands a pivot from the IP page: the drawn edges are the API answer, a click merges a node', async () => {
    const scan = DEMO_SCENARIOS.horizontalScan;
    interface Edge {
      from: string;
      to: string;
      relation: string;
      count: number;
    }
    interface Graph {
      root: string;
      nodes: { id: string; type: string; value: string; depth: number }[];
      edges: Edge[];
    }
    const edgeText = (e: Edge) => `${e.from} ${e.relation} ${e.to} ${e.count}`;
    const drawn = async () =>
      page.locator('[data-testid=pivot-edge]').evaluateAll((els) => els.map((el) => `${el.getAttribute('data-from')} ${el.getAttribute('data-relation')} ${el.getAttribute('data-to')} ${el.getAttribute('data-count')}`));
    /** The same request asked again outside the browser, with a viewer token. */
    const again = async (url: string): Promise<Graph> => {
      const res = await fetch(`${t.base}${new URL(url).pathname}${new URL(url).search}`, { headers: { authorization: `Bearer ${t.tokens.viewer}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as Graph;
    };

    // The IP page (opened by the previous test) shows the profile sections.
    expect(await page.locator('h1.mono').textContent()).toBe(scan.scanner);
    await page.waitForSelector('[data-testid=profile-intel]');
    expect(await page.locator('[data-testid=profile-dns] h2').textContent()).toContain('Passive DNS');

    const first = page.waitForResponse((r) => r.url().includes('/api/pivot?') && r.request().method() === 'GET');
    await page.click('[data-testid=ip-pivot]');
    const answered = await first;
    expect(answered.status()).toBe(200);
    expect(new URL(answered.url()).searchParams.get('entity')).toBe(scan.scanner);
    await page.waitForSelector('[data-testid=pivot-graph] [data-testid=pivot-edge]');
    const graph = await again(answered.url());
    expect(graph.root).toBe(`ip:${scan.scanner}`);
    // The scanner talked to the swept addresses: the graph holds talked-to edges from it.
    expect(graph.edges.filter((e) => e.relation === 'talked-to' && (e.from === graph.root || e.to === graph.root)).length).toBeGreaterThan(0);
    expect((await drawn()).sort()).toEqual(graph.edges.map(edgeText).sort());
    expect(await page.locator('[data-testid=pivot-node]').count()).toBe(graph.nodes.length);
    expect(await page.locator('[data-testid=pivot-selected]').textContent()).toBe(scan.scanner);

    // Expand an address of the last level: its depth-1 pivot is fetched and merged in.
    const leaf = graph.nodes.find((n) => n.type === 'ip' && n.depth === Math.max(...graph.nodes.map((x) => x.depth)))!;
    expect(leaf).toBeDefined();
    const expansion = page.waitForResponse((r) => r.url().includes('/api/pivot?') && new URL(r.url()).searchParams.get('entity') === leaf.value);
    await page.locator(`[data-testid=pivot-node][data-id="${leaf.id}"]`).click();
    const expandedAnswer = await expansion;
    expect(new URL(expandedAnswer.url()).searchParams.get('depth')).toBe('1');
    const added = await again(expandedAnswer.url());
    const merged = new Set([...graph.edges, ...added.edges].map(edgeText));
    // talked-to edges found from both ends are one edge: the merge keeps the one seen first.
    const key = (e: Edge) => (e.relation === 'talked-to' ? `talked-to ${[e.from, e.to].sort().join(' ')}` : `${e.relation} ${e.from} ${e.to}`);
    const byKey = new Map<string, string>();
    for (const e of [...graph.edges, ...added.edges]) if (!byKey.has(key(e))) byKey.set(key(e), edgeText(e));
    await expect.poll(async () => (await drawn()).sort()).toEqual([...byKey.values()].sort());
    expect(merged.size).toBeGreaterThanOrEqual(byKey.size);
    expect(await page.locator('[data-testid=pivot-selected]').textContent()).toBe(leaf.value);
    expect(await page.locator('[data-testid=pivot-profile-link]').getAttribute('href')).toBe(`/ip/${encodeURIComponent(leaf.value)}`);
    await page.screenshot({ path: join(shots, 'pivot.png') });

    // An edge's evidence: the flows behind a talked-to edge, as a query for Explore.
    await page.locator('[data-testid=pivot-edge][data-relation=talked-to]').first().dispatchEvent('click');
    expect(await page.locator('[data-testid=pivot-evidence]').getAttribute('href')).toMatch(/^\/\?q=ip\+/);
  });

  it('looks an indicator up on the Intel page', async () => {
    const scan = DEMO_SCENARIOS.horizontalScan;
    await page.click('nav >> text=Intel');
    await page.waitForSelector('[data-testid=intel-feeds]');
    await page.fill('[data-testid=intel-value]', scan.scanner);
    await page.keyboard.press('Enter');
    // The demo loads no feeds: the lookup reads the address and finds no entry.
    await expect.poll(() => page.locator('[data-testid=intel-verdict]').textContent()).toContain('No active feed entry names it.');
    expect(await page.locator('[data-testid=intel-result] h2').textContent()).toContain('read as ip');
  });

  it('runs the detections and lists the scan finding', async () => {
    const scan = DEMO_SCENARIOS.horizontalScan;
    await page.click('nav >> text=Findings');
    await page.waitForSelector('[data-testid=findings-page]');
    // The 7-day preset covers the whole 2-day demo, so every sweep of the scan is in the window.
    await page.selectOption('#range-preset', '7d');
    await page.click('[data-testid=run-detections]');
    await expect.poll(() => page.locator('[data-testid=detect-report]').count(), { timeout: 60_000 }).toBe(1);
    await page.selectOption('[data-testid=filter-kind]', 'scan');
    const rows = page.locator('[data-testid=findings-table] tbody tr', { hasText: scan.scanner });
    await expect.poll(() => rows.count()).toBeGreaterThan(0);
    // A horizontal scan is one finding per swept port: the scenario sweeps ports 23 and 445.
    const horizontal = rows.filter({ hasText: 'horizontal' });
    const ports = (await horizontal.locator('td:nth-child(6)').allTextContents()).map(Number).sort((a, b) => a - b);
    expect(ports).toEqual([...scan.ports].sort((a, b) => a - b));
    expect(await horizontal.first().locator('[data-testid=finding-status]').textContent()).toBe('open');
  });

  it('opens a finding with its sub-scores and acknowledges it', async () => {
    const scan = DEMO_SCENARIOS.horizontalScan;
    const row = page.locator('[data-testid=findings-table] tbody tr', { hasText: scan.scanner }).filter({ hasText: 'horizontal' }).first();
    const id = await row.getAttribute('data-id');
    await row.locator('td.summary').click();
    const detail = page.locator('[data-testid=finding-detail]');
    await detail.waitFor();
    expect(page.url()).toContain(`/findings/${id}`);
    // docs/detections.md, scan: score = 1 − (1 − 0.6·breadth)(1 − 0.6·failure)(1 − 0.5·trw)(1 − 0.5·intel).
    expect(await detail.locator('[data-testid=finding-subscores] .bar-label').allTextContents()).toEqual(expect.arrayContaining(['breadth', 'failure', 'intel', 'trw']));
    expect(await detail.locator('[data-testid=finding-query]').textContent()).toContain(scan.scanner);
    await page.waitForSelector('[data-testid=finding-sample] .tr');
    await detail.locator('[data-testid=verdict-ack]').click();
    await expect.poll(() => detail.locator('[data-testid=finding-status]').textContent()).toBe('acknowledged');
    await expect.poll(() => page.locator(`[data-testid=findings-table] tr[data-id="${id}"] [data-testid=finding-status]`).textContent()).toBe('acknowledged');
    expect(await detail.locator('[data-testid=verdict-ack]').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'findings.png') });

    // The reproducing query opens in Explore over the finding's own window.
    const query = (await detail.locator('[data-testid=finding-query]').textContent())!;
    await detail.locator('[data-testid=open-query]').click();
    await page.waitForSelector('[data-testid=results-table]');
    await expect.poll(() => page.locator('.query-editor .cm-content').textContent()).toBe(query);
    expect(await page.locator('#range-preset').inputValue()).toBe('custom');
    await expect.poll(() => page.locator('[data-testid=results-table] .tr').first().textContent()).toContain(scan.scanner);
    await page.click('nav >> text=Findings');
    await page.waitForSelector('[data-testid=findings-page]');
  });

  /** An API answer outside the browser, with the admin token. */
  async function apiGet<T>(path: string): Promise<T> {
    const res = await fetch(`${t.base}${path}`, { headers: { authorization: `Bearer ${t.tokens.admin}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  }

  it('creates a watchlist and sees it listed; the next detection run marks the watched scanner and raises partner-compromised', async () => {
    const scan = DEMO_SCENARIOS.horizontalScan;
    await page.click('nav >> text=Watchlists');
    await page.waitForSelector('[data-testid=watchlists-page]');
    await page.click('[data-testid=watchlist-new]');
    await page.fill('[data-testid=wl-name]', 'acme');
    await page.selectOption('[data-testid=wl-kind]', 'partner');
    await page.fill('[data-testid=wl-owner]', 'ACME Payments Ltd');
    await page.selectOption('[data-testid=wl-criticality]', 'high');
    await page.fill('[data-testid=wl-contacts]', 'soc@acme.example, +44 20 7946 0000');
    await page.fill('[data-testid=wl-members]', `${scan.scanner} # their jump host\nAS64500\nacme.example`);
    await page.click('[data-testid=wl-save]');
    const row = page.locator('[data-testid=watchlists-table] tr[data-name=acme]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('td').allTextContents()).toEqual(['acme', 'partner', 'ACME Payments Ltd', 'high', 'soc@acme.example, +44 20 7946 0000', '3']);
    // What the form sent, as the server stored it.
    const stored = await apiGet<{ name: string; owner: string; contacts: string[]; members: { type: string; value: string; note?: string }[] }>('/api/watchlists/acme');
    expect(stored.contacts).toEqual(['soc@acme.example', '+44 20 7946 0000']);
    expect(stored.members).toEqual([
      { type: 'host', value: scan.scanner, note: 'their jump host' },
      { type: 'asn', value: 'AS64500' },
      { type: 'domain', value: 'acme.example' },
    ]);
    expect(page.url()).toContain('/watchlists/acme');
    await page.screenshot({ path: join(shots, 'watchlists.png') });

    // Detections run again: the scan findings carry the watchlist, and the partner's scanning host is a partner-compromised finding.
    await page.click('nav >> text=Findings');
    await page.click('[data-testid=run-detections]');
    await expect.poll(() => page.locator('[data-testid=detect-report]').textContent(), { timeout: 60_000 }).toContain('new');
    const partner = page.locator('[data-testid=findings-table] tbody tr', { hasText: 'partner-compromised' });
    await expect.poll(() => partner.count()).toBe(1);
    expect(await partner.locator('[data-testid=watch-badge]').textContent()).toContain('acme');
    await partner.locator('td.summary').click();
    const details = page.locator('[data-testid=partner-details]');
    await details.waitFor();
    expect(await details.locator('[data-testid=partner-owner]').textContent()).toBe('ACME Payments Ltd');
    expect(await details.locator('[data-testid=partner-contacts]').textContent()).toBe('soc@acme.example, +44 20 7946 0000');
    const id = (await partner.getAttribute('data-id'))!;
    const finding = await apiGet<{ evidence: { details: { triggers: { id: string }[] } } }>(`/api/findings/${id}`);
    expect(await details.locator('[data-testid=partner-triggers] tbody tr').count()).toBe(finding.evidence.details.triggers.length);
  });

  it('saves a query from Explore as a monitor and runs it; the history shows the run as the API keeps it', async () => {
    await page.click('nav >> text=Explore');
    await typeQuery('dst port 23 | count by src');
    // Explore first runs its default query: wait for the answer to this one.
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/query') && (r.request().postData() ?? '').includes('dst port 23 | count by src'));
    await page.keyboard.press('Enter');
    expect((await answered).status()).toBe(200);
    await page.waitForSelector('[data-testid=results-table] .tr');
    await page.click('[data-testid=save-monitor]');
    await page.waitForSelector('[data-testid=monitor-form]');
    expect(await page.locator('[data-testid=mon-query]').inputValue()).toBe('dst port 23 | count by src');
    await page.fill('[data-testid=mon-name]', 'telnet-sweepers');
    await page.fill('[data-testid=mon-schedule]', '0 * * * *');
    // A window reaching back over the demo days (which end on 2026-11-01) from any run time.
    await page.fill('[data-testid=mon-window]', '3650d');
    await page.click('[data-testid=mon-save]');
    await page.waitForSelector('[data-testid=monitor-detail]');
    expect(await page.locator('[data-testid=monitors-table] tr[data-name=telnet-sweepers] td').first().textContent()).toBe('telnet-sweepers');
    // Each run is answered before the next click (the button is disabled while one runs).
    for (const n of [1, 2]) {
      const ran = page.waitForResponse((r) => r.url().endsWith('/api/monitors/telnet-sweepers/run') && r.request().method() === 'POST', { timeout: 60_000 });
      await page.click('[data-testid=monitor-run]');
      expect((await ran).status()).toBe(200);
      await expect.poll(() => page.locator('[data-testid=monitor-run-row]').count()).toBe(n);
    }
    // The run's row count is the query's answer over the run's window, asked again through the query API.
    const { runs } = await apiGet<{ runs: { slot: number; rows: number; status: string }[] }>('/api/monitors/telnet-sweepers/runs');
    expect(runs.map((r) => r.status)).toEqual(['ok', 'ok']);
    const windowMs = 3650 * 86_400_000;
    const res = await fetch(`${t.base}/api/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'dst port 23 | count by src', from: new Date(runs[0]!.slot - windowMs).toISOString(), to: new Date(runs[0]!.slot).toISOString() }),
    });
    const answer = (await res.json()) as { rowCount: number };
    expect(answer.rowCount).toBeGreaterThan(0);
    expect(runs[0]!.rows).toBe(answer.rowCount);
    expect(await page.locator('[data-testid=monitor-run-row]').first().locator('td:nth-child(4)').textContent()).toBe(String(answer.rowCount));
    await page.screenshot({ path: join(shots, 'monitors.png') });
  });

  it('pins the scanner to a new case from its IP page, adds a note and exports the case as Markdown', async () => {
    const scan = DEMO_SCENARIOS.horizontalScan;
    await page.fill('[data-testid=goto-ip]', scan.scanner);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=ip-page]');
    await page.click('[data-testid=pin-button]');
    await page.selectOption('[data-testid=pin-case]', { label: 'New case…' });
    await page.fill('[data-testid=pin-new-case]', 'scan-case');
    await page.fill('[data-testid=pin-note]', 'sweeps telnet and SMB');
    await page.click('[data-testid=pin-submit]');
    await page.locator('[data-testid=pin-done] a').click();
    await page.waitForSelector('[data-testid=case-detail]');
    const items = page.locator('[data-testid=case-item]');
    await expect.poll(() => items.count()).toBe(1);
    expect(await items.first().getAttribute('data-type')).toBe('entity');
    expect(await items.first().locator('.what').textContent()).toBe(scan.scanner);
    expect(await items.first().locator('.note').textContent()).toBe('sweeps telnet and SMB');
    await page.fill('[data-testid=case-note]', 'Blocked at the perimeter; ticket 4711.');
    await page.click('[data-testid=case-add-note]');
    await expect.poll(() => items.count()).toBe(2);
    await page.screenshot({ path: join(shots, 'case.png') });

    const download = page.waitForEvent('download');
    await page.click('[data-testid=case-export-md]');
    const file = await (await download).path();
    const { readFileSync } = await import('node:fs');
    const md = readFileSync(file!, 'utf8');
    // The same export asked outside the browser: byte for byte the file the browser saved.
    const res = await fetch(`${t.base}/api/cases/scan-case/export?format=md`, { headers: { authorization: `Bearer ${t.tokens.viewer}` } });
    expect(md).toBe(await res.text());
    expect(md.split('\n').slice(0, 3)).toEqual(['# scan-case', '', '- Case: `scan-case`']);
    expect(md).toContain(`## Entities\n\n- \`${scan.scanner}\` — sweeps telnet and SMB · _alice, `);
    expect(md).toContain('## Notes\n\n- Blocked at the perimeter; ticket 4711. · _alice, ');
  });

  it('downloads a STIX bundle, publishes it to a new TAXII collection, adds a peer and asks it (Sharing page and IP page)', async () => {
    const scan = DEMO_SCENARIOS.horizontalScan;
    await page.click('nav >> text=Sharing');
    await page.waitForSelector('[data-testid=sharing-page]');
    await page.selectOption('[data-testid=share-tlp]', 'green');
    const download = page.waitForEvent('download');
    await page.click('[data-testid=share-stix]');
    const { readFileSync } = await import('node:fs');
    const text = readFileSync((await (await download).path())!, 'utf8');
    const bundle = JSON.parse(text) as { type: string; objects: { type: string; id: string; name?: string; identity_class?: string }[] };
    expect(bundle.type).toBe('bundle');
    // Our identity (the default organisation), and at least one object besides it and the TLP marking.
    expect(bundle.objects.filter((o) => o.type === 'identity').map((o) => [o.name, o.identity_class])).toEqual([['Vantage', 'organization']]);
    expect(bundle.objects.filter((o) => o.type !== 'identity' && o.type !== 'marking-definition').length).toBeGreaterThan(0);
    // The demo's detections are in it: the scanner is a STIX indicator.
    expect(text).toContain(`[ipv4-addr:value = '${scan.scanner}']`);
    // The same export asked outside the browser (an unchanged store exports the same bytes).
    const res = await fetch(`${t.base}/api/share/stix?tlp=green`, { headers: { authorization: `Bearer ${t.tokens.analyst}` } });
    expect(text).toBe(await res.text());

    // A collection created from the page; publishing puts exactly the downloaded objects in it.
    await page.fill('[data-testid=taxii-new-title]', 'Shared with peers');
    await page.fill('[data-testid=taxii-new-alias]', 'shared');
    await page.click('[data-testid=taxii-new-submit]');
    const row = page.locator('[data-testid=taxii-collections] tbody tr', { hasText: 'Shared with peers' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('[data-testid=taxii-objects]').textContent()).toBe('0');
    await row.locator('[data-testid=taxii-publish]').click();
    await expect.poll(() => page.locator('[data-testid=taxii-publish-result]').textContent()).toContain(`Published ${bundle.objects.length} objects`);
    await expect.poll(() => row.locator('[data-testid=taxii-objects]').textContent()).toBe(String(bundle.objects.length));
    const id = (await row.getAttribute('data-id'))!;
    const stored = await apiGet<{ collections: { id: string; objects: number }[] }>('/api/taxii/collections');
    expect(stored.collections.find((c) => c.id === id)?.objects).toBe(bundle.objects.length);

    // A grant: the viewer token may read the collection (as the API then lists it).
    const viewer = (await apiGet<{ tokens: { id: string; name: string }[] }>('/api/tokens')).tokens.find((x) => x.name === 'viewer')!;
    await page.selectOption('[data-testid=grant-token]', viewer.id);
    await page.selectOption('[data-testid=grant-collection]', id);
    await page.click('[data-testid=grant-submit]');
    await expect.poll(() => page.locator('[data-testid=taxii-grants] tbody tr').count()).toBe(1);
    expect(await page.locator('[data-testid=taxii-grants] tbody td').allTextContents()).toEqual([`viewer ${viewer.id}`, 'Shared with peers', 'read']);
    const grants = await apiGet<{ grants: { tokenId: string; collectionId: string; read: boolean; write: boolean }[] }>('/api/taxii/grants');
    expect(grants.grants).toEqual([expect.objectContaining({ tokenId: viewer.id, collectionId: id, read: true, write: false })]);

    // A peer: this very server, with a peer-role token it issued (its answers are our own counts).
    const minted = await t.server.accounts.createToken({ name: 'self-peer', role: 'peer' }, 'test');
    await page.fill('[data-testid=peer-name]', 'self');
    await page.fill('[data-testid=peer-url]', t.base);
    await page.fill('[data-testid=peer-token]', minted.token);
    await page.click('[data-testid=peer-add]');
    const peerRow = page.locator('[data-testid=peers-table] tr[data-name=self]');
    await expect.poll(() => peerRow.count()).toBe(1);
    const rowText = (await peerRow.textContent())!;
    expect(rowText).toContain(`${minted.token.slice(0, 16)}_…`);
    expect(rowText).not.toContain(minted.token.slice(17));
    await page.fill('[data-testid=ask-value]', scan.scanner);
    await page.click('[data-testid=ask-submit]');
    const answer = page.locator('[data-testid=peer-answers] tr[data-peer=self]');
    await answer.waitFor();
    expect(Number((await answer.locator('[data-testid=peer-flows]').textContent())?.replace(/\D/g, ''))).toBeGreaterThan(0);
    // From the top, so the sticky top bar is drawn where it belongs in the full-page capture.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(shots, 'sharing.png'), fullPage: true });

    // The IP page's Ask peers: the peer's flow count is the page's own count (the same server, the same time range).
    await page.fill('[data-testid=goto-ip]', scan.scanner);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=ip-page]');
    await expect.poll(() => page.locator('[data-testid=ip-flows]').textContent()).not.toBe('…');
    await page.click('[data-testid=ip-ask-peers]');
    const ipAnswer = page.locator('[data-testid=ip-peer-answers] tr[data-peer=self] [data-testid=peer-flows]');
    await ipAnswer.waitFor();
    expect(await ipAnswer.textContent()).toBe(await page.locator('[data-testid=ip-flows]').textContent());
  });

  it('shows the audit trail in the light theme', async () => {
    await page.keyboard.press('t');
    await page.click('nav >> text=Audit');
    await page.waitForSelector('[data-testid=audit-table] .tr');
    expect(await page.locator('[data-testid=audit-table]').textContent()).toContain('alice');
    await page.screenshot({ path: join(shots, 'audit.png') });
  });
});
