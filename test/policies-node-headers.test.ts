/**
 * The policy context's header record on the Node proxy (`nodeHeaderRecord`): built from
 * `req.headers` when Node kept the raw headers one for one, else from the raw headers. The law:
 * for any request as sent on the wire, and whatever code before the gateway did to
 * `req.headers`, it is `toHeaderRecord(req.rawHeaders)`, the same names, values and order.
 */
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHeaderRecord } from '../src/pipeline/headers.js';
import { nodeHeaderRecord } from '../src/proxy/node-policies.js';
import { rawExchange, startServer, type TestServer } from './support/servers.js';

/** What the server saw for the last request: both records, and the key orders. */
let seen: { fast: Record<string, unknown>; raw: Record<string, unknown>; fastKeys: string[]; rawKeys: string[] } | null = null;
/** An edit to `req.headers` before the record is built (a middleware in front of the gateway), or null. */
let edit: ((headers: Record<string, unknown>) => void) | null = null;
let server: TestServer;

beforeAll(async () => {
  server = await startServer((req: IncomingMessage, res) => {
    // The routing step reads `req.headers` first (Host, conditions): so does this handler.
    void req.headers.host;
    if (edit !== null) edit(req.headers as Record<string, unknown>);
    const fast = nodeHeaderRecord(req);
    const raw = toHeaderRecord(req.rawHeaders);
    seen = { fast: { ...fast }, raw: { ...raw }, fastKeys: Object.keys(fast), rawKeys: Object.keys(raw) };
    res.end('ok');
  });
});
afterAll(() => server.close());

async function exchange(headers: readonly (readonly [string, string])[]): Promise<NonNullable<typeof seen>> {
  seen = null;
  const lines = headers.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  const text = await rawExchange(server.port, `GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines}Connection: close\r\n\r\n`);
  expect(text.startsWith('HTTP/1.1 200')).toBe(true);
  expect(seen).not.toBeNull();
  return seen!;
}

// Names that Node treats specially (dropped or joined repeats, the Set-Cookie array, cookie's
// `; ` join), names on Object.prototype, integer-like names (ordered first in an object), and
// ordinary ones, each in several cases.
const names = fc.constantFrom(
  'x-api-key',
  'X-Api-Key',
  'authorization',
  'Authorization',
  'content-type',
  'user-agent',
  'set-cookie',
  'Set-Cookie',
  'cookie',
  'x-forwarded-for',
  'constructor',
  '__proto__',
  'toString',
  '123',
  '7',
  'x-a',
  'X-B',
  'accept',
);
const values = fc.stringMatching(/^[!-~]([ -~]{0,10}[!-~])?$/);

describe('nodeHeaderRecord', () => {
  it('is toHeaderRecord(rawHeaders) for any request: names, values and order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(names, values), { maxLength: 8 }), async (headers) => {
        const got = await exchange(headers);
        expect(got.fast).toEqual(got.raw);
        expect(got.fastKeys).toEqual(got.rawKeys);
      }),
      { numRuns: 120 },
    );
  });

  it('reads the raw headers when code before the gateway edited req.headers', async () => {
    const cases: ((h: Record<string, unknown>) => void)[] = [
      (h) => void (h['x-api-key'] = 'replaced'),
      (h) => void delete h['x-api-key'],
      (h) => void (h['x-added'] = 'added'),
      (h) => {
        // Renamed to a name of the same length, same value and number of names: it moves to the end, out of the raw order.
        const v = h['x-api-key'];
        delete h['x-api-key'];
        h['x-api-kez'] = typeof v === 'string' ? `${v}` : v;
      },
    ];
    for (const change of cases) {
      edit = change;
      try {
        const got = await exchange([
          ['X-Api-Key', 'secret'],
          ['Accept', '*/*'],
        ]);
        expect(got.fast).toEqual(got.raw);
        expect(got.fast['x-api-key']).toBe('secret');
      } finally {
        edit = null;
      }
    }
  });
});
