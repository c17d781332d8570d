/**
 * Faults (SPEC section 8): a client that disconnects aborts the upstream request (the upstream
 * sees the close); an upstream that dies mid-body ends the client's response with an error; and
 * no socket is left open, on either side, after each.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startGateway, startNodeProxy } from './support/gateway.js';
import { eventually, json, rawRequest, startServer } from './support/servers.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';

const track = closeAfterEachAndCheckSockets();

/** A client that reads the first bytes of the response, then hangs up. */
function disconnectAfterFirstByte(port: number, path: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', () => {});
  });
}

/** Resolves with the client's error (or 'ended' if the response ended cleanly). */
function getUntilEnd(port: number, path: string): Promise<{ status: number; bytes: number; outcome: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode!, bytes, outcome: res.complete ? 'ended' : 'incomplete' }));
      res.on('error', (err) => resolve({ status: res.statusCode!, bytes, outcome: `error:${(err as NodeJS.ErrnoException).code ?? err.message}` }));
      res.on('aborted', () => resolve({ status: res.statusCode!, bytes, outcome: 'aborted' }));
    });
    req.on('error', (err) => resolve({ status: 0, bytes: 0, outcome: `request-error:${(err as NodeJS.ErrnoException).code}` }));
  });
}

describe('client disconnects', () => {
  it('mid-response: the upstream sees its request closed, and the log says 499', async () => {
    let upstreamClosed = false;
    const up = await track(
      startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024, 1)), 10);
        res.on('close', () => {
          clearInterval(timer);
          upstreamClosed = true;
        });
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    await disconnectAfterFirstByte(gw.port, '/stream');
    await eventually(() => upstreamClosed, 2_000, 'the upstream to see the close');
    expect(upstreamClosed).toBe(true);
    await eventually(() => up.openConnections() === 0 && gw.openConnections() === 0, 2_000, 'no open connections');
    await eventually(() => gw.log.length === 1);
    expect(gw.log[0]).toMatchObject({ route: '/*', status: 499, upstreamStatus: 200, error: 'client-closed-request' });
  });

  it('before the response headers: the upstream sees its request closed', async () => {
    let received = false;
    let upstreamClosed = false;
    const up = await track(
      startServer((req, res) => {
        received = true;
        res.on('close', () => (upstreamClosed = true)); // never answers
        req.resume();
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    const req = http.get({ host: '127.0.0.1', port: gw.port, path: '/wait', agent: false });
    req.on('error', () => {});
    await eventually(() => received, 2_000, 'the upstream to get the request');
    req.destroy();
    await eventually(() => upstreamClosed, 2_000, 'the upstream to see the close');
    expect(upstreamClosed).toBe(true);
    await eventually(() => up.openConnections() === 0 && gw.openConnections() === 0, 2_000, 'no open connections');
    await eventually(() => gw.log.length === 1);
    expect(gw.log[0]).toMatchObject({ status: 499, error: 'client-closed-request' });
  });

  it('mid-upload: the upstream sees the upload aborted', async () => {
    let got = 0;
    let aborted = false;
    const up = await track(
      startServer((req, res) => {
        req.on('data', (c: Buffer) => (got += c.length));
        req.on('close', () => {
          if (!req.complete) aborted = true;
        });
        req.on('end', () => res.end('complete'));
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    const req = http.request({ host: '127.0.0.1', port: gw.port, method: 'POST', path: '/up', agent: false, headers: { 'content-length': 10_000_000 } });
    req.on('error', () => {});
    req.write(Buffer.alloc(1_000_000, 7));
    await eventually(() => got > 0, 2_000, 'the upstream to receive part of the body');
    req.destroy();
    await eventually(() => aborted, 2_000, 'the upstream to see the abort');
    expect(aborted).toBe(true);
    expect(got).toBeLessThan(10_000_000);
    await eventually(() => up.openConnections() === 0 && gw.openConnections() === 0, 2_000, 'no open connections');
  });
});

describe('upstream dies', () => {
  it('mid-body (content-length): the client response ends with an error, and the gateway keeps serving', async () => {
    const up = await track(
      startServer((req, res) => {
        if (req.url === '/ok') return void res.end('fine');
        res.writeHead(200, { 'content-length': 1_000_000 });
        res.write(Buffer.alloc(100_000, 2), () => setTimeout(() => res.socket!.destroy(), 20));
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    const result = await getUntilEnd(gw.port, '/die');
    expect(result.status).toBe(200);
    expect(result.outcome).not.toBe('ended');
    expect(result.bytes).toBeLessThan(1_000_000);
    await eventually(() => gw.log.length === 1);
    expect(gw.log[0]).toMatchObject({ route: '/*', status: 200, upstreamStatus: 200, error: 'upstream-connection-reset' });
    await eventually(() => up.openConnections() === 0 && gw.openConnections() === 0, 2_000, 'no open connections');
    const next = await rawRequest(gw.url, { path: '/ok' });
    expect(next.status).toBe(200);
    expect(next.body.toString()).toBe('fine');
  });

  it('mid-body (chunked): the client response ends with an error', async () => {
    const up = await track(
      startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial ', () => setTimeout(() => res.socket!.destroy(), 20));
      }),
    );
    const gw = await track(startGateway({ '/*': up.url }));
    const result = await getUntilEnd(gw.port, '/die');
    expect(result.status).toBe(200);
    expect(result.outcome).not.toBe('ended');
    await eventually(() => up.openConnections() === 0 && gw.openConnections() === 0, 2_000, 'no open connections');
  });

  it('before answering: 502 upstream-connection-reset', async () => {
    const up = await track(startServer((req) => req.socket.destroy()));
    const gw = await track(startGateway({ '/api/*': up.url }));
    const res = await rawRequest(gw.url, { path: '/api/x' });
    expect(res.status).toBe(502);
    expect(json(res)).toMatchObject({ error: { code: 'upstream-connection-reset' }, route: '/api/*' });
  });

  it('a malformed response: 502 upstream-invalid-response', async () => {
    const net = await import('node:net');
    const bad = net.createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n'));
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    await track({ close: () => new Promise<void>((r) => bad.close(() => r())) });
    const port = (bad.address() as import('node:net').AddressInfo).port;
    const gw = await track(startGateway({ '/*': `http://127.0.0.1:${port}` }));
    const res = await rawRequest(gw.url, { path: '/' });
    expect(res.status).toBe(502);
    expect(json(res).error.code).toBe('upstream-invalid-response');
  });
});

describe('pools', () => {
  it('holds no connection for an aborted exchange (pool stats)', async () => {
    const up = await track(
      startServer((_req, res) => {
        res.writeHead(200);
        res.write('x');
      }),
    );
    const px = await track(startNodeProxy({ '/*': up.url }));
    await disconnectAfterFirstByte(px.port, '/');
    await eventually(() => up.openConnections() === 0, 2_000, 'the upstream connection to close');
    const stats = px.proxy.agent.stats as Record<string, { connected: number; running: number }>;
    for (const s of Object.values(stats)) {
      expect(s.running).toBe(0);
      expect(s.connected).toBe(0);
    }
  });
});
