/**
 * The portable entry (src/browser.ts, with the fetch handler, the runtime router and the Hono
 * adapter) must load where there is no Node: none of the modules it reaches may import a Node
 * built-in or undici (type-only imports are erased and allowed). And they must work with the portable entry's `compile` (TypeScript
 * backend), routing a request through a fetch they are given.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as portable from '../src/browser.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every module reachable from `entry` through value imports, with the bare specifiers each imports. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (graph.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    const bare: string[] = [];
    const re = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
    for (const m of source.matchAll(re)) {
      if (m[2]) continue; // `import type` / `export type`: erased
      const spec = m[3]!;
      if (spec.startsWith('.')) queue.push(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else bare.push(spec);
    }
    for (const m of source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) bare.push(m[1]!);
    graph.set(file, bare);
  }
  return graph;
}

describe('the portable entry', () => {
  it('reaches no Node built-in or undici', () => {
    const graph = importGraph(join(root, 'src/browser.ts'));
    const files = [...graph.keys()].map((f) => relative(root, f));
    expect(files.filter((f) => /^src\/(pipeline|proxy|runtime|adapters)\//.test(f)).length).toBeGreaterThan(10);
    for (const nodeOnly of ['src/proxy/node-proxy.ts', 'src/proxy/undici-transport.ts', 'src/runtime/node.ts', 'src/adapters/node.ts']) expect(files).not.toContain(nodeOnly);
    // Pure-JavaScript dependencies that run anywhere: re2js (the linear-time regex engine, SPEC
    // 10.2), jose (JWT on Web Crypto, loaded on first use) and proxy-addr (trusted proxies).
    const PORTABLE_PACKAGES = new Set(['re2js', 'jose', 'proxy-addr']);
    const offending = [...graph].flatMap(([f, specs]) => specs.filter((spec) => !PORTABLE_PACKAGES.has(spec)).map((spec) => `${relative(root, f)} -> ${spec}`));
    expect(offending).toEqual([]);
  });

  it('routes a request with the TypeScript backend through the fetch it is given', async () => {
    const seen: { url: string; method: string; headers: Headers }[] = [];
    const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      seen.push({ url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, method: init?.method ?? 'GET', headers: new Headers(init?.headers) });
      return new Response('from upstream', { status: 201, headers: { 'x-up': '1' } });
    }) as typeof fetch;
    expect(portable.compile({ '/a': 'https://a.example' }, { backend: 'js' }).backend).toBe('js');
    const runtime = portable.createRuntimeRouter({
      compileOptions: { backend: 'js' },
      loadRoutes: () => ({ '/api/*': 'https://api.example.com/v1' }),
      transport: portable.createFetchTransport({ fetch: fakeFetch }),
    });
    expect((await runtime.getRouter('fn'))!.backend).toBe('js');
    const res = (await runtime.handleRequest('fn', new Request('https://fn.example/api/users?id=7'), { clientAddress: '203.0.113.9' }))!;
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('from upstream');
    expect(seen[0]!.url).toBe('https://api.example.com/v1/users?id=7');
    expect(seen[0]!.headers.get('x-forwarded-for')).toBe('203.0.113.9');
    expect(await runtime.handleRequest('fn', new Request('https://fn.example/elsewhere'))).toBeNull();
    // The policy (on by default in the runtime) refuses IP-literal targets before fetch is called.
    const blocked = portable.createRuntimeRouter({ loadRoutes: () => ({ '/*': 'http://169.254.169.254' }), transport: portable.createFetchTransport({ fetch: fakeFetch }) });
    const refused = (await blocked.handleRequest('fn', new Request('https://fn.example/latest/meta-data')))!;
    expect(refused.status).toBe(502);
    expect(seen).toHaveLength(1);
  });
});
