/**
 * The fetch-standard handler's `upgrade` option (issue 19: "uses the platform's upgrade API
 * where one exists, behind an option"): a routed `Upgrade: websocket` GET whose policies pass is
 * handed to the host's hook with the upstream URL and headers the route builds, and the hook's
 * `Response` is the answer; a refused one never reaches it; without the option the documented
 * answer stays (forwarded as a plain request). The hook is the host's code, so the tests pass a
 * real function; one of them opens a real WebSocket to the target it is given (a `ws` echo
 * server on 127.0.0.1), as a Deno or Bun host would bridge to it.
 */
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { compile, createFetchHandler, createRuntimeRouter, createUndiciTransport, type AccessLogEntry } from '../src/index.js';
import type { FetchHandlerOptions, FetchUpgradeTarget } from '../src/proxy/fetch-handler.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { keyHash } from './support/policies.js';
import { closed, nextMessage, startWsEcho } from './support/ws.js';

const track = closeAfterEachAndCheckSockets();

const HANDSHAKE = {
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-protocol': 'chat.v2',
};

interface Call {
  request: Request;
  target: FetchUpgradeTarget;
}

/** A fetch handler over `routes` whose upgrade hook records its calls and answers with `answer`. */
async function handlerFor(
  routes: Record<string, unknown>,
  options: Omit<FetchHandlerOptions, 'router'> = {},
  answer: (call: Call) => Response | Promise<Response> = () => new Response('hooked', { status: 200 }),
) {
  const calls: Call[] = [];
  const log: AccessLogEntry[] = [];
  const undici = createUndiciTransport();
  await track({ close: () => undici.close(100) });
  const handler = createFetchHandler({
    transport: undici,
    fallthrough: false,
    onRequest: (e) => log.push(e),
    upgrade: (request, target) => {
      calls.push({ request, target });
      return answer({ request, target });
    },
    ...options,
    router: compile(routes as never, { backend: 'js' }),
  });
  await track({ close: async () => handler.close?.() });
  return { handler, calls, log };
}

