/**
 * The relay's response head as a flat list (src/pipeline/headers.ts `endToEndPairs`, issue 18):
 * the same fields, in the same order, as the record `endToEndHeaders` builds, or null where a
 * Connection field may name fields to drop (the record path then decides). Then, through a real
 * gateway and upstream, what a client receives on each path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { endToEndHeaders, endToEndPairs, HOP_BY_HOP_HEADERS, type HeaderRecord } from '../src/pipeline/headers.js';
import { startGateway } from './support/gateway.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { rawRequest, startServer } from './support/servers.js';

const track = closeAfterEachAndCheckSockets();

/** A head as undici parses it: lower-case names, a string or (repeated field) a list of strings. */
const names = fc.oneof(
  fc.constantFrom(...HOP_BY_HOP_HEADERS, 'content-type', 'content-length', 'set-cookie', 'x-custom', 'close', 'date', ':status'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
);
const values = fc.oneof(fc.constantFrom('keep-alive', 'close', 'Keep-Alive', 'x-custom', 'x-custom, close', 'a=1'), fc.stringMatching(/^[ -~]{0,20}$/));
const heads = fc.dictionary(names, fc.oneof(values, fc.array(values, { minLength: 2, maxLength: 3 })), { maxKeys: 12 });

const flatten = (record: HeaderRecord): (string | string[])[] => Object.entries(record).flat(1);

describe('endToEndPairs', () => {
  it('holds what endToEndHeaders holds, in its order, whenever it answers', () => {
    fc.assert(
      fc.property(heads, (head) => {
        const pairs = endToEndPairs(head);
        if (pairs !== null) expect(pairs).toEqual(flatten(endToEndHeaders(head)));
      }),
      { numRuns: 1_000 },
    );
  });

  it('answers for every head whose Connection is absent or `keep-alive` and has no Proxy-Connection', () => {
    fc.assert(
      fc.property(heads, fc.boolean(), (head, keepAlive) => {
        const h = { ...head };
        delete h['proxy-connection'];
        if (keepAlive) h['connection'] = 'keep-alive';
        else delete h['connection'];
        expect(endToEndPairs(h)).toEqual(flatten(endToEndHeaders(h)));
      }),
      { numRuns: 500 },
    );
  });

  it('leaves any other Connection value to the record path', () => {
    expect(endToEndPairs({ connection: 'close', close: 'x', a: '1' })).toBeNull();
    expect(endToEndPairs({ connection: 'x-drop', 'x-drop': '1' })).toBeNull();
    expect(endToEndPairs({ connection: ['keep-alive', 'keep-alive'] })).toBeNull();
    expect(endToEndPairs({ 'proxy-connection': 'keep-alive' })).toBeNull();
  });
});

describe('the relayed head through a gateway', () => {
  it('relays end-to-end fields in order, repeated Set-Cookie lines, no hop-by-hop field (list path)', async () => {
    const up = await track(
      startServer((_req, res) => {
        res.setHeader('x-first', '1');
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
        res.setHeader('keep-alive', 'timeout=77');
        res.setHeader('x-last', 'z');
        res.end('ok');
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    const res = await rawRequest(gw.url, { path: '/x' });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('ok');
    const got = res.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(got.slice(0, 4)).toEqual(['x-first', 'set-cookie', 'set-cookie', 'x-last']);
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    // The upstream's keep-alive parameters are its own connection's, not the client's.
    expect(res.headers['keep-alive']).not.toBe('timeout=77');
  });

  it('drops the fields an upstream Connection names (record path)', async () => {
    const up = await track(
      startServer((_req, res) => {
        // Node sends `Connection: x-drop` as given (and closes the upstream connection after).
        res.setHeader('connection', 'x-drop');
        res.setHeader('x-drop', 'secret');
        res.setHeader('x-keep', 'yes');
        res.end('ok');
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    const res = await rawRequest(gw.url, { path: '/x' });
    expect(res.status).toBe(200);
    expect(res.headers['x-drop']).toBeUndefined();
    expect(res.headers['x-keep']).toBe('yes');
  });
});
