/**
 * The route editor as a person uses it: `af-routes edit` (the built binary) over real
 * upstreams on 127.0.0.1, its page in headless Chromium (Debian's, driven by playwright-core).
 * A person's path from an empty route to a request served through the gateway; two tabs
 * editing at once; layout that holds still while typing. Accessibility and screenshots:
 * test/editor-a11y.test.ts.
 *
 * Needs /usr/bin/chromium: without it this test fails, it never skips.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureEditorBuilt, startEditor, type RunningEditor } from './support/editor-cli.js';
import { collectProblems, launchChromium, openEditor } from './support/editor-page.js';
import { startServer, type TestServer } from './support/servers.js';

let browser: Browser;
let dir: string;
const upstreams: Record<string, TestServer> = {};
const editors: RunningEditor[] = [];

const named = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`${name} ${req.method} ${req.url}`);
};

beforeAll(async () => {
  await ensureEditorBuilt();
  for (const name of ['reads', 'beta', 'fallback']) upstreams[name] = await startServer(named(name));
  dir = await mkdtemp(join(tmpdir(), 'af-edit-browser-'));
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const e of editors) await e.stop();
  for (const s of Object.values(upstreams)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function editorFor(name: string, table: unknown): Promise<{ file: string; editor: RunningEditor }> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(table, null, 2) + '\n');
  const editor = await startEditor(file);
  editors.push(editor);
  return { file, editor };
}

const pages: Page[] = [];
afterEach(async () => {
  for (const p of pages.splice(0)) await p.context().close();
});

async function newPage(url: string, width = 1280, height = 900): Promise<{ page: Page; ed: Locator; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  pages.push(page);
  const problems = collectProblems(page);
  await openEditor(page, url);
  return { page, ed: page.locator('af-route-editor'), problems };
}

/** Waits until `fn` holds (the element renders asynchronously, and messages settle after a pause). */
async function until(fn: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const text = async (l: Locator) => ((await l.count()) === 0 ? '' : ((await l.first().textContent()) ?? '').replace(/\s+/g, ' ').trim());

describe('af-routes edit in Chromium: a person builds a route and the gateway serves it', () => {
  it('adds a route with two variants, sees and fixes a bad target, tests, reorders, saves; the gateway serves it', async () => {
    const { reads, beta, fallback } = upstreams as Record<string, TestServer>;
    const { file, editor } = await editorFor('person', { '/*': fallback!.url });
    // Tall enough that a drag needs no scrolling (a scroll during a drag breaks Chromium's synthesized one).
    const { page, ed, problems } = await newPage(editor.editorUrl, 1280, 2200);

    await ed.getByRole('button', { name: 'Add route' }).click();
    const pattern = ed.getByLabel('Pattern', { exact: true });
    await until(async () => (await pattern.evaluate((el) => el === (el.getRootNode() as ShadowRoot).activeElement)) === true, "the new route's pattern has focus");
    await pattern.fill('/api/orders/*');

    // Variant #1: a bad target first. Its message and hint appear next to the target.
    const v1 = ed.locator('li[data-variant="0"]');
    await v1.getByLabel('Target URL').fill('htp//orders');
    const targetMsg = v1.locator('[data-field="target"] .msg');
    // The message follows once typing pauses (the form does not jump at every keystroke).
    await until(async () => (await text(targetMsg)).includes('"htp//orders"'), "the bad target's message");
    expect(await text(targetMsg)).toContain('Invalid target URL "htp//orders" for path "/api/orders/*". Must be a valid URL');
    expect(await text(targetMsg.locator('.hint'))).toContain('Write an absolute URL with a host');
    expect(await v1.getByLabel('Target URL').getAttribute('aria-invalid')).toBe('true');
    expect(await ed.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    expect(await text(ed.locator('#summary'))).toMatch(/1 error: fix them to save/);

    // Fixed: the message goes, GET only.
    await v1.getByLabel('Target URL').fill(reads!.url);
    await v1.getByLabel('Methods', { exact: true }).fill('GET');
    await until(async () => (await text(targetMsg)) === '', 'the message to go');

    // Variant #2: requests carrying x-beta go to the beta service.
    await ed.getByRole('button', { name: 'Add variant' }).click();
    const v2 = ed.locator('li[data-variant="1"]');
    await v2.getByLabel('Target URL').fill(beta!.url);
    await v2.getByRole('button', { name: 'Add header condition' }).click();
    await v2.getByLabel('Header 1 name').fill('x-beta');
    await v2.getByLabel('Header 1 test').selectOption('present');
    await until(async () => (await text(ed.locator('#summary'))).includes('valid'), 'the table to be valid');
    expect(await ed.getByRole('button', { name: 'Save' }).isDisabled()).toBe(false);

    // The list shows precedence order: /api/orders/* before the catch-all /*.
    const listed = await ed.locator('ol.routes button.route .pattern').allTextContents();
    expect(listed.map((s) => s.trim())).toEqual(['/api/orders/*', '/*']);
    expect(await text(ed.locator('ol.routes li').first())).toMatch(/#1 GET → .*#2 header x-beta → /);

    // Test a request: a raw path, normalized; GET with x-beta: variant #1 (GET) wins.
    await ed.getByLabel('Path (raw)').fill('/api//orders/./42');
    await ed.getByLabel('Headers (one "name: value" per line)').fill('x-beta: 1');
    await ed.getByLabel('Query', { exact: true }).fill('page=2');
    const result = ed.locator('[data-testid="test-result"]');
    await until(async () => (await text(result.locator('[data-testid="winner"]'))).includes('/api/orders/*'), 'the winner');
    expect(await text(ed.locator('[data-testid="normalized"]'))).toBe('/api/orders/42');
    expect(await text(result.locator('[data-testid="winner"]'))).toBe('/api/orders/*, variant #1');
    expect(await text(result.locator('[data-testid="url"]'))).toBe(`${reads!.url}/42?page=2`);
    const candidates = await result.locator('[data-testid="candidates"] > li').allTextContents();
    expect(candidates.map((c) => c.replace(/\s+/g, ' ').trim())).toEqual([
      '/api/orders/*: serves the request with variant #1',
      '/*: would accept it, but /api/orders/* comes first in precedence',
    ]);

    // A POST without x-beta: no variant of /api/orders/* accepts it; the catch-all serves, and why is shown.
    await ed.getByLabel('Method', { exact: true }).selectOption('POST');
    await ed.getByLabel('Headers (one "name: value" per line)').fill('');
    await until(async () => (await text(result.locator('[data-testid="winner"]'))).startsWith('/*'), 'the fallback to win');
    const lost = (await result.locator('[data-testid="candidates"] > li').allTextContents()).map((c) => c.replace(/\s+/g, ' ').trim());
    expect(lost[0]).toMatch(/^\/api\/orders\/\*: no variant accepts the request: #1: method not in GET, HEAD ?#2: header "x-beta" does not match$/);
    expect(lost[1]).toBe('/*: serves the request with its only variant');

    // Reorder by drag: the x-beta variant first. The same GET with x-beta now goes to beta.
    await ed.getByLabel('Method', { exact: true }).selectOption('GET');
    await ed.getByLabel('Headers (one "name: value" per line)').fill('x-beta: 1');
    await until(async () => (await text(result.locator('[data-testid="url"]'))).startsWith(reads!.url), 'GET to the reads service');
    await v2.locator('.grip').dragTo(v1);
    await until(async () => (await text(result.locator('[data-testid="url"]'))).startsWith(beta!.url), 'the reordered variants to change the winner');
    expect(await text(result.locator('[data-testid="winner"]'))).toBe('/api/orders/*, variant #1');
    expect(await text(result.locator('[data-testid="url"]'))).toBe(`${beta!.url}/42?page=2`);
    expect(await ed.locator('.note').first().textContent()).toMatch(/Order matters only here.*jsonb/s);

    // Save: the file holds the table, variants in their new order; the previous file is the .bak.
    await ed.getByRole('button', { name: 'Save' }).click();
    await until(async () => (await text(ed.locator('[data-testid="save-status"]'))).startsWith('Saved to'), 'the save to be confirmed');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      '/*': fallback!.url,
      '/api/orders/*': [
        { target: beta!.url, headers: { 'x-beta': true } },
        { target: reads!.url, methods: ['GET'] },
      ],
    });
    expect(JSON.parse(await readFile(`${file}.bak`, 'utf8'))).toEqual({ '/*': fallback!.url });

    // Real requests through the gateway reach the new upstreams. The second one is served by
    // variant #2, so it needs the serving variant's target to build the URL (SPEC 10.1; main's
    // 9f0fb38 "the serving variant's target builds the URL"), not the route's first target.
    const gw = editor.gatewayUrl;
    expect(await (await fetch(`${gw}/api/orders/42?page=2`, { headers: { 'x-beta': '1' } })).text()).toBe('beta GET /42?page=2');
    expect(await (await fetch(`${gw}/api/orders/42`)).text()).toBe('reads GET /42');
    expect(await (await fetch(`${gw}/api/orders/42`, { method: 'POST', body: 'x' })).text()).toBe('fallback POST /api/orders/42');
    expect(problems).toEqual([]);
    void page;
  });

  it('reorders variants by keyboard (Alt+Arrow on the handle, focus follows) and by the arrow buttons', async () => {
    const { reads, beta } = upstreams as Record<string, TestServer>;
    const { editor } = await editorFor('keyboard', {
      '/k': [
        { methods: ['GET'], target: reads!.url },
        { methods: ['POST'], target: beta!.url },
        { headers: { 'x-a': true }, target: reads!.url },
      ],
    });
    const { page, ed } = await newPage(editor.editorUrl);
    const json = async () => JSON.parse((await ed.locator('#json').inputValue()) as string) as Record<string, { methods?: string[] }[]>;
    await ed.locator('li[data-variant="0"] .handle').focus();
    await page.keyboard.press('Alt+ArrowDown');
    await until(async () => (await json())['/k']![0]!.methods?.[0] === 'POST', 'the move');
    expect((await json())['/k']!.map((v) => v.methods?.[0] ?? 'any')).toEqual(['POST', 'GET', 'any']);
    const focused = await page.evaluate(() => document.querySelector('af-route-editor')!.shadowRoot!.activeElement?.id);
    expect(focused).toMatch(/^handle-\d+-1$/);
    await page.keyboard.press('Alt+ArrowDown');
    await until(async () => (await json())['/k']![2]!.methods?.[0] === 'GET', 'the second move');
    await ed.getByRole('button', { name: 'Move variant #3 up' }).click();
    expect((await json())['/k']!.map((v) => v.methods?.[0] ?? 'any')).toEqual(['POST', 'GET', 'any']);
    expect(await text(ed.locator('[aria-live="polite"].sr-only'))).toMatch(/moved to position 2 of 3/);
  });

  it('duplicates and deletes routes and variants, and syncs the JSON view both ways', async () => {
    const { reads, beta } = upstreams as Record<string, TestServer>;
    const { editor } = await editorFor('crud', { '/c/:id': { name: 'c', target: `${reads!.url}/:id` } });
    const { ed, problems } = await newPage(editor.editorUrl);
    const changes = await ed.evaluate((el) => {
      const w = window as unknown as { changes: number };
      w.changes = 0;
      el.addEventListener('change', () => w.changes++);
      return w.changes;
    });
    expect(changes).toBe(0);
    const json = async () => JSON.parse(await ed.locator('#json').inputValue()) as Record<string, unknown>;

    await ed.getByRole('button', { name: 'Duplicate route' }).click();
    await until(async () => Object.keys(await json()).length === 2, 'the copy');
    // The copy's name is dropped (names are unique in a table), so the table stays valid.
    expect(await json()).toEqual({ '/c/:id': { name: 'c', target: `${reads!.url}/:id` }, '/c/:id/copy': `${reads!.url}/:id` });
    expect(await text(ed.locator('#summary'))).toMatch(/2 routes · valid/);

    await ed.getByRole('button', { name: 'Duplicate', exact: true }).click();
    await until(async () => Array.isArray((await json())['/c/:id/copy']), 'the duplicated variant');
    // Two variants without conditions: the second can never be reached, and the editor says so at that variant.
    await until(async () => (await text(ed.locator('li[data-variant="1"] .msg').first())).includes('can never be reached'), 'the unreachable message');
    expect(await ed.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await ed.locator('li[data-variant="1"]').getByRole('button', { name: 'Delete', exact: true }).click();
    await until(async () => typeof (await json())['/c/:id/copy'] === 'string', 'the variant deleted');
    await ed.getByRole('button', { name: 'Delete route' }).click();
    await until(async () => Object.keys(await json()).length === 1, 'the route deleted');

    // The JSON view drives the form: a new route appears in the list, a bad edit is named.
    await ed.locator('summary', { hasText: 'JSON' }).click();
    await ed.locator('#json').fill(JSON.stringify({ '/c/:id': { name: 'c', target: `${reads!.url}/:id` }, '/b/*': beta!.url }));
    await until(async () => (await ed.locator('ol.routes .pattern').allTextContents()).map((t) => t.trim()).join(' ') === '/b/* /c/:id', 'the list from the JSON');
    await ed.locator('#json').fill('{ "/b/*": ');
    await until(async () => (await text(ed.locator('#json-msg'))).startsWith('Not valid JSON'), 'the JSON error');
    expect(await ed.locator('ol.routes .pattern').count()).toBe(2); // the form keeps the last good table
    expect(await ed.evaluate(() => (window as unknown as { changes: number }).changes)).toBeGreaterThanOrEqual(5);
    expect(problems).toEqual([]);
  });

  it('keeps the layout still while typing: nothing moves until typing pauses', async () => {
    const { reads } = upstreams as Record<string, TestServer>;
    const { editor } = await editorFor('shift', { '/s/*': reads!.url });
    const { page, ed } = await newPage(editor.editorUrl, 360);
    const target = ed.getByLabel('Target URL');
    const probe = ed.locator('section[aria-labelledby="test-h"]');
    await target.fill('');
    await target.focus();
    await page.waitForTimeout(700);
    const y0 = (await probe.boundingBox())!.y;
    const ys: number[] = [];
    for (const ch of 'https://x.example.com/v1') {
      await page.keyboard.type(ch);
      ys.push((await probe.boundingBox())!.y);
    }
    expect(new Set(ys)).toEqual(new Set([y0]));
  });
});

describe('af-routes edit in Chromium: two tabs', () => {
  it("refuses the second tab's save of a stale version with a clear message, then lets it load the saved one", async () => {
    const { reads, beta, fallback } = upstreams as Record<string, TestServer>;
    const { file, editor } = await editorFor('tabs', { '/t/*': reads!.url });
    const a = await newPage(editor.editorUrl);
    const b = await newPage(editor.editorUrl);

    await a.ed.getByLabel('Target URL').fill(beta!.url);
    await a.ed.getByRole('button', { name: 'Save' }).click();
    await until(async () => (await text(a.ed.locator('[data-testid="save-status"]'))).startsWith('Saved to'), 'tab A saved');

    await b.ed.getByLabel('Target URL').fill(fallback!.url);
    await b.ed.getByRole('button', { name: 'Save' }).click();
    await until(async () => (await text(b.ed.locator('[data-testid="save-status"]'))).startsWith('Not saved'), 'tab B refused');
    expect(await text(b.ed.locator('[data-testid="save-status"]'))).toMatch(/changed since this page loaded it \(another tab or program saved it\)/);
    expect(await b.page.locator('#banner').isVisible()).toBe(true);
    expect(await b.page.locator('#banner').getAttribute('role')).toBe('alert');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ '/t/*': beta!.url });
    expect(await (await fetch(`${editor.gatewayUrl}/t/x`)).text()).toBe('beta GET /x');

    await b.page.getByRole('button', { name: 'Load the saved version (discards your edits)' }).click();
    await until(async () => (await b.ed.getByLabel('Target URL').inputValue()) === beta!.url, 'tab B shows what A saved');
    expect(await b.page.locator('#banner').isVisible()).toBe(false);
    await b.ed.getByLabel('Target URL').fill(fallback!.url);
    await b.ed.getByRole('button', { name: 'Save' }).click();
    await until(async () => (await text(b.ed.locator('[data-testid="save-status"]'))).startsWith('Saved to'), 'tab B saved after loading');
    expect(await (await fetch(`${editor.gatewayUrl}/t/x`)).text()).toBe('fallback GET /x');
  });
});
