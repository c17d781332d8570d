/**
 * Streaming responses stay streaming (issue 19): Server-Sent Events and long-polling through the
 * Node gateway, against real servers on 127.0.0.1. Ordering is by events, not timing: the
 * upstream produces event i+1 only after the client has received event i, so a proxy that held
 * back any chunk would stall the stream (and fail the test) instead of just slowing it.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startGateway } from './support/gateway.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { eventually, sleep, startServer } from './support/servers.js';

const track = closeAfterEachAndCheckSockets();
process.on('uncaughtException', (e) => console.log('UNCAUGHT', e.stack));

/** An SSE upstream whose events the test releases one by one. */
async function sseUpstream() {
  let stream: http.ServerResponse | null = null;
  let connected!: () => void;
  const ready = new Promise<void>((r) => (connected = r));
  const produced: number[] = [];
  const server = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    stream = res;
    connected();
    req.on('close', () => (stream = null));
  });
  return {
    server,
    ready,
    produced,
    send(i: number) {
      produced.push(i);
      stream!.write(`id: ${i}\nevent: tick\ndata: {"n":${i}}\n\n`);
    },
    end() {
      stream?.end();
    },
    close: () => server.close(),
  };
}

/** A client reading an event stream: `next()` resolves with the next complete event's text. */
function sseClient(url: string, headers: http.OutgoingHttpHeaders = {}) {
  const events: string[] = [];
  const waiting: ((e: string) => void)[] = [];
  let buffer = '';
  let response!: http.IncomingMessage;
  const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers }, agent: false });
  const opened = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('response', (res) => {
      response = res;
      // An aborted stream is reported through `ended()`; the error event itself is expected.
      res.on('error', () => undefined);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const w = waiting.shift();
          if (w) w(event);
          else events.push(event);
        }
      });
      resolve(res);
    });
    req.on('error', reject);
  });
  opened.catch(() => undefined);
  return {
    opened,
    next: () => new Promise<string>((resolve) => (events.length > 0 ? resolve(events.shift()!) : waiting.push(resolve))),
    ended: () => new Promise<{ complete: boolean }>((resolve) => response.once('close', () => resolve({ complete: response.complete }))),
    close: () => req.destroy(),
  };
}

describe('Server-Sent Events through the gateway', () => {
  it('delivers each event before the next is produced, for longer than the body idle timeout, without compression', async () => {
    const up = await track(sseUpstream());
    const bodyIdle = 400;
    const gw = await track(startGateway({ '/events/*': up.server.url }, { timeouts: { bodyIdle } }));
    const client = sseClient(`${gw.url}/events/feed`, { 'accept-encoding': 'gzip, br' });
    await track({ close: async () => void client.close() });
    const res = await client.opened;
    await up.ready;
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.headers['content-length']).toBeUndefined();

    const started = performance.now();
    const N = 12;
    for (let i = 0; i < N; i++) {
      up.send(i);
      // Nothing more is produced until this event is in the client's hands.
      expect(await client.next()).toBe(`id: ${i}\nevent: tick\ndata: {"n":${i}}`);
      expect(up.produced).toEqual(Array.from({ length: i + 1 }, (_, k) => k));
      await sleep(bodyIdle / 4); // gaps well inside the idle timeout
    }
    // The stream lived longer than the idle timeout (three times over) and was never cut.
    expect(performance.now() - started).toBeGreaterThan(bodyIdle * 2.5);
    const ended = client.ended();
    up.end();
    expect(await ended).toEqual({ complete: true });
  });

  it('a stream that goes silent for longer than the body idle timeout is cut (the timeout still guards)', async () => {
    const up = await track(sseUpstream());
    const gw = await track(startGateway({ '/events/*': up.server.url }, { timeouts: { bodyIdle: 200 } }));
    const client = sseClient(`${gw.url}/events/feed`);
    await track({ close: async () => void client.close() });
    // The head arrives before any event (flushed at once for text/event-stream).
    await client.opened;
    await up.ready;
    up.send(1);
    await client.next();
    expect(await client.ended()).toEqual({ complete: false });
    await eventually(() => gw.log.length === 1, 2_000, 'the access-log entry');
    expect(gw.log).toEqual([expect.objectContaining({ status: 200, error: 'upstream-timeout' })]);
  });
});

describe('long-polling through the gateway', () => {
  it('waits for an upstream that answers late (within the headers timeout), then relays the answer', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const waiting = new Promise<void>((r) => (arrived = r));
    const up = await track(
      startServer((_req, res) => {
        arrived();
        void held.then(() => res.end('{"messages":["hi"]}'));
      }),
    );
    const gw = await track(startGateway({ '/poll/*': up.url }, { timeouts: { headers: 5_000, bodyIdle: 100 } }));
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get(`${gw.url}/poll/inbox`, { agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        })
        .on('error', reject);
    });
    await waiting;
    await sleep(300); // longer than bodyIdle: a request waiting for its head is not cut by it
    release();
    expect(await answer).toEqual({ status: 200, body: '{"messages":["hi"]}' });
  });

  it('a chunked long-poll response: each chunk reaches the client as the upstream writes it', async () => {
    let res!: http.ServerResponse;
    let opened!: () => void;
    const ready = new Promise<void>((r) => (opened = r));
    const up = await track(
      startServer((_req, r) => {
        res = r;
        r.writeHead(200, { 'content-type': 'application/json' });
        r.write('[');
        opened();
      }),
    );
    const gw = await track(startGateway({ '/poll/*': up.url }));
    const chunks: string[] = [];
    let onChunk: (() => void) | null = null;
    const req = http.get(`${gw.url}/poll/x`, { agent: false }, (r) => {
      r.on('data', (c: Buffer) => {
        chunks.push(c.toString());
        onChunk?.();
      });
    });
    await track({ close: async () => void req.destroy() });
    const nextChunk = () => new Promise<void>((r) => (onChunk = r));
    await ready;
    if (chunks.length === 0) await nextChunk();
    expect(chunks.join('')).toBe('[');
    for (const part of ['1', ',2', ',3']) {
      const got = nextChunk();
      res.write(part);
      await got;
      expect(chunks.at(-1)).toBe(part);
    }
    res.end(']');
  });
});
