/**
 * The editor's live statistics, end to end: `af-routes edit` (the built binary) runs a real
 * gateway over real upstreams on 127.0.0.1 (one alive, one dead port); its page in headless
 * Chromium polls /api/stats. A known number of requests goes through the gateway, some 200,
 * some 502 from the dead target: the route's row shows that count and that 5xx share, and the
 * dead target's badge turns "ejected" (passive health) or "unhealthy" (active probes). Then the
 * source fails ("stats unavailable", nothing moves, the editor still works); a removed editor
 * stops polling; a host can push snapshots itself. The laws of the rate computation are
 * property-tested in test/editor-live-stats.test.ts.
 *
 * Needs /usr/bin/chromium: without it this test fails, it never skips.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatShare } from '../src/editor/live-stats.js';
import { ensureEditorBuilt, startEditor, type RunningEditor } from './support/editor-cli.js';
import { collectProblems, launchChromium, openEditor } from './support/editor-page.js';
import { closedPort, rawRequest, startServer, type TestServer } from './support/servers.js';

let browser: Browser;
let dir: string;
let editor: RunningEditor;
let alive: TestServer;
let dead: string;
let deadProbed: string;

beforeAll(async () => {
  await ensureEditorBuilt();
  alive = await startServer((req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`alive ${req.url}`);
  });
  dead = `http://127.0.0.1:${await closedPort()}`;
  deadProbed = `http://127.0.0.1:${await closedPort()}`;
  dir = await mkdtemp(join(tmpdir(), 'af-edit-live-'));
  const file = join(dir, 'routes.json');
  const table = {
    // Two targets, one dead, no retry: every request the balancer sends to the dead one is a
    // 502, until passive health ejects it (5 failures in a row).
    '/api/*': { name: 'api', targets: [alive.url, dead], retry: { attempts: 0 } },
    // Active probes find the other dead target unhealthy without any request.
    '/probe/*': { name: 'probe', targets: [alive.url, deadProbed], healthCheck: { active: { path: '/health', interval: '500ms', timeout: '400ms', unhealthyThreshold: 2 } } },
    '/*': alive.url,
  };
  await writeFile(file, JSON.stringify(table, null, 2) + '\n');
  editor = await startEditor(file);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await editor?.stop();
  await alive?.close();
  await rm(dir, { recursive: true, force: true });
});

async function until(fn: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const text = async (l: Locator) => ((await l.count()) === 0 ? '' : ((await l.first().textContent()) ?? '').replace(/\s+/g, ' ').trim());

async function open(width = 1280): Promise<{ page: Page; ed: Locator; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const problems = collectProblems(page);
  await openEditor(page, editor.editorUrl);
  return { page, ed: page.locator('af-route-editor'), problems };
}

/** The live block under the route `pattern` in the list. */
const liveOf = (ed: Locator, pattern: string) =>
  ed
    .locator('ol.routes > li')
    .filter({ has: ed.page().locator(`button.route[data-pattern="${pattern}"]`) })
    .locator('[data-testid="live"]');

/** Heights of every list row and the tester's top: what must not move when the stats change state. */
async function geometry(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const root = document.querySelector('af-route-editor')!.shadowRoot!;
    const rows = Array.from(root.querySelectorAll('ol.routes > li')).map((li) => Math.round(li.getBoundingClientRect().height * 10) / 10);
    return [...rows, Math.round(root.querySelector('section[aria-labelledby="test-h"]')!.getBoundingClientRect().top * 10) / 10];
  });
}

