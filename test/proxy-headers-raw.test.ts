/**
 * The one-pass header path for Node's rawHeaders (issue 18: the proxy's per-request work) must
 * build exactly what the two-step path builds (toHeaderRecord, then endToEndHeaders): same
 * names, values, arrays and key order, for any header list, Connection tokens included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, type RouteMatch } from '../src/index.js';
import { endToEndFromRaw, endToEndHeaders, HOP_BY_HOP_HEADERS, toHeaderRecord, type HeaderRecord, type HeaderValue } from '../src/pipeline/headers.js';
import { buildProxyRequest } from '../src/pipeline/upstream-request.js';

const router = compile({ '/api/*': 'https://users.svc:8443/v2' }, { backend: 'js' });
const match: RouteMatch = router.match('/api/users/1')!;

/** endToEndHeaders as it was before the fast paths (a Set of every Connection token, always). */
function referenceEndToEnd(all: HeaderRecord): HeaderRecord {
  const named = new Set<string>();
  const add = (value: HeaderValue | undefined): void => {
    if (value === undefined) return;
    for (const v of typeof value === 'string' ? [value] : value)
      for (const token of v.split(',')) {
        const t = token.trim().toLowerCase();
        if (t !== '') named.add(t);
      }
  };
  add(all['connection']);
  add(all['proxy-connection']);
  const out: HeaderRecord = Object.create(null) as HeaderRecord;
  for (const name in all) {
    if (HOP_BY_HOP_HEADERS.has(name) || named.has(name) || name.charCodeAt(0) === 0x3a) continue;
    out[name] = all[name]!;
  }
  return out;
}

const NAMES = [
  'Host',
  'host',
  'HOST',
  ':authority',
  ':path',
  'Connection',
  'connection',
  'Proxy-Connection',
  'Keep-Alive',
  'TE',
  'Upgrade',
  'Cookie',
  'cookie',
  'Accept',
  'X-Secret',
  'x-secret',
  'close',
  'X-Forwarded-For',
  'X-Forwarded-Host',
  'x-forwarded-proto',
  'Set-Cookie',
  'Transfer-Encoding',
  'Expect',
  // Names an ordinary object would inherit: a record must keep them as plain own headers.
  'constructor',
  'toString',
  '__proto__',
  'Constructor',
];
const VALUES = ['', 'a', 'keep-alive', 'Keep-Alive', 'close', 'X-Secret, x-other', ' accept ,cookie', 'host', 'upgrade, te', 'gw.example', '1.2.3.4', 'https'];
const rawHeaders = fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 8 }))), { maxLength: 12 });

/** Key order matters too: the record goes upstream in this order. */
const entries = (r: HeaderRecord): [string, HeaderValue][] => Object.keys(r).map((k) => [k, r[k]!]);

describe('rawHeaders in one pass', () => {
  it('endToEndFromRaw equals endToEndHeaders(toHeaderRecord(raw)), with the first Host and :authority', () => {
    fc.assert(
      fc.property(rawHeaders, (pairs) => {
        const raw = pairs.flat();
        const all = toHeaderRecord(raw);
        const r = endToEndFromRaw(raw);
        expect(entries(r.headers)).toEqual(entries(referenceEndToEnd(all)));
        // A fast-mode record (FastRecord) that inherits nothing: `constructor`, `toString` and
        // `__proto__` are own names when a request sends them, and absent otherwise.
        for (const n of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) expect(n in r.headers).toBe(Object.prototype.hasOwnProperty.call(r.headers, n));
        const first = (v: HeaderValue | undefined) => (v === undefined ? undefined : typeof v === 'string' ? v : v[0]);
        expect(r.host).toBe(first(all['host']));
        expect(r.authority).toBe(first(all[':authority']));
      }),
      { numRuns: 500 },
    );
  });

  it('endToEndHeaders (no Set unless a token names an end-to-end header) equals the reference', () => {
    fc.assert(
      fc.property(rawHeaders, (pairs) => {
        const all = toHeaderRecord(pairs.flat());
        expect(entries(endToEndHeaders(all))).toEqual(entries(referenceEndToEnd(all)));
      }),
      { numRuns: 500 },
    );
  });

  it('buildProxyRequest gives the same request for rawHeaders as for the same headers as pairs', () => {
    fc.assert(
      fc.property(rawHeaders, fc.constantFrom('10.0.0.1', '::ffff:10.0.0.2', null), fc.boolean(), (pairs, clientAddress, trust) => {
        const fromRaw = buildProxyRequest(match, { method: 'GET', headers: pairs.flat(), clientAddress, protocol: 'https' }, { trustForwardedHeaders: trust });
        const fromPairs = buildProxyRequest(match, { method: 'GET', headers: pairs, clientAddress, protocol: 'https' }, { trustForwardedHeaders: trust });
        expect(entries(fromRaw.headers)).toEqual(entries(fromPairs.headers));
        expect({ ...fromRaw, headers: null }).toEqual({ ...fromPairs, headers: null });
      }),
      { numRuns: 500 },
    );
  });

  it('drops a header the Connection field names, wherever it appears', () => {
    const r = endToEndFromRaw(['X-Secret', 's', 'Connection', 'close, X-Secret', 'Accept', 'a', 'close', 'c']);
    expect(entries(r.headers)).toEqual([['accept', 'a']]);
  });
});
