/**
 * Chromium (Debian's, driven by playwright-core, as test/browser-chromium.test.ts) for the
 * editor tests, and what they read of the page: axe-core's verdict, the controls a keyboard
 * reaches, and whether anything sticks out of the viewport.
 */
/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The flags this machine needs (closed network, root): see the machine notes. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: install Debian's package (apt-get install -y chromium); this test never skips`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** Errors the page logged or threw: a test expects none. */
export function collectProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  return problems;
}

export async function openEditor(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** Runs axe-core in the page (needs a context with `bypassCSP`: the script is injected). */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  const require = createRequire(import.meta.url);
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
}

/**
 * Every enabled control of the page and the editor's shadow root, tagged, then Tab pressed
 * until focus comes back round: returns the tags never focused (a keyboard cannot reach them).
 */
export async function unreachableByTab(page: Page, maxTabs = 600): Promise<string[]> {
  const total = await page.evaluate(() => {
    const roots: (Document | ShadowRoot)[] = [document];
    const host = document.querySelector('af-route-editor');
    if (host?.shadowRoot) roots.push(host.shadowRoot);
    let n = 0;
    for (const root of roots) {
      for (const el of Array.from(root.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, summary'))) {
        if ((el as HTMLButtonElement).disabled || el.closest('[hidden]') || el.getClientRects().length === 0) continue;
        el.dataset.kbd = `${el.tagName.toLowerCase()}#${n++}:${el.getAttribute('aria-label') ?? el.id ?? el.textContent?.trim().slice(0, 30)}`;
      }
    }
    (document.activeElement as HTMLElement | null)?.blur();
    return n;
  });
  const seen = new Set<string>();
  for (let i = 0; i < maxTabs && seen.size < total; i++) {
    await page.keyboard.press('Tab');
    const tag = await page.evaluate(() => {
      let el: Element | null = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return (el as HTMLElement | null)?.dataset.kbd ?? null;
    });
    if (tag !== null) seen.add(tag);
  }
  return page.evaluate(
    (reached) => {
      const all: string[] = [];
      const host = document.querySelector('af-route-editor');
      for (const root of [document, host?.shadowRoot].filter(Boolean) as (Document | ShadowRoot)[]) {
        for (const el of Array.from(root.querySelectorAll<HTMLElement>('[data-kbd]'))) all.push(el.dataset.kbd!);
      }
      return all.filter((t) => !reached.includes(t));
    },
    [...seen],
  );
}

/**
 * Elements (page or shadow root) whose right edge passes the viewport, visibly: an element cut
 * by an ancestor that clips inside the viewport (a one-line text with an ellipsis) does not
 * count. And the page's scroll width.
 */
export async function overflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number; sticking: string[] }> {
  return page.evaluate(() => {
    const sticking: string[] = [];
    const host = document.querySelector('af-route-editor');
    const clippedInside = (el: HTMLElement): boolean => {
      for (
        let a: Element | null = el.parentElement ?? (el.getRootNode() as ShadowRoot).host ?? null;
        a !== null;
        a = a.parentElement ?? ((a.getRootNode() as ShadowRoot).host || null)
      ) {
        const o = getComputedStyle(a).overflowX;
        if (o !== 'visible' && a.getBoundingClientRect().right <= innerWidth + 0.5) return true;
      }
      return false;
    };
    for (const root of [document, host?.shadowRoot].filter(Boolean) as (Document | ShadowRoot)[]) {
      for (const el of Array.from(root.querySelectorAll<HTMLElement>('*'))) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.right > innerWidth + 0.5 && !clippedInside(el)) sticking.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(r.right)}`);
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth, sticking };
  });
}