describe('af-routes edit: live stats from its gateway, in Chromium', () => {
  it('shows the request count and 5xx share of real traffic, and the dead target ejected; active probes mark the other unhealthy', async () => {
    const { page, ed, problems } = await open();
    const api = liveOf(ed, '/api/*');
    // The first snapshot is the baseline (every count 0 so far).
    await until(async () => (await text(api.locator('[data-testid="total"]'))) === 'total 0', 'the first snapshot');
    expect(await text(page.locator('af-route-editor').locator('[data-testid="stats-legend"]'))).toMatch(/Live from the gateway: ● live/);
    const before = await geometry(page);

    // A known number of requests, one at a time so the balancer alternates predictably.
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${editor.gatewayUrl}/api/item/${i}`);
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    const failed = statuses.filter((s) => s === 502).length;
    expect(statuses.every((s) => s === 200 || s === 502)).toBe(true);
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(20);

    await until(async () => (await text(api.locator('[data-testid="total"]'))) === 'total 20', 'the row to count the 20 requests');
    // The first snapshot with all 20: the last interval had traffic, so the rate is above 0.
    const rate = await text(api.locator('[data-testid="rate"]'));
    expect(rate).toMatch(/^\d+(\.\d+)? req\/s$/);
    expect(rate).not.toBe('0 req/s');
    expect(await text(api.locator('[data-testid="errors"]'))).toBe(`5xx ${formatShare(failed / 20)} · 4xx 0%`);
    expect(await text(api.locator('[data-testid="latency"]'))).toMatch(/^p50 ~[\d.]+ m?s · p95 ~[\d.]+ m?s$/);

    // The dead target was ejected after its consecutive failures: a badge says so in words.
    const badges = api.locator('[data-testid="targets"] .health');
    await until(async () => (await badges.count()) === 2, 'two target badges');
    const deadBadge = api.locator(`.health[title^="${dead}"]`);
    expect(await deadBadge.getAttribute('data-state')).toBe('ejected');
    expect(await text(deadBadge)).toBe(`✕ ejected ${dead.slice('http://'.length)}`);
    expect(await deadBadge.getAttribute('title')).toMatch(/ejected after consecutive failures/);
    expect(await api.locator(`.health[title^="${alive.url}"]`).getAttribute('data-state')).not.toMatch(/ejected|unhealthy/);

    // No request went to /probe/*, yet its dead target is found unhealthy by the active probes.
    const probe = liveOf(ed, '/probe/*');
    await until(
      async () =>
        (await probe
          .locator(`.health[title^="${deadProbed}"]`)
          .getAttribute('data-state')
          .catch(() => null)) === 'unhealthy',
      'the probed target unhealthy',
    );
    expect(await text(probe.locator(`.health[title^="${deadProbed}"]`))).toBe(`✕ unhealthy ${deadProbed.slice('http://'.length)}`);
    expect(await text(probe.locator('[data-testid="total"]'))).toBe('total 0');

    // Numbers arriving moved nothing.
    expect(await geometry(page)).toEqual(before);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('an unreachable source shows "stats unavailable" on every row, moves nothing, and the editor keeps working; it recovers', async () => {
    const { page, ed, problems } = await open(360);
    await until(async () => (await text(liveOf(ed, '/*'))).includes('total '), 'live stats');
    const before = await geometry(page);

    await ed.evaluate((el) => ((el as HTMLElement & { statsUrl: string }).statsUrl = '/api/no-such-stats'));
    await until(async () => (await text(ed.locator('[data-testid="stats-problem"]'))).includes('stats unavailable'), 'the problem in the legend');
    expect(await text(ed.locator('[data-testid="stats-problem"]'))).toBe('⚠ stats unavailable: /api/no-such-stats answered HTTP 404: Nothing at /api/no-such-stats');
    for (const pattern of ['/api/*', '/probe/*', '/*']) expect(await text(liveOf(ed, pattern))).toBe('⚠ stats unavailable');
    expect(await geometry(page)).toEqual(before);

    // The editor is not broken: the tester still answers, a route can be selected and edited.
    await ed.getByLabel('Path (raw)').fill('/api/x');
    await until(async () => (await text(ed.locator('[data-testid="winner"]'))).startsWith('/api/*'), 'the tester');
    await ed.locator('button.route[data-pattern="/*"]').click();
    expect(await ed.getByLabel('Pattern', { exact: true }).inputValue()).toBe('/*');
    const unavailable = await geometry(page);

    await ed.evaluate((el) => ((el as HTMLElement & { statsUrl: string }).statsUrl = '/api/stats'));
    await until(async () => (await text(liveOf(ed, '/*'))).includes('total '), 'live again');
    expect(await ed.locator('[data-testid="stats-problem"]').count()).toBe(0);
    expect(await geometry(page)).toEqual(unavailable);
    // The 404s were the page's own fetches: nothing else went wrong.
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await page.context().close();
  });

  it('stops polling when the editor leaves the document, and polls again when it comes back', async () => {
    const { page, ed } = await open();
    await until(async () => (await text(liveOf(ed, '/*'))).includes('total '), 'live stats');
    await ed.evaluate((el) => ((el as HTMLElement & { statsInterval: number }).statsInterval = 0.5));
    const seen: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/stats')) seen.push(r.url());
    });
    await until(async () => seen.length >= 3, 'polling every 0.5 s', 5_000);
    await page.evaluate(() => document.querySelector('af-route-editor')!.remove());
    const atRemoval = seen.length;
    await page.waitForTimeout(2_000);
    expect(seen.length).toBe(atRemoval);
    // Put back: it polls again.
    await page.evaluate(() => document.querySelector('main')!.append(document.createElement('af-route-editor')));
    await page.evaluate(() => document.querySelector('af-route-editor')!.setAttribute('stats-url', '/api/stats'));
    await until(async () => seen.length > atRemoval, 'polling again');
    await page.context().close();
  });

  it('takes snapshots pushed by the host: rates from successive pushes, null or silence reads "stats unavailable"', async () => {
    const { page } = await open();
    const host = page.locator('#pushed');
    await page.evaluate(() => {
      const el = document.createElement('af-route-editor') as HTMLElement & { routes: unknown; stats: unknown };
      el.id = 'pushed';
      el.setAttribute('stats-interval', '1');
      document.querySelector('main')!.append(el);
      el.routes = { '/orders/*': { name: 'orders', targets: ['http://10.0.0.1', 'http://10.0.0.2'] } };
    });
    const push = (requests: number, s5xx: number, s4xx: number, atMs: number, ejected: boolean) =>
      page.evaluate(
        ({ requests, s5xx, s4xx, atMs, ejected }) => {
          const el = document.querySelector('#pushed') as HTMLElement & { stats: unknown };
          const since = new Date(atMs - 1000).toISOString();
          el.stats = {
            collectedAt: new Date(atMs).toISOString(),
            routes: [
              {
                pattern: '/orders/*',
                variants: [
                  {
                    name: 'orders',
                    counters: { requests, statuses: { '2xx': requests - s5xx - s4xx, '4xx': s4xx, '5xx': s5xx }, secondsSum: requests * 0.02, meanSeconds: 0.02 },
                    targets: [
                      { url: 'http://10.0.0.1', health: { healthy: true, source: 'active', since } },
                      { url: 'http://10.0.0.2', health: ejected ? { healthy: false, source: 'ejection', since, ejectedForMs: 60_000 } : null },
                    ],
                  },
                ],
              },
            ],
          };
        },
        { requests, s5xx, s4xx, atMs, ejected },
      );
    const live = host.locator('[data-testid="live"]');
    const t0 = Date.now();
    await push(100, 0, 0, t0, false);
    await until(async () => (await text(live.locator('[data-testid="total"]'))) === 'total 100', 'the first push');
    expect(await text(live.locator('[data-testid="rate"]'))).toBe('measuring…');
    await push(300, 20, 10, t0 + 4000, true);
    await until(async () => (await text(live.locator('[data-testid="rate"]'))) === '50 req/s', 'the rate from two pushes');
    expect(await text(live.locator('[data-testid="errors"]'))).toBe('5xx 10% · 4xx 5%');
    // No histogram in these snapshots: the mean over the interval.
    expect(await text(live.locator('[data-testid="latency"]'))).toBe('mean 20 ms');
    expect(await text(live.locator('[data-testid="targets"]'))).toBe('✕ ejected 10.0.0.2 ✓ healthy 10.0.0.1');
    // A gateway restart: counters start again; the rate is of the new counts, never negative.
    await push(40, 0, 0, t0 + 6000, true);
    await until(async () => (await text(live.locator('[data-testid="rate"]'))) === '20 req/s', 'the rate after a restart');
    // Silence: after three missed updates (interval 1 s) the snapshot is stale.
    await until(async () => (await text(live)) === '⚠ stats unavailable', 'stale', 8_000);
    expect(await text(host.locator('[data-testid="stats-problem"]'))).toMatch(/^⚠ stats unavailable: no update for [3-9] s$/);
    await push(50, 0, 0, t0 + 9000, true);
    await until(async () => (await text(live.locator('[data-testid="total"]'))) === 'total 50', 'live after a push');
    await page.evaluate(() => ((document.querySelector('#pushed') as HTMLElement & { stats: unknown }).stats = null));
    await until(async () => (await text(live)) === '⚠ stats unavailable', 'null pushed');
    expect(await text(host.locator('[data-testid="stats-problem"]'))).toBe('⚠ stats unavailable: the host has no statistics to show');
    await page.context().close();
  });

  it('/api/stats is the admin /routes document of the gateway, behind the same Host and Origin checks', async () => {
    const res = await fetch(`${editor.editorUrl}api/stats`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { collectedAt: string; gateway: string; routes: { pattern: string; variants: { counters: Record<string, unknown> }[] }[] };
    expect(Date.now() - Date.parse(body.collectedAt)).toBeLessThan(5_000);
    expect(body.gateway).toBe(editor.gatewayUrl);
    expect(body.routes.map((r) => r.pattern)).toEqual(['/api/*', '/probe/*', '/*']);
    const counters = body.routes[0]!.variants[0]!.counters as { requests: number; secondsSum: number; latency: { boundaries: number[]; counts: number[] } };
    expect(counters.requests).toBeGreaterThanOrEqual(20);
    expect(counters.secondsSum).toBeGreaterThan(0);
    expect(counters.latency.counts).toHaveLength(counters.latency.boundaries.length + 1);
    expect(counters.latency.counts.reduce((a, b) => a + b, 0)).toBe(counters.requests);

    const rebinding = await rawRequest(editor.editorUrl, { path: '/api/stats', headers: { host: 'evil.example:80' } });
    expect(rebinding.status).toBe(403);
    const crossOrigin = await fetch(`${editor.editorUrl}api/stats`, { headers: { origin: 'https://evil.example' } });
    expect(crossOrigin.status).toBe(403);
    const post = await fetch(`${editor.editorUrl}api/stats`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});
