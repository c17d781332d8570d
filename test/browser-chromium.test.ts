/**
 * The portable entry (`@alternatefutures/routing-core/browser`) bundles for the browser with
 * no Node built-in, and in headless Chromium (Debian's `chromium`, driven by playwright-core)
 * its matches, validation, normalization and target URLs equal Node's: on the SPEC's
 * examples and on a random corpus generated here. Two pages: one that allows code generation
 * (the generated matcher serves) and one whose Content-Security-Policy forbids it (the
 * interpreter serves, as in locked-down runtimes).
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`): without it this test fails, it
 * never skips.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as node from '../src/index.js';
import { randomCases, specCases } from './support-browser/corpus.js';
import { runCases, type Case, type CaseResult } from './support-browser/harness.js';
import { CHROMIUM, CHROMIUM_ARGS } from './support/editor-page.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => 'node:' + m)]);

let server: Server;
let origin: string;
let browser: Browser;
let bundle: string;

const HTML = '<!doctype html><meta charset="utf-8"><title>routing-core</title><link rel="icon" href="data:,"><script type="module" src="/harness.js"></script>';

/** Why the browser could not start (each browser test then fails with it: none is skipped). */
let setupError: Error | undefined;

function requireBrowser(): void {
  if (setupError !== undefined) throw setupError;
}

beforeAll(async () => {
  try {
    await setUp();
  } catch (e) {
    setupError = e instanceof Error ? e : new Error(String(e));
  }
});

async function setUp(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: install Debian's package (apt-get install -y chromium); this test never skips`);
  }
  const out = await build({
    entryPoints: [here('./support-browser/page-entry.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  bundle = out.outputFiles[0]!.text;
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/harness.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      res.end(bundle);
    } else if (path === '/open/' || path === '/csp/') {
      const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
      // No 'unsafe-eval': `new Function` throws, as in CSP-locked pages and some edge runtimes.
      if (path === '/csp/') headers['content-security-policy'] = "default-src 'self'; script-src 'self'";
      res.writeHead(200, headers);
      res.end(HTML);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('the portable entry bundles for browsers', () => {
  it('has no Node built-in, static or dynamic, in its module graph', async () => {
    const out = await build({
      entryPoints: [here('../src/browser.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    // esbuild fails on a built-in for the browser platform; also nothing is left external.
    const imports = Object.values(out.metafile!.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports.filter((p) => BUILTINS.has(p) || p.startsWith('node:'))).toEqual([]);
    expect(Object.values(out.metafile!.outputs).flatMap((o) => o.imports)).toEqual([]);
    // The dependencies the portable core bundles, all pure JavaScript: re2js (the RE2 engine of
    // SPEC 10.2), jose (JWT on Web Crypto), proxy-addr with its two helpers (trusted proxies).
    const portable = /node_modules\/(re2js|jose|proxy-addr|forwarded|ipaddr\.js)\//;
    expect(Object.keys(out.metafile!.inputs).filter((p) => p.includes('node_modules') && !portable.test(p))).toEqual([]);
    expect(out.outputFiles[0]!.text).toContain('routesJsonSchema');
  });
});

describe.each([
  { page: 'open', codegen: true },
  { page: 'csp', codegen: false },
])('in headless Chromium ($page page)', ({ page: name, codegen }) => {
  async function inPage<T>(fn: (page: import('playwright-core').Page) => Promise<T>): Promise<T> {
    requireBrowser();
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('Content Security Policy')) problems.push(m.text());
    });
    try {
      await page.goto(`${origin}/${name}/`);
      await page.waitForFunction(() => 'routingHarness' in globalThis, undefined, { timeout: 15_000 });
      const result = await fn(page);
      expect(problems).toEqual([]);
      return result;
    } finally {
      await context.close();
    }
  }
  const runInPage = (page: import('playwright-core').Page, cases: Case[]) =>
    page.evaluate((c) => (globalThis as unknown as { routingHarness: { run(c: unknown): CaseResult[] } }).routingHarness.run(c), cases);

  it('runs the TypeScript backend, with code generation exactly where the page allows it', async () => {
    const env = await inPage((page) =>
      page.evaluate(() => {
        const h = (globalThis as unknown as { routingHarness: { atLoad: unknown; schemaTitle: string } }).routingHarness;
        return { ...(h.atLoad as object), schemaTitle: h.schemaTitle, userAgent: (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent };
      }),
    );
    expect(env).toMatchObject({ codegen, hasProcess: false, backend: 'js', schemaTitle: 'Route table' });
    expect((env as { userAgent: string }).userAgent).toContain('Chrome/');
  });

  it("equals Node's results on the SPEC's examples", async () => {
    const cases = specCases();
    const inBrowser = await inPage((page) => runInPage(page, cases));
    expect(inBrowser).toEqual(runCases(node, cases));
    expect(inBrowser).toEqual(runCases(node, cases, 'js'));
    // the examples are not vacuous: matches, misses, rejections and invalid tables all occur
    const results = inBrowser.flatMap((c) => c.results ?? []);
    expect(results.filter((r) => 'match' in r && r.match !== null).length).toBeGreaterThan(50);
    expect(results.some((r) => 'match' in r && r.match === null)).toBe(true);
    expect(results.some((r) => 'rejected' in r)).toBe(true);
    expect(inBrowser.filter((c) => c.results === null).length).toBe(5);
    expect(inBrowser.find((c) => c.name.startsWith('section 1'))!.results![0]).toMatchObject({
      path: '/api/users/42',
      match: { pattern: '/api/users/*', remainder: '/42', url: 'https://users-service.com/42' },
    });
  });

  it("equals Node's results on a random corpus generated in Node", async () => {
    const cases = randomCases(400, name === 'open' ? 101 : 202);
    const inBrowser = await inPage((page) => runInPage(page, cases));
    expect(inBrowser).toEqual(runCases(node, cases));
    const compiled = inBrowser.filter((c) => c.results !== null);
    expect(compiled.length).toBeGreaterThan(100);
    expect(compiled.flatMap((c) => c.results!).filter((r) => 'match' in r && r.match !== null).length).toBeGreaterThan(1000);
  });
});
