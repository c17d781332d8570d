/**
 * `nodeRequestHeaders` (src/proxy/node-policies.ts, session 27): on the Node proxy a stage that
 * removes a request header (the API key) gets a copy of the upstream record without it instead
 * of a `delete` (which turned V8's fast record into a dictionary). What the upstream receives
 * must be what `applyRequestPolicies` gave: every other header, in the client's order, the
 * removed ones gone, the rules' and stages' headers set. Checked against `applyRequestPolicies`
 * on a copy over random header lists (fast-check), and on the wire through a loopback upstream.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyRequestPolicies, type PolicyPlan } from '../src/pipeline/policies.js';
import type { HeaderRecord } from '../src/pipeline/headers.js';
import { emptyRecord } from '../src/policies/record.js';
import type { PolicyContext } from '../src/policies/types.js';
import { nodeRequestHeaders } from '../src/proxy/node-policies.js';
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
