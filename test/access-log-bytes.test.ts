/**
 * Byte counts of `af-routes serve` (issue 15): `bytesIn` is the request body actually read
 * from the client and forwarded (a chunked upload included, which declares no length), and
 * `bytesOut` the response body relayed (a chunked response counts its payload, not its chunk
 * framing). Checked on the JSON access log and on the admin `/metrics` byte counters of the
 * built CLI, against byte counts the upstream and the client measure themselves.
 */
import http from 'node:http';
import fc from 'fast-check';
import parse, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess, ensureBuilt } from './support/cli-serve-process.js';
import { rawRequest, startServer, type TestServer } from './support/servers.js';

let upstream: TestServer;
/** Request body bytes the upstream received, by the request path's last segment (the gateway may rewrite the rest). */
const received = new Map<string, number>();

/** A stable pseudo-random payload of `n` bytes (its bytes are irrelevant, its length is what is counted). */
const payload = (n: number): Buffer => Buffer.alloc(n, 'abcdefgh');

beforeAll(async () => {
  await ensureBuilt();
  // Reads the whole body, then answers with a chunked body of the sizes given in `?out=1,2,3`
  // (several writes, no content-length: Node frames it as chunked).
  upstream = await startServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      received.set(req.url!.split('?')[0]!.split('/').pop()!, n);
      const out = new URL(req.url!, 'http://x').searchParams.get('out');
      const sizes = out === null || out === '' ? [] : out.split(',').map(Number);
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (const size of sizes) res.write(payload(size));
      res.end();
    });
  });
}, 180_000);

afterAll(async () => {
  await upstream.close();
});

/** POSTs `chunks` as a chunked body (no content-length), one write each, and reads the answer. */
function chunkedUpload(base: string, path: string, chunks: number[]): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path, agent: false, headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.flushHeaders();
    for (const size of chunks) if (size > 0) req.write(payload(size));
    req.end();
  });
}

function counter(families: PrometheusFamily[], name: string, route: string): number {
  const family = families.find((f) => f.name === name);
  if (family === undefined) return 0;
  return family.metrics.filter((m) => m.labels?.['http_route'] === route).reduce((sum, m) => sum + Number(m.value), 0);
}

type Line = Record<string, unknown>;

describe('bytes in and out of af-routes serve', () => {
  it('a chunked upload and a chunked response are counted exactly, in the access log and the metrics', async () => {
    const gw = new CliProcess(['serve', JSON.stringify({ '/api/*': upstream.url }), '--port', '0', '--no-watch', '--access-log', 'json', '--admin-port', '0']);
    try {
      const url = (await gw.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
      const admin = (await gw.waitFor(/Admin endpoints on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;

      /** What the client sent and got for each path (the log and the metrics must say the same). */
      const expected = new Map<string, { in: number; out: number }>();
      let n = 0;

      // One known case, then generated ones: any split of an upload into chunks, any chunked
      // response, is counted to the byte.
      const known = await chunkedUpload(url, '/api/known?out=1000,2500,7', [1, 4096, 70_000, 333]);
      expect(known.status).toBe(200);
      expect(known.headers['content-length']).toBeUndefined();
      expect(known.bytes).toBe(3507);
      expect(received.get('known')).toBe(1 + 4096 + 70_000 + 333);
      expected.set('/api/known', { in: 74_430, out: 3507 });

      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat(20_000), { maxLength: 6 }), fc.array(fc.nat(20_000), { maxLength: 6 }), async (up, down) => {
          const name = `p${n++}`;
          const path = `/api/${name}`;
          const r = await chunkedUpload(url, `${path}?out=${down.join(',')}`, up);
          const sent = up.reduce((a, b) => a + b, 0);
          expect(r.status).toBe(200);
          expect(received.get(name)).toBe(sent);
          expect(r.bytes).toBe(down.reduce((a, b) => a + b, 0));
          expected.set(path, { in: sent, out: r.bytes });
        }),
        { numRuns: 25 },
      );

      // A declared length and a body-less GET, for comparison.
      expect((await rawRequest(url, { method: 'PUT', path: '/api/declared?out=5', body: 'x'.repeat(1234) })).status).toBe(200);
      expected.set('/api/declared', { in: 1234, out: 5 });
      expect((await rawRequest(url, { path: '/api/get?out=10' })).status).toBe(200);
      expected.set('/api/get', { in: 0, out: 10 });
      // No route: the body is never read, so nothing was forwarded and nothing is counted.
      expect((await chunkedUpload(url, '/elsewhere', [5000, 5000])).status).toBe(404);

      let totalIn = 0;
      let totalOut = 0;
      for (const e of expected.values()) {
        totalIn += e.in;
        totalOut += e.out;
      }
      const families = parse((await rawRequest(admin, { path: '/metrics' })).body.toString());
      expect(counter(families, 'routing_request_bytes_total', '/api/*')).toBe(totalIn);
      expect(counter(families, 'routing_response_bytes_total', '/api/*')).toBe(totalOut);

      // SIGTERM drains and flushes the buffered log lines.
      gw.child.kill('SIGTERM');
      await gw.exited;
      const lines = gw.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Line)
        .filter((l) => 'method' in l);
      const byPath = new Map(lines.map((l) => [String(l['path']).split('?')[0]!, l]));
      for (const [path, e] of expected) {
        expect(byPath.get(path), path).toMatchObject({ status: 200, bytesIn: e.in, bytesOut: e.out });
      }
      expect(byPath.get('/elsewhere')).toMatchObject({ status: 404, route: null, bytesIn: 0 });
      expect(lines).toHaveLength(expected.size + 1);
    } finally {
      await gw.stop();
    }
  }, 60_000);
});