describe('the upgrade hook of the fetch handler', () => {
  it('gets the original Request, the built target URL (mount rule, placeholders, query) and the forwarded headers; its Response is the answer as it is', async () => {
    // Not rebuilt: a platform's 101 (Deno's) could not be, `new Response` takes 200-599 only.
    const platformAnswer = new Response('hooked', { status: 200, headers: { 'x-platform': 'yes' } });
    const { handler, calls, log } = await handlerFor({ '/rooms/:room/live': 'http://10.9.8.7:9000/v2/:room/socket' }, {}, () => platformAnswer);
    const request = new Request('http://gw.test/rooms/lobby/live?since=5', { headers: { ...HANDSHAKE, 'x-forwarded-for': '203.0.113.9', 'x-client': 'a' } });
    const response = await handler(request, { clientAddress: '198.51.100.7' });
    expect(response).toBe(platformAnswer);
    expect(calls).toHaveLength(1);
    const { request: seen, target } = calls[0]!;
    expect(seen).toBe(request);
    expect(target.url).toBe('http://10.9.8.7:9000/v2/lobby/socket?since=5');
    expect(target.webSocketUrl).toBe('ws://10.9.8.7:9000/v2/lobby/socket?since=5');
    expect(target.route).toBe('/rooms/:room/live');
    const h: Record<string, string> = {};
    target.headers.forEach((value, name) => (h[name] = value));
    expect(h.host).toBe('10.9.8.7:9000');
    expect(h['x-forwarded-host']).toBe('gw.test');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-for']).toBe('203.0.113.9, 198.51.100.7');
    expect(h['sec-websocket-key']).toBe(HANDSHAKE['sec-websocket-key']);
    expect(h['sec-websocket-protocol']).toBe('chat.v2');
    expect(h['x-client']).toBe('a');
    // Hop-by-hop: the host's platform makes its own handshake.
    expect(h.connection).toBeUndefined();
    expect(h.upgrade).toBeUndefined();
    expect(log).toEqual([expect.objectContaining({ route: '/rooms/:room/live', status: 200, target: 'http://10.9.8.7:9000/v2/:room/socket' })]);
  });

  it('the target it is given reaches the upstream: a hook that bridges to it gets the echo back', async () => {
    const up = await track(startWsEcho());
    const { handler } = await handlerFor({ '/ws/*': up.url }, {}, async ({ target }) => {
      // What a Deno/Bun host does after accepting the client: open the upstream side.
      const forwarded: Record<string, string> = {};
      target.headers.forEach((value, name) => {
        if (name.startsWith('x-forwarded-')) forwarded[name] = value;
      });
      const ws = new WebSocket(target.webSocketUrl, { headers: forwarded });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send('through the hook');
      const echoed = (await nextMessage(ws)).data.toString();
      const done = closed(ws);
      ws.close();
      await done;
      return new Response(echoed);
    });
    const response = await handler(new Request('http://gw.test/ws/chat?room=1', { headers: HANDSHAKE }), { clientAddress: '127.0.0.1' });
    expect(await response!.text()).toBe('through the hook');
    expect(up.handshakes[0]!.url).toBe('/chat?room=1');
    expect(up.handshakes[0]!.headers['x-forwarded-host']).toBe('gw.test');
  });

  it('runs the policies first: a refused key never calls the hook; a passed one reaches it without the credential, with the RateLimit headers to send', async () => {
    const { handler, calls } = await handlerFor(
      {
        '/ws/*': {
          target: 'http://10.9.8.7:9000',
          auth: { type: 'apiKey', keys: [await keyHash('k1')] },
          rateLimit: { requests: 5, per: '1m' },
          responseHeaders: { set: { 'x-gw': '1' } },
        },
      },
      { clock: () => 1_000_000 },
    );
    for (const key of [undefined, 'wrong']) {
      const refused = await handler(new Request('http://gw.test/ws/x', { headers: key === undefined ? HANDSHAKE : { ...HANDSHAKE, 'x-api-key': key } }), {
        clientAddress: '127.0.0.1',
      });
      expect(refused!.status).toBe(401);
      expect((await refused!.json()).error.code).toBe('unauthorized');
    }
    expect(calls).toHaveLength(0);
    const ok = await handler(new Request('http://gw.test/ws/x', { headers: { ...HANDSHAKE, 'x-api-key': 'k1' } }), { clientAddress: '127.0.0.1' });
    expect(ok!.status).toBe(200);
    expect(calls).toHaveLength(1);
    const { target } = calls[0]!;
    expect(target.headers.has('x-api-key')).toBe(false);
    expect(target.responseHeaders.get('ratelimit-policy')).toBe('"default";q=5;w=60');
    expect(target.responseHeaders.get('ratelimit')).toMatch(/^"default";r=4;t=\d+$/);
    expect(target.responseHeaders.get('x-gw')).toBe('1');
  });

  it('rate-limited handshakes are refused 429 before the hook', async () => {
    const { handler, calls } = await handlerFor({ '/ws/*': { target: 'http://10.9.8.7:9000', rateLimit: { requests: 2, per: '1m', key: 'route' } } }, { clock: () => 1_000_000 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await handler(new Request('http://gw.test/ws/x', { headers: HANDSHAKE })))!.status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    expect(calls).toHaveLength(2);
  });

  it('only WebSocket handshakes go to the hook: another Upgrade token or a POST is forwarded as a plain request', async () => {
    const up = await track(startWsEcho());
    const { handler, calls } = await handlerFor({ '/ws/*': up.url });
    const h2c = await handler(new Request('http://gw.test/ws/x', { headers: { connection: 'Upgrade', upgrade: 'h2c' } }));
    expect(h2c!.status).toBe(426);
    await h2c!.arrayBuffer();
    const post = await handler(new Request('http://gw.test/ws/x', { method: 'POST', body: 'x', headers: HANDSHAKE }));
    expect(post!.status).toBe(426);
    await post!.arrayBuffer();
    expect(calls).toHaveLength(0);
    // Token lists and case: `Upgrade: foo, WebSocket` is a WebSocket handshake.
    const listed = await handler(new Request('http://gw.test/ws/x', { headers: { ...HANDSHAKE, upgrade: 'foo, WebSocket' } }));
    expect(await listed!.text()).toBe('hooked');
    expect(calls).toHaveLength(1);
  });

  it('without the option: the documented answer, the upstream answer to a plain request (the upgrade headers are hop-by-hop)', async () => {
    const up = await track(startWsEcho());
    const undici = createUndiciTransport();
    await track({ close: () => undici.close(100) });
    const handler = createFetchHandler({ router: compile({ '/ws/*': up.url }, { backend: 'js' }), transport: undici });
    const response = await handler(new Request('http://gw.test/ws/x', { headers: HANDSHAKE }));
    expect(response!.status).toBe(426);
    expect(await response!.text()).toBe('upgrade required');
    expect(up.handshakes).toHaveLength(0);
  });

  it('a hook that throws is a 502 upstream-error JSON; an IP-literal private target under blockPrivateNetworks is 502 outbound-blocked without calling it', async () => {
    const throwing = await handlerFor({ '/ws/*': 'http://10.9.8.7:9000' }, {}, () => {
      throw new Error('platform said no');
    });
    const failed = await throwing.handler(new Request('http://gw.test/ws/x', { headers: HANDSHAKE }));
    expect(failed!.status).toBe(502);
    expect((await failed!.json()).error.code).toBe('upstream-error');
    expect(throwing.log[0]).toMatchObject({ status: 502, error: 'upstream-error' });

    const blocked = await handlerFor({ '/ws/*': 'http://127.0.0.1:9' }, { blockPrivateNetworks: true });
    const answer = await blocked.handler(new Request('http://gw.test/ws/x', { headers: HANDSHAKE }));
    expect(answer!.status).toBe(502);
    expect((await answer!.json()).error.code).toBe('outbound-blocked');
    expect(blocked.calls).toHaveLength(0);
  });

  it('a multi-target route: the balancer picks the target of each handshake (smooth weighted round-robin)', async () => {
    const { handler, calls } = await handlerFor({ '/ws/*': { targets: ['http://10.0.0.1:1', 'http://10.0.0.2:2'] } });
    for (let i = 0; i < 4; i++) await handler(new Request('http://gw.test/ws/x', { headers: HANDSHAKE }));
    expect(calls.map((c) => new URL(c.target.url).host)).toEqual(['10.0.0.1:1', '10.0.0.2:2', '10.0.0.1:1', '10.0.0.2:2']);
  });
});

describe('the upgrade hook of the runtime router', () => {
  it("a function's routed handshake reaches the host's hook with its target; a plain request is proxied; an unrouted one falls through", async () => {
    const up = await track(startWsEcho());
    const undici = createUndiciTransport();
    await track({ close: () => undici.close(100) });
    const calls: FetchUpgradeTarget[] = [];
    const runtime = createRuntimeRouter({
      loadRoutes: () => ({ '/ws/*': up.url }),
      blockPrivateNetworks: false,
      transport: undici,
      upgrade: (_request, target) => {
        calls.push(target);
        return new Response('hooked');
      },
    });
    await track({ close: () => runtime.close() });
    const hooked = await runtime.handleRequest('fn-1', new Request('http://fn.test/ws/room?x=1', { headers: HANDSHAKE }));
    expect(await hooked!.text()).toBe('hooked');
    expect(calls.map((t) => t.webSocketUrl)).toEqual([`${up.url.replace('http:', 'ws:')}/room?x=1`]);
    // Not a handshake: proxied as any request (the echo server answers plain requests 426).
    const plain = await runtime.handleRequest('fn-1', new Request('http://fn.test/ws/room'));
    expect(plain!.status).toBe(426);
    await plain!.arrayBuffer();
    expect(await runtime.handleRequest('fn-1', new Request('http://fn.test/other', { headers: HANDSHAKE }))).toBeNull();
    expect(calls).toHaveLength(1);
  });
});
