/**
 * The editor page's accessibility and layout, in headless Chromium against `af-routes edit`:
 * axe-core finds no serious or critical violation (light and dark, every form group open),
 * every control is reached by Tab, and at 1280 px and 360 px, light and dark, nothing passes
 * the viewport's right edge. The screenshots are saved to docs/editor/ (docs/editor.md shows
 * them) when UPDATE_SCREENSHOTS=1, else to a temporary directory. Needs /usr/bin/chromium: without it this test fails, it never skips.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureEditorBuilt, startEditor, type RunningEditor } from './support/editor-cli.js';
import { collectProblems, launchChromium, openEditor, overflow, runAxe, unreachableByTab } from './support/editor-page.js';
import { startServer, type TestServer } from './support/servers.js';

let browser: Browser;
let dir: string;
let editor: RunningEditor;
let upstream: TestServer;
// The screenshots a person looks at (docs/editor.md) are rewritten only when asked
// (UPDATE_SCREENSHOTS=1): an ordinary run must not dirty the checkout.
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'editor') : join(tmpdir(), 'af-routes-editor-shots');

/** A table that shows most of what the editor has: variants, conditions, policies, several targets. */
function showcase(url: string): unknown {
  return {
    '/api/users/:id([0-9]+)': { name: 'user-by-id', target: `${url}/users/:id`, timeout: '5s', cache: { ttl: '30s' } },
    '/api/orders/*': [
      { name: 'orders-read', methods: ['GET'], targets: [url, { url: `${url}/b`, weight: 3 }], retry: { attempts: 2 }, loadBalancer: { hash: 'header:x-user' } },
      {
        name: 'orders-beta',
        headers: { 'x-beta': true },
        query: { preview: { prefix: 'v' } },
        target: `${url}/beta`,
        auth: { type: 'jwt', issuer: 'https://id.example.com', jwksUri: 'https://id.example.com/jwks.json' },
      },
      {
        name: 'orders-write',
        methods: ['POST', 'PUT'],
        host: ['api.example.com', '*.example.com'],
        target: `${url}/write`,
        rateLimit: { requests: 100, per: '1m' },
        requestHeaders: { set: { 'x-env': 'prod' }, remove: ['cookie'] },
      },
    ],
    '/*': url,
  };
}

beforeAll(async () => {
  await ensureEditorBuilt();
  upstream = await startServer((_req: IncomingMessage, res: ServerResponse) => res.end('ok'));
  dir = await mkdtemp(join(tmpdir(), 'af-edit-a11y-'));
  const file = join(dir, 'routes.json');
  await writeFile(file, JSON.stringify(showcase(upstream.url), null, 2) + '\n');
  editor = await startEditor(file);
  browser = await launchChromium();
  await mkdir(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await editor?.stop();
  await upstream?.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(width: number, theme: 'light' | 'dark', opts: { bypassCSP?: boolean; height?: number } = {}): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height: opts.height ?? 900 }, colorScheme: theme, bypassCSP: opts.bypassCSP === true });
  const page = await context.newPage();
  const problems = collectProblems(page);
  await openEditor(page, `${editor.editorUrl}?theme=${theme}`);
  return { page, problems };
}

/** Waits for the live stats, selects the route with variants, opens every group, and fills in a request to test. */
async function showEverything(page: Page): Promise<void> {
  const ed = page.locator('af-route-editor');
  // Traffic after the first snapshot (the baseline), so each route's live line has numbers:
  // some 200s, and a 401 from the JWT variant (no token).
  await ed.locator('[data-testid="total"]').first().waitFor({ timeout: 15_000 });
  const paths = ['/api/orders/1', '/api/orders/2', '/api/users/7', '/api/users/8', '/api/users/9', '/else'];
  for (const path of paths) await (await fetch(`${editor.gatewayUrl}${path}`)).arrayBuffer();
  await (await fetch(`${editor.gatewayUrl}/api/orders/3?preview=v1`, { method: 'DELETE', headers: { 'x-beta': '1' } })).arrayBuffer();
  await ed.locator('[data-testid="errors"]').first().waitFor({ timeout: 15_000 });
  await ed.locator('button.route[data-pattern="/api/orders/*"]').click();
  await ed.getByLabel('Path (raw)').fill('/api//orders/./42');
  await ed.getByLabel('Headers (one "name: value" per line)').fill('x-beta: 1');
  await page.evaluate(() => {
    for (const d of Array.from(document.querySelector('af-route-editor')!.shadowRoot!.querySelectorAll('details'))) d.open = true;
  });
  await page.waitForTimeout(100);
}

describe('the editor page: accessibility', () => {
  for (const theme of ['light', 'dark'] as const) {
    it(`has no serious or critical axe-core violation (${theme})`, async () => {
      const { page, problems } = await open(1280, theme, { bypassCSP: true });
      try {
        await showEverything(page);
        const violations = await runAxe(page);
        const severe = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        expect(severe, JSON.stringify(severe, null, 2)).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await page.context().close();
      }
    });
  }

  it('reaches every control with Tab, and every input has a label', async () => {
    const { page } = await open(1280, 'light');
    try {
      await showEverything(page);
      const unlabelled = await page.evaluate(() => {
        const root = document.querySelector('af-route-editor')!.shadowRoot!;
        return Array.from(root.querySelectorAll<HTMLInputElement>('input, select, textarea'))
          .filter((el) => !el.getAttribute('aria-label') && !(el.id && root.querySelector(`label[for="${el.id}"]`)))
          .map((el) => el.outerHTML.slice(0, 120));
      });
      expect(unlabelled).toEqual([]);
      const controls = await page.evaluate(() => document.querySelector('af-route-editor')!.shadowRoot!.querySelectorAll('input, select, textarea, button').length);
      expect(controls).toBeGreaterThan(80);
      expect(await unreachableByTab(page)).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});

describe('the editor page: layout at 1280 and 360 px, light and dark (screenshots in docs/editor/)', () => {
  for (const width of [1280, 360]) {
    for (const theme of ['light', 'dark'] as const) {
      it(`${width} px, ${theme}: nothing passes the right edge`, async () => {
        const { page, problems } = await open(width, theme, { height: width === 360 ? 760 : 1000 });
        try {
          await showEverything(page);
          const o = await overflow(page);
          expect(o.scrollWidth).toBeLessThanOrEqual(o.innerWidth);
          expect(o.sticking).toEqual([]);
          // The theme applied: the element's background follows it.
          const bg = await page.evaluate(() => getComputedStyle(document.querySelector('af-route-editor')!).backgroundColor);
          expect(bg).toBe(theme === 'dark' ? 'rgb(22, 25, 29)' : 'rgb(255, 255, 255)');
          // The first screen, the tester and the first variant's form (a full page is too tall to read).
          await page.evaluate(() => window.scrollTo(0, 0));
          await page.screenshot({ path: join(SHOTS, `editor-${width}-${theme}.png`) });
          const ed = page.locator('af-route-editor');
          await ed.locator('section[aria-labelledby="test-h"]').screenshot({ path: join(SHOTS, `editor-${width}-${theme}-test.png`) });
          // A whole variant's form is tall: kept out of the docs, in the test's temporary directory.
          await ed.locator('li[data-variant="1"] > fieldset').screenshot({ path: join(dir, `editor-${width}-${theme}-variant.png`) });
          expect(problems).toEqual([]);
        } finally {
          await page.context().close();
        }
      });
    }
  }
});
