/**
 * `nodeRequestHeaders` (src/proxy/node-policies.ts, session 27): on the Node proxy a stage that
 * removes a request header (the API key) gets a copy of the upstream record without it instead
 * of a `delete` (which turned V8's fast record into a dictionary). What the upstream receives
 * must be what `applyRequestPolicies` gave: every other header, in the client's order, the
 * removed ones gone, the rules' and stages' headers set. Checked against `applyRequestPolicies`
 * on a copy over random header lists (fast-check), and on the wire through a loopback upstream.
 * `rawWithout` (session 28) takes the removed names out of Node's raw headers before
 * `buildProxyRequest` instead: the upstream record must be the one removing afterwards gives,
 * for any raw list and removal (names `buildProxyRequest` reads are left to the copy).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRequestPolicies, type PolicyPlan } from '../src/pipeline/policies.js';
import type { HeaderRecord } from '../src/pipeline/headers.js';
import { emptyRecord } from '../src/policies/record.js';
import type { PolicyContext } from '../src/policies/types.js';
import { nodeRequestHeaders, rawWithout } from '../src/proxy/node-policies.js';
import { compile, type RouteMatch } from '../src/index.js';
import { buildProxyRequest } from '../src/pipeline/upstream-request.js';
import { keyHash, startPolicyProxy, type PolicyProxy } from './support/policies.js';
import { echoHandler, json, rawRequest, startServer, type TestServer } from './support/servers.js';

const names = fc.constantFrom('x-api-key', 'authorization', 'x-a', 'x-b', 'accept', '__proto__', 'constructor', '1', 'x-claim');

describe('nodeRequestHeaders', () => {
  it('gives the record applyRequestPolicies gives, entries and order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(names, fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 1, maxLength: 2 }))), { selector: ([n]) => n, maxLength: 8 }),
        fc.array(names, { maxLength: 3 }),
        fc.array(fc.tuple(names, fc.string()), { maxLength: 2 }),
        (entries, remove, set) => {
          const build = (): HeaderRecord => {
            const r = emptyRecord<string | string[]>();
            for (const [n, v] of entries) r[n] = v;
            return r;
          };
          const ctx = (): PolicyContext => {
            const setHeaders = emptyRecord<string>();
            for (const [n, v] of set) setHeaders[n] = v;
            return { removeHeaders: [...remove], setHeaders } as unknown as PolicyContext;
          };
          const plan = { requestRules: null } as unknown as PolicyPlan;
          const expected = build();
          applyRequestPolicies(plan, ctx(), expected);
          const got = nodeRequestHeaders(plan, ctx(), build());
          expect(Object.entries(got)).toEqual(Object.entries(expected));
          expect(Object.getPrototypeOf(Object.getPrototypeOf(got))).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });
});

const router = compile({ '/api/*': 'https://users.svc:8443/v2' }, { backend: 'js' });
const match: RouteMatch = router.match('/api/users/1')!;
/** Raw names in any case, the ones `buildProxyRequest` reads among them (Host, Cookie, X-Forwarded-*, hop-by-hop, `:authority`). */
const rawNames = fc.constantFrom(
  'X-Api-Key',
  'x-api-key',
  'X-API-KEY',
  'Authorization',
  'x-a',
  'X-B',
  'Accept',
  '__proto__',
  'constructor',
  '1',
  'X-Claim',
  'Host',
  'Cookie',
  'X-Forwarded-For',
  'x-forwarded-host',
  'X-Forwarded-Proto',
  'Connection',
  'Keep-Alive',
  ':authority',
  'TE',
);
const removable = fc.constantFrom(
  'x-api-key',
  'authorization',
  'x-a',
  'x-b',
  'x-claim',
  'constructor',
  '1',
  'host',
  'cookie',
  'x-forwarded-for',
  'x-forwarded-proto',
  'connection',
  'keep-alive',
  ':authority',
  'absent',
);

describe('rawWithout', () => {
  it('builds the upstream record that removing afterwards gives, entries and order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(rawNames, fc.constantFrom('v', 'w', 'x-a', 'x-api-key, x-b', 'close', 'a=1')), { maxLength: 10 }),
        fc.array(removable, { maxLength: 3 }),
        fc.array(fc.tuple(fc.constantFrom('x-set', 'x-a', 'x-claim'), fc.string()), { maxLength: 2 }),
        (pairs, remove, set) => {
          const raw = pairs.flat();
          const ctx = (): PolicyContext => {
            const setHeaders = emptyRecord<string>();
            for (const [n, v] of set) setHeaders[n] = v;
            return { removeHeaders: [...remove], setHeaders } as unknown as PolicyContext;
          };
          const plan = { requestRules: null } as unknown as PolicyPlan;
          const incoming = (headers: readonly string[]) => ({ method: 'GET', query: '', headers, clientAddress: '10.0.0.1', protocol: 'http' });
          const expected = buildProxyRequest(match, incoming(raw)).headers;
          applyRequestPolicies(plan, ctx(), expected);
          const filtered = rawWithout(raw, remove);
          const built = buildProxyRequest(match, incoming(filtered ?? raw)).headers;
          const got = nodeRequestHeaders(plan, ctx(), built, filtered !== null);
          expect(Object.entries(got)).toEqual(Object.entries(expected));
          // Nothing to take out: the list itself, not a copy.
          if (filtered !== null && !pairs.some(([n]) => (remove as string[]).includes(n.toLowerCase()))) expect(filtered).toBe(raw);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('leaves a name buildProxyRequest reads to the copy', () => {
    for (const name of ['host', 'cookie', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'connection', 'transfer-encoding', ':authority'])
      expect(rawWithout(['Host', 'h', 'X-Api-Key', 'k'], ['x-api-key', name])).toBeNull();
    expect(rawWithout(['Host', 'h', 'X-Api-Key', 'k', 'Accept', '*/*'], ['x-api-key'])).toEqual(['Host', 'h', 'Accept', '*/*']);
  });
});

describe('on the wire', () => {
  let upstream: TestServer;
  let proxy: PolicyProxy;
  beforeAll(async () => {
    upstream = await startServer(echoHandler());
    proxy = await startPolicyProxy({
      '/k/*': { target: upstream.url, auth: { type: 'apiKey', keys: [await keyHash('key-a')] }, requestHeaders: { set: { 'x-set': 'S' } } },
    });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('the upstream gets every other header in the client order, without the key', async () => {
    const sent = ['Host', 'localhost', 'X-First', '1', 'X-Api-Key', 'key-a', 'X-Middle', '2', 'Accept', 'text/plain', 'X-Last', '3'];
    const res = await rawRequest(proxy.url, { path: '/k/x', headers: sent });
    expect(res.status).toBe(200);
    const echoed = json<{ rawHeaders: string[] }>(res).rawHeaders;
    const received = echoed.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(received).not.toContain('x-api-key');
    expect(echoed.join('\n')).not.toContain('key-a');
    const ours = received.filter((n) => ['x-first', 'x-middle', 'accept', 'x-last', 'x-set'].includes(n));
    expect(ours).toEqual(['x-first', 'x-middle', 'accept', 'x-last', 'x-set']);
  });
});
