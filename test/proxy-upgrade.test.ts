/**
 * WebSocket (any `Upgrade`) proxying through the Node gateway, against real `ws` servers and
 * clients on 127.0.0.1: the same routing step and upstream request rules as HTTP, refusals
 * relayed, both directions piped, closes propagated, idle timeout, and no socket left open
 * after any test (test/support/leaks.ts).
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { compile, createNodeProxy } from '../src/index.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { closedPort, eventually, parseRawResponse, rawExchange, startServer } from './support/servers.js';
import { closed, nextMessage, openWs, refusedHandshake, startUpgradeGateway, startWsEcho } from './support/ws.js';

const track = closeAfterEachAndCheckSockets();

async function setup(pattern = '/ws/*', target?: (url: string) => string, options: Parameters<typeof startUpgradeGateway>[1] = {}) {
  const up = await track(startWsEcho());
  const gw = await track(startUpgradeGateway({ [pattern]: target ? target(up.url) : up.url }, options));
  return { up, gw };
}

/** A raw upgrade request (exactly as written), for answers a WebSocket client hides. */
function upgradeRequest(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: gw.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;
}

describe('the upgrade request goes through the routing step and the upstream request rules', () => {
  it('echoes text and binary messages, forwarded by the mount rule with the query and X-Forwarded-*', async () => {
    const { up, gw } = await setup();
    const ws = await openWs(`${gw.wsUrl}/ws/chat/room?id=7&x=%20y`, undefined, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    ws.send('hello');
    const text = await nextMessage(ws);
    expect(text).toEqual({ data: Buffer.from('hello'), isBinary: false });
    const bytes = Buffer.from([0, 1, 2, 255, 254, 0]);
    ws.send(bytes);
    const binary = await nextMessage(ws);
    expect(binary.isBinary).toBe(true);
    expect(binary.data.equals(bytes)).toBe(true);

    const hs = up.handshakes[0]!;
    expect(hs.url).toBe('/chat/room?id=7&x=%20y');
    expect(hs.headers.host).toBe(`127.0.0.1:${up.port}`);
    expect(hs.headers['x-forwarded-host']).toBe(`127.0.0.1:${gw.port}`);
    expect(hs.headers['x-forwarded-proto']).toBe('http');
    expect(hs.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(hs.headers.connection?.toLowerCase()).toBe('upgrade');
    expect(hs.headers.upgrade).toBe('websocket');
    expect(hs.headers['sec-websocket-version']).toBe('13');
    expect(gw.log).toEqual([expect.objectContaining({ method: 'GET', route: '/ws/*', status: 101, upstreamStatus: 101 })]);
    ws.close();
    await closed(ws);
  });

  it('fills target placeholders and relays the negotiated subprotocol', async () => {
    const up = await track(startWsEcho({ handleProtocols: (p) => (p.has('chat.v2') ? 'chat.v2' : false) }));
    const gw = await track(startUpgradeGateway({ '/rooms/:room/live': `${up.url}/v2/:room/socket` }));
    const ws = await openWs(`${gw.wsUrl}/rooms/lobby/live`, ['chat.v1', 'chat.v2']);
    expect(ws.protocol).toBe('chat.v2');
    expect(up.handshakes[0]!.url).toBe('/v2/lobby/socket');
    ws.close();
    await closed(ws);
  });

  it('passes a 10 MB message both ways intact', async () => {
    const { gw } = await setup();
    const ws = await openWs(`${gw.wsUrl}/ws/big`);
    const big = randomBytes(10 * 1024 * 1024);
    ws.send(big);
    const back = await nextMessage(ws);
    expect(back.data.length).toBe(big.length);
    expect(back.data.equals(big)).toBe(true);
    ws.close();
    await closed(ws);
  });

  it('law: any sequence of text and binary messages comes back intact and in order', async () => {
    const { gw } = await setup();
    const ws = await openWs(`${gw.wsUrl}/ws/law`);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.uint8Array({ maxLength: 70_000 }), fc.string({ maxLength: 300 })), { minLength: 1, maxLength: 12 }), async (messages) => {
        const back: { data: Buffer; isBinary: boolean }[] = [];
        const all = new Promise<void>((resolve) => {
          const onMessage = (data: Buffer, isBinary: boolean): void => {
            back.push({ data, isBinary });
            if (back.length === messages.length) {
              ws.off('message', onMessage);
              resolve();
            }
          };
          ws.on('message', onMessage);
        });
        for (const m of messages) ws.send(m, { binary: typeof m !== 'string' });
        await all;
        expect(back).toEqual(messages.map((m) => ({ data: Buffer.from(m), isBinary: typeof m !== 'string' })));
      }),
      { numRuns: 25 },
    );
    ws.close();
    await closed(ws);
  });

  it('relays ping and pong frames', async () => {
    const { up, gw } = await setup();
    const ws = await openWs(`${gw.wsUrl}/ws/p`);
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
    ws.ping(Buffer.from('are-you-there'));
    expect((await pong).toString()).toBe('are-you-there');
    // And the other way: a ping from the upstream is answered by the client.
    const serverSide = [...up.clients()][0]!;
    const serverPong = new Promise<Buffer>((resolve) => serverSide.once('pong', resolve));
    serverSide.ping(Buffer.from('from-upstream'));
    expect((await serverPong).toString()).toBe('from-upstream');
    ws.close();
    await closed(ws);
  });

  it('passes close codes and reasons both ways', async () => {
    const { up, gw } = await setup();
    // Client closes: the upstream sees its code and reason.
    const a = await openWs(`${gw.wsUrl}/ws/a`);
    await eventually(() => up.clients().size === 1);
    const serverSide = [...up.clients()][0]!;
    const serverClosed = new Promise<{ code: number; reason: string }>((resolve) => serverSide.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    a.close(4001, 'client-bye');
    expect(await serverClosed).toEqual({ code: 4001, reason: 'client-bye' });
    expect(await closed(a)).toEqual({ code: 4001, reason: 'client-bye' });
    // Upstream closes: the client sees its code and reason.
    const b = await openWs(`${gw.wsUrl}/ws/b`);
    b.send('close:4002');
    expect(await closed(b)).toEqual({ code: 4002, reason: 'bye' });
    await eventually(() => up.clients().size === 0, 2_000, 'the upstream sockets to close');
  });

  it('carries 1,000 concurrent connections, every message echoed', async () => {
    const { up, gw } = await setup();
    const sockets = await Promise.all(Array.from({ length: 1_000 }, (_, i) => openWs(`${gw.wsUrl}/ws/n/${i}`)));
    expect(up.clients().size).toBe(1_000);
    let echoed = 0;
    await Promise.all(
      sockets.map(async (ws, i) => {
        for (let k = 0; k < 3; k++) {
          const reply = nextMessage(ws);
          ws.send(`m-${i}-${k}`);
          if ((await reply).data.toString() === `m-${i}-${k}`) echoed++;
        }
      }),
    );
    expect(echoed).toBe(3_000);
    await Promise.all(
      sockets.map((ws) => {
        const done = closed(ws);
        ws.close(1000);
        return done;
      }),
    );
    await eventually(() => up.clients().size === 0, 5_000, 'every upstream socket to close');
  }, 60_000);
});

