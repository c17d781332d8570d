/**
 * `af-routes serve` as a production gateway, as real processes: `--workers 2` serving 10,000
 * requests while one worker is killed with SIGKILL (only the requests in flight on it are
 * lost, and it is replaced), SIGTERM draining (every request accepted before the signal
 * completes, then the port refuses connections), the JSON access log, and `--production`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import parse from 'parse-prometheus-text-format';
import { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess, ensureBuilt } from './support/cli-serve-process.js';
import { rawRequest, startServer, type TestServer } from './support/servers.js';

let upstream: TestServer;
let slowArrived = 0;
const processes = new Set<CliProcess>();

beforeAll(async () => {
  await ensureBuilt();
  upstream = await startServer((req, res) => {
    if (req.url?.startsWith('/slow')) {
      slowArrived++;
      setTimeout(() => res.end('slow done'), 600);
      return;
    }
    res.end('ok');
  });
}, 180_000);

afterEach(async () => {
  for (const p of processes) await p.stop();
  processes.clear();
});

afterAll(async () => {
  await upstream.close();
});

function serve(args: string[]): CliProcess {
  const p = new CliProcess(['serve', JSON.stringify({ '/api/*': upstream.url }), '--port', '0', '--no-watch', ...args]);
  processes.add(p);
  return p;
}

async function readyz(admin: string): Promise<{ status: string; workers: { listening: number; wanted: number; pids: number[] } }> {
  const r = await rawRequest(admin, { path: '/readyz' });
  return JSON.parse(r.body.toString());
}

describe('--workers 2', () => {
  it('serves 10,000 requests, loses only those in flight on a killed worker, replaces it, and sums metrics', async () => {
    const gw = serve(['--workers', '2', '--admin-port', '0', '--access-log', 'off']);
    const url = (await gw.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+) \(2 workers\)/))[1]!;
    const admin = (await gw.waitFor(/Admin endpoints on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const before = await readyz(admin);
    expect(before).toMatchObject({ status: 'ready', workers: { listening: 2, wanted: 2 } });
    expect(before.workers.pids).toHaveLength(2);

    const total = 10_000;
    const concurrency = 16;
    const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
    let next = 0;
    let ok = 0;
    let failed = 0;
    let killedAt = -1;
    const victim = before.workers.pids[0]!;
    try {
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < total) {
            const i = next++;
            if (i === 3_000) {
              process.kill(victim, 'SIGKILL');
              killedAt = i;
            }
            try {
              const r = await pool.request({ path: `/api/${i}`, method: 'GET' });
              const body = await r.body.text();
              if (r.statusCode === 200 && body === 'ok') ok++;
              else failed++;
            } catch {
              failed++;
            }
          }
        }),
      );
    } finally {
      await pool.close();
    }
    expect(killedAt).toBe(3_000);
    expect(ok + failed).toBe(total);
    // At most one request is in flight per connection (no pipelining): only those can be lost.
    expect(failed).toBeLessThanOrEqual(concurrency);
    console.log(`workers: ${ok} ok, ${failed} lost with the killed worker`);

    // The dead worker is replaced.
    let after = await readyz(admin);
    for (let i = 0; i < 100 && !(after.workers.listening === 2 && !after.workers.pids.includes(victim)); i++) {
      await sleep(100);
      after = await readyz(admin);
    }
    expect(after.status).toBe('ready');
    expect(after.workers.pids).toHaveLength(2);
    expect(after.workers.pids).not.toContain(victim);
    expect(gw.err).toMatch(new RegExp(`worker ${victim} exited \\(SIGKILL\\); starting a replacement`));

    // Metrics from both live workers, summed: what the survivor and the replacement served.
    const text = (await rawRequest(admin, { path: '/metrics' })).body.toString();
    const families = parse(text);
    const served = families.find((f) => f.name === 'http_server_request_duration');
    expect(served?.type).toBe('HISTOGRAM');
    // The replacement serves one request: the sum now includes it.
    expect((await rawRequest(url, { path: '/api/after' })).status).toBe(200);
    const routes = JSON.parse((await rawRequest(admin, { path: '/routes' })).body.toString());
    const requests = routes.routes[0].variants[0].counters.requests as number;
    expect(requests).toBeGreaterThan(0);
    expect(requests).toBeLessThanOrEqual(ok + 1);
  }, 120_000);

  it('drains on SIGTERM: requests accepted before the signal complete, then connections are refused', async () => {
    const gw = serve(['--workers', '2', '--admin-port', '0', '--access-log', 'off']);
    const url = (await gw.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    await gw.waitFor(/Admin endpoints on/);
    slowArrived = 0;
    const inFlight = 20;
    const pending = Array.from({ length: inFlight }, (_, i) =>
      rawRequest(url, { path: `/api/slow/${i}` }).then(
        (r) => ({ status: r.status, body: r.body.toString() }),
        (e: Error) => ({ status: 0, body: e.message }),
      ),
    );
    // Every request has reached the upstream: each is accepted and in flight.
    for (let i = 0; i < 200 && slowArrived < inFlight; i++) await sleep(10);
    expect(slowArrived).toBe(inFlight);
    gw.child.kill('SIGTERM');
    const results = await Promise.all(pending);
    expect(results.filter((r) => r.status === 200 && r.body === 'slow done')).toHaveLength(inFlight);
    const exit = await gw.exited;
    expect(exit.code).toBe(0);
    expect(gw.out).toMatch(/SIGTERM: shutting down/);
    await expect(rawRequest(url, { path: '/api/late' })).rejects.toThrow(/ECONNREFUSED/);
  }, 60_000);
});

describe('--workers 2 reload', () => {
  it('sends a changed table to every worker', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'af-routes-workers-'));
    try {
      const file = join(dir, 'routes.json');
      await writeFile(file, JSON.stringify({ '/api/*': upstream.url }));
      const gw = new CliProcess(['serve', file, '--port', '0', '--workers', '2', '--access-log', 'off']);
      processes.add(gw);
      const url = (await gw.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
      expect((await rawRequest(url, { path: '/v2/x' })).status).toBe(404);
      await writeFile(file, JSON.stringify({ '/api/*': upstream.url, '/v2/*': upstream.url }));
      await gw.waitFor(/Reloaded .*routes\.json: 2 routes/);
      // Each request on its own connection: round-robin spreads them over both workers.
      let served = 0;
      for (let i = 0; i < 40 && served < 10; i++) {
        const r = await rawRequest(url, { path: `/v2/${i}` });
        if (r.status === 200) served++;
        else await sleep(20); // a worker may take a moment to receive the table
      }
      const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => rawRequest(url, { path: `/v2/again/${i}` }).then((r) => r.status)));
      expect(statuses).toEqual(Array(10).fill(200));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('one process', () => {
  it('writes one JSON line per request with --access-log json', async () => {
    const gw = serve(['--access-log', 'json']);
    const url = (await gw.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    expect((await rawRequest(url, { path: '/api/a?x=1' })).status).toBe(200);
    expect((await rawRequest(url, { method: 'POST', path: '/api/b', body: 'abc' })).status).toBe(200);
    expect((await rawRequest(url, { path: '/nope' })).status).toBe(404);
    gw.child.kill('SIGTERM');
    await gw.exited;
    const lines = gw.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.filter((l) => 'method' in l);
    expect(access).toHaveLength(3);
    expect(access[0]).toMatchObject({
      method: 'GET',
      path: '/api/a?x=1',
      route: '/api/*',
      name: '/api/*',
      variant: 0,
      target: upstream.url,
      status: 200,
      upstreamStatus: 200,
      attempts: 1,
      bytesIn: 0,
      bytesOut: 2,
    });
    expect(typeof access[0]!['time']).toBe('string');
    expect(access[0]!['ms']).toBeGreaterThan(0);
    expect(access[0]!['upstreamMs']).toBeGreaterThan(0);
    expect(access[1]).toMatchObject({ method: 'POST', bytesIn: 3 });
    expect(access[2]).toMatchObject({ path: '/nope', route: null, status: 404, error: 'route-not-found' });
    // The command's own messages are JSON lines too.
    expect(lines.some((l) => typeof l['msg'] === 'string' && (l['msg'] as string).includes('Listening on'))).toBe(true);
  }, 30_000);

  it('--production: the outbound policy is on and error bodies never show the target', async () => {
    const gw = serve(['--production', '--workers', '1', '--access-log', 'off']);
    const url = (await gw.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const r = await rawRequest(url, { path: '/api/x' });
    expect(r.status).toBe(502);
    const body = JSON.parse(r.body.toString());
    expect(body.error.code).toBe('outbound-blocked');
    expect(r.body.toString()).not.toContain(String(upstream.port));
  }, 30_000);

  it('--production --allow-private-networks reaches private upstreams', async () => {
    const gw = serve(['--production', '--allow-private-networks', '--workers', '1', '--access-log', 'off']);
    const url = (await gw.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    expect((await rawRequest(url, { path: '/api/x' })).status).toBe(200);
  }, 30_000);

  it('refuses bad values of the new flags with a usage error', async () => {
    for (const [flag, value, message] of [
      ['--workers', '0', /--workers must be a whole number from 1 to 256, not "0"/],
      ['--access-log', 'xml', /--access-log must be off, text or json, not "xml"/],
      ['--admin-port', 'x', /--admin-port must be a whole number from 0 to 65535/],
      ['--drain-timeout', 'soon', /--drain-timeout must be a whole number/],
    ] as const) {
      const p = serve([flag, value]);
      const exit = await p.exited;
      expect(exit.code).toBe(2);
      expect(p.err).toMatch(message);
    }
  }, 30_000);
});
