/**
 * The relay's body path (src/proxy/node-relay.ts `onResponseData`), through a real gateway and
 * upstream: whatever the body's size and the upstream's write pattern, the client receives every
 * byte in order, the access log counts them, and no empty chunk reaches the client's socket.
 * undici hands the relay an empty chunk each time it resumes after a pause (every body chunk of
 * 16 KB or more pauses it); writing it costs an empty write(2) per response (issue 18, 64 KB body).
 */
import http from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, createGateway, type AccessLogEntry } from '../src/index.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { Pattern, PatternChecker } from './support/pattern.js';
import { startServer } from './support/servers.js';

const track = closeAfterEachAndCheckSockets();

/** Byte i of every body: a pattern that shows a lost, doubled or reordered chunk. */
const byteAt = (i: number) => (i * 31 + (i >> 8)) & 0xff;
const body = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => byteAt(i)));

function get(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve(Buffer.concat(parts)));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('relayed body', () => {
  it('arrives whole and in order, counted, with no empty write to the client', async () => {
    // Each run: a body size and how the upstream cuts it into writes (with or without a length).
    let plan: { size: number; cuts: number[]; withLength: boolean } = { size: 0, cuts: [], withLength: true };
    const upstream = await track(
      startServer((_req, res) => {
        const data = body(plan.size);
        res.writeHead(200, { 'content-type': 'application/octet-stream', ...(plan.withLength ? { 'content-length': plan.size } : {}) });
        let at = 0;
        const next = (k: number): void => {
          if (k >= plan.cuts.length || at >= plan.size) {
            res.end(data.subarray(at));
            return;
          }
          const to = Math.min(plan.size, at + plan.cuts[k]!);
          res.write(data.subarray(at, to));
          at = to;
          setImmediate(() => next(k + 1));
        };
        next(0);
      }),
    );
    const log: AccessLogEntry[] = [];
    const gateway = createGateway({ router: compile({ '/*': upstream.url }, { backend: 'js' }), blockPrivateNetworks: false, onRequest: (e) => log.push(e) });
    const written: number[] = [];
    const proxy = await track(
      startServer((req, res) => {
        // What the relay hands Node's response, chunk by chunk.
        const write = res.write.bind(res) as (chunk: Buffer) => boolean;
        res.write = ((chunk: Buffer) => {
          written.push(chunk.length);
          return write(chunk);
        }) as typeof res.write;
        gateway.handler(req, res);
      }),
    );
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 300 * 1024 }),
          fc.array(fc.integer({ min: 1, max: 96 * 1024 }), { maxLength: 6 }),
          fc.boolean(),
          async (size, cuts, withLength) => {
            plan = { size, cuts, withLength };
            written.length = 0;
            log.length = 0;
            const got = await get(`${proxy.url}/data`);
            expect(got.length).toBe(size);
            expect(got.equals(body(size))).toBe(true);
            expect(written.filter((n) => n === 0)).toEqual([]);
            expect(written.reduce((a, b) => a + b, 0)).toBe(size);
            await expect.poll(() => log.length).toBe(1);
            expect(log[0]!.bytesOut).toBe(size);
          },
        ),
        // 64 KB and larger bodies included in most runs (they are the ones that pause undici).
        {
          numRuns: 25,
          examples: [
            [64 * 1024, [], true],
            [64 * 1024, [], false],
            [200 * 1024, [16 * 1024, 70 * 1024], true],
          ],
        },
      );
    } finally {
      await gateway.close();
    }
  });

  it('holds the upstream back while the client does not read, and resumes when it does', async () => {
    // The relay pauses undici once a chunk is still unflushed when the next one comes: with a
    // client that stops reading, what the upstream manages to send stays bounded by the
    // sockets' kernel buffers plus a chunk or two, far below the body's size.
    const SIZE = 96 * 1024 * 1024;
    const pattern = new Pattern();
    let sent = 0;
    const upstream = await track(
      startServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
        const pump = (): void => {
          while (sent < SIZE) {
            const size = Math.min(64 * 1024, SIZE - sent, pattern.length);
            const ok = res.write(pattern.slice(sent, size));
            sent += size;
            if (!ok) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
      }),
    );
    const gateway = createGateway({ router: compile({ '/*': upstream.url }, { backend: 'js' }), blockPrivateNetworks: false });
    const proxy = await track(startServer(gateway.handler));
    try {
      const check = new PatternChecker(pattern);
      const done = new Promise<void>((resolve, reject) => {
        http
          .get(`${proxy.url}/big`, { agent: false }, (res) => {
            res.once('data', (c: Buffer) => {
              check.push(c);
              res.pause();
              // Stalled: the upstream's count stops moving, well below the body's size.
              const stalled = async (): Promise<void> => {
                let last = -1;
                while (sent !== last) {
                  last = sent;
                  await new Promise((r) => setTimeout(r, 300));
                }
                expect(sent).toBeLessThan(SIZE / 2);
                res.on('data', (d: Buffer) => check.push(d));
                res.resume();
              };
              stalled().catch(reject);
            });
            res.on('end', resolve);
            res.on('error', reject);
          })
          .on('error', reject);
      });
      await done;
      expect(check.bytes).toBe(SIZE);
      expect(check.ok).toBe(true);
    } finally {
      await gateway.close();
    }
  }, 60_000);
});