describe("a route's targets and balancer pick the upstream of each new connection", () => {
  it('smooth weighted round-robin over two echo servers, as for HTTP requests', async () => {
    const a = await track(startWsEcho());
    const b = await track(startWsEcho());
    const gw = await track(startUpgradeGateway(compile({ '/ws/*': { targets: [a.url, { url: b.url, weight: 3 }] } }, { backend: 'js' })));
    for (let i = 0; i < 8; i++) {
      const ws = await openWs(`${gw.wsUrl}/ws/n${i}`);
      ws.close();
      await closed(ws);
    }
    // Smooth weighted round-robin, 1:3, over 8 connections: exactly 2 and 6.
    expect([a.handshakes.length, b.handshakes.length]).toEqual([2, 6]);
  });
});

describe('one side going away closes the other', () => {
  it('upstream killed mid-session: the client sees an abnormal close (1006)', async () => {
    const { up, gw } = await setup();
    const ws = await openWs(`${gw.wsUrl}/ws/k`);
    ws.send('x');
    await nextMessage(ws);
    for (const c of up.clients()) c.terminate(); // the upstream's TCP connection dies, no close frame
    expect((await closed(ws)).code).toBe(1006);
  });

  it('upstream server process gone (server closed with its sockets): the client sees 1006', async () => {
    const up = await startWsEcho();
    const gw = await track(startUpgradeGateway({ '/ws/*': up.url }));
    const ws = await openWs(`${gw.wsUrl}/ws/k`);
    const done = closed(ws);
    await up.close();
    expect((await done).code).toBe(1006);
  });

  it('client gone: the upstream socket is closed', async () => {
    const { up, gw } = await setup();
    const ws = await openWs(`${gw.wsUrl}/ws/c`);
    await eventually(() => up.clients().size === 1);
    const serverSide = [...up.clients()][0]!;
    const serverClosed = new Promise<number>((resolve) => serverSide.once('close', (code) => resolve(code)));
    ws.terminate(); // no close frame: the TCP connection just ends
    expect(await serverClosed).toBe(1006);
    await eventually(() => up.openConnections() === 0, 2_000, 'the upstream TCP connection to close');
  });

  it('closes an idle connection after upgradeIdleTimeout, and keeps one that pings', async () => {
    const { gw } = await setup('/ws/*', undefined, { upgradeIdleTimeout: 300 });
    const idle = await openWs(`${gw.wsUrl}/ws/idle`);
    const busy = await openWs(`${gw.wsUrl}/ws/busy`);
    const idleClosed = closed(idle);
    const timer = setInterval(() => busy.ping(), 50);
    try {
      // Event-ordered: the idle one is closed by the proxy (no close frame: 1006) while the
      // busy one, which has been open as long, is still open.
      expect((await idleClosed).code).toBe(1006);
      expect(busy.readyState).toBe(WebSocket.OPEN);
      busy.send('still here');
      expect((await nextMessage(busy)).data.toString()).toBe('still here');
    } finally {
      clearInterval(timer);
    }
    busy.close();
    await closed(busy);
  });

  it('closing the gateway closes its upgraded connections', async () => {
    const up = await track(startWsEcho());
    const gw = await startUpgradeGateway({ '/ws/*': up.url });
    const ws = await openWs(`${gw.wsUrl}/ws/x`);
    const done = closed(ws);
    await gw.close();
    expect((await done).code).toBe(1006);
    await eventually(() => up.clients().size === 0, 2_000, 'the upstream side to close');
  });
});

