/**
 * WebSocket proxying in the hosts other than the gateway: the Node functions runtime
 * (`handleNodeUpgrade`), the Fastify plugin (`websocket: true`) and the Express middleware
 * (`.upgrade` on the server), each against a real `ws` upstream and real framework servers.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createExpressMiddleware, createFastifyPlugin, createNodeRuntimeRouter } from '../src/index.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { startServer } from './support/servers.js';
import { closed, nextMessage, openWs, refusedHandshake, startWsEcho } from './support/ws.js';

const track = closeAfterEachAndCheckSockets();

async function echoOnce(url: string): Promise<string> {
  const ws = await openWs(url);
  ws.send('ping-through');
  const back = (await nextMessage(ws)).data.toString();
  const done = closed(ws);
  ws.close(1000);
  await done;
  return back;
}

describe('the Node functions runtime', () => {
  it("proxies an upgrade the function's table takes, lets the function take the others", async () => {
    const up = await track(startWsEcho());
    const runtime = createNodeRuntimeRouter({ blockPrivateNetworks: false, loadRoutes: async () => ({ '/live/*': up.url }) });
    await track({ close: () => runtime.close() });
    const server = await track(startServer((_req, res) => res.end('function')));
    // The function's own WebSocket server, for what the table does not take.
    const own = new WebSocketServer({ noServer: true });
    await track({ close: () => new Promise<void>((r) => own.close(() => r())) });
    own.on('connection', (ws) => ws.on('message', (m: Buffer) => ws.send(`own:${m.toString()}`)));
    server.server.on('upgrade', (req, socket, head) => {
      void runtime.handleNodeUpgrade('fn', req, socket, head).then((proxied) => {
        if (!proxied) own.handleUpgrade(req, socket, head, (ws) => own.emit('connection', ws, req));
      });
    });
    const base = `ws://127.0.0.1:${server.port}`;
    expect(await echoOnce(`${base}/live/feed`)).toBe('ping-through');
    expect(up.handshakes[0]!.url).toBe('/feed');
    expect(await echoOnce(`${base}/mine`)).toBe('own:ping-through');
  });

  it('applies the outbound policy (on by default in the runtime): a loopback target is refused 502', async () => {
    const up = await track(startWsEcho());
    const runtime = createNodeRuntimeRouter({ loadRoutes: async () => ({ '/live/*': up.url }) });
    await track({ close: () => runtime.close() });
    const server = await track(startServer((_req, res) => res.end('function')));
    server.server.on('upgrade', (req, socket, head) => void runtime.handleNodeUpgrade('fn', req, socket, head));
    const res = await refusedHandshake(`ws://127.0.0.1:${server.port}/live/x`);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).error.code).toBe('outbound-blocked');
    expect(up.handshakes).toHaveLength(0);
  });
});

describe('the Fastify plugin with websocket: true', () => {
  it('proxies upgrades the table takes and answers 404 on the socket for the others', async () => {
    const up = await track(startWsEcho());
    const app = Fastify();
    await app.register(createFastifyPlugin({ routes: { '/ws/*': up.url }, websocket: true }));
    app.get('/health', async () => ({ ok: true }));
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    await track({ close: () => app.close() });
    const base = origin.replace('http:', 'ws:');
    expect(await echoOnce(`${base}/ws/room`)).toBe('ping-through');
    expect(up.handshakes[0]!.url).toBe('/room');
    const refused = await refusedHandshake(`${base}/health`);
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.body).error.code).toBe('route-not-found');
    // Plain requests still reach the app.
    const health = await fetch(`${origin}/health`);
    expect(await health.json()).toEqual({ ok: true });
  });

  it('leaves upgrades it does not take to another upgrade listener on the server', async () => {
    const up = await track(startWsEcho());
    const app = Fastify();
    await app.register(createFastifyPlugin({ routes: { '/ws/*': up.url }, websocket: true }));
    const own = new WebSocketServer({ noServer: true });
    own.on('connection', (ws) => ws.on('message', (m: Buffer) => ws.send(`app:${m.toString()}`)));
    app.server.on('upgrade', (req, socket, head) => {
      if (req.url?.startsWith('/app-ws')) own.handleUpgrade(req, socket, head, (ws) => own.emit('connection', ws, req));
    });
    const origin = await app.listen({ port: 0, host: '127.0.0.1' });
    await track({ close: async () => (await new Promise<void>((r) => own.close(() => r())), await app.close()) });
    const base = origin.replace('http:', 'ws:');
    expect(await echoOnce(`${base}/ws/x`)).toBe('ping-through');
    expect(await echoOnce(`${base}/app-ws`)).toBe('app:ping-through');
  });
});

describe('the Express middleware', () => {
  it('proxies upgrades through `.upgrade` registered on the server', async () => {
    const up = await track(startWsEcho());
    const mw = createExpressMiddleware({ routes: { '/ws/*': up.url } });
    const app = express();
    app.use(mw);
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    server.on('upgrade', mw.upgrade);
    await track({
      close: async () => {
        await mw.close();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      },
    });
    const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await echoOnce(`${base}/ws/a?b=1`)).toBe('ping-through');
    expect(up.handshakes[0]!.url).toBe('/a?b=1');
    expect((await refusedHandshake(`${base}/other`)).status).toBe(404);
  });
});