describe('refusals are answered on the socket as HTTP/1.1 with a JSON body', () => {
  it('no route: 404 route-not-found, and no upstream connection', async () => {
    const { up, gw } = await setup();
    const res = await refusedHandshake(`${gw.wsUrl}/elsewhere`);
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'route-not-found', message: 'No route matches this path' }, route: null });
    expect(up.connections()).toBe(0);
    expect(gw.log).toEqual([expect.objectContaining({ status: 404, route: null, error: 'route-not-found' })]);
  });

  it("a path that cannot be routed: 400 / 414 with the pipeline's codes, and no upstream connection", async () => {
    const { up, gw } = await setup();
    const bad = parseRawResponse(await rawExchange(gw.port, upgradeRequest('/ws/a%2Fb')));
    expect(bad.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(bad.headers).toContainEqual(['connection', 'close']);
    expect(JSON.parse(bad.body).error.code).toBe('encoded-slash');
    const long = parseRawResponse(await rawExchange(gw.port, upgradeRequest('/ws/' + 'a'.repeat(9_000))));
    expect(long.statusLine).toBe('HTTP/1.1 414 URI Too Long');
    expect(up.connections()).toBe(0);
  });

  it('an upstream that refuses the upgrade gets its answer relayed (status, headers, body)', async () => {
    const up = await track(
      startServer((req, res) => {
        res.writeHead(403, { 'content-type': 'text/plain', 'x-why': 'no-token' });
        res.end(`forbidden ${req.url}`);
      }),
    );
    up.server.on('upgrade', (_req, socket) => {
      socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\nwww-authenticate: Bearer\r\ncontent-length: 12\r\n\r\nno token, no');
    });
    const gw = await track(startUpgradeGateway({ '/ws/*': up.url }));
    const res = await refusedHandshake(`${gw.wsUrl}/ws/secret`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).toBe('no token, no');
    expect(gw.log).toEqual([expect.objectContaining({ status: 401, upstreamStatus: 401 })]);
  });

  it('an upstream that answers a plain 200 (no WebSocket there): relayed, and the client handshake fails cleanly', async () => {
    const up = await track(startServer((_req, res) => res.end('just http')));
    const gw = await track(startUpgradeGateway({ '/ws/*': up.url }));
    const res = await refusedHandshake(`${gw.wsUrl}/ws/x`);
    expect(res.status).toBe(200);
    expect(res.body).toBe('just http');
  });

  it('upstream down: 502 upstream-connection-refused', async () => {
    const port = await closedPort();
    const gw = await track(startUpgradeGateway({ '/ws/*': `http://127.0.0.1:${port}` }));
    const res = await refusedHandshake(`${gw.wsUrl}/ws/x`);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).error.code).toBe('upstream-connection-refused');
  });

  it('outbound policy: a loopback target is refused 502 outbound-blocked, nothing reaches it', async () => {
    const { up, gw } = await setup('/ws/*', undefined, { blockPrivateNetworks: true });
    const res = await refusedHandshake(`${gw.wsUrl}/ws/x`);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).error.code).toBe('outbound-blocked');
    expect(up.handshakes).toHaveLength(0);
  });

  it('connect timeout applies to the upgrade (504 upstream-connect-timeout)', async () => {
    // A lookup that never answers stands in for a connect that never completes.
    const gw = await track(startUpgradeGateway({ '/ws/*': 'http://never.test:80' }, { timeouts: { connect: 100 }, lookup: () => undefined }));
    const res = await refusedHandshake(`${gw.wsUrl}/ws/x`);
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body).error.code).toBe('upstream-connect-timeout');
  });
});

describe('createNodeProxy upgrade listener with next (middleware style)', () => {
  it('leaves an upgrade no route takes to the next listener, untouched', async () => {
    const up = await track(startWsEcho());
    const proxy = createNodeProxy({ router: compile({ '/ws/*': up.url }, { backend: 'js' }) });
    const server = await track(startServer((_req, res) => res.end()));
    const own: string[] = [];
    server.server.on('upgrade', (req: http.IncomingMessage, socket, head) =>
      proxy.upgrade(req, socket, head, () => {
        own.push(req.url ?? '');
        socket.end("HTTP/1.1 418 I'm a teapot\r\ncontent-length: 0\r\n\r\n");
      }),
    );
    await track({ close: () => proxy.close() });
    const ws = await openWs(`ws://127.0.0.1:${server.port}/ws/yes`);
    ws.send('hi');
    expect((await nextMessage(ws)).data.toString()).toBe('hi');
    const res = await refusedHandshake(`ws://127.0.0.1:${server.port}/not-mine`);
    expect(res.status).toBe(418);
    expect(own).toEqual(['/not-mine']);
    ws.close();
    await closed(ws);
  });
});
