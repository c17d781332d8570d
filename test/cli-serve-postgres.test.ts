/**
 * `af-routes serve --routes-from postgres://... --function <id>` (issue 17): two gateway
 * processes on one real PostgreSQL follow the function's row (LISTEN/NOTIFY), keep the last good
 * table on an invalid update, serve no routes when the row is deleted, and survive a restart of
 * Postgres; `--rate-limit-store redis://...` opens the shared store.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresMigrationSql } from '../src/sources/migration.js';
import { CliProcess, ensureCliBuilt, runCli } from './support/cli-process.js';
import { startPostgres, type PostgresServer } from './support/postgres-server.js';
import { distribution, formatDistribution } from './support/propagation.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { closedPort, rawRequest, sleep, startServer, type TestServer } from './support/servers.js';

let db: PostgresServer;
let redis: RedisServer;
let admin: pg.Pool;
let upstream: TestServer;
const gateways: Array<{ process: CliProcess; url: string }> = [];

const table = (version: string | number) => ({ '/v': `${upstream.url}/v${version}` });
const setRoutes = (routes: unknown) =>
  admin.query('INSERT INTO "AFFunction" (id, routes) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET routes = EXCLUDED.routes', ['fn-cli', JSON.stringify(routes)]);

/** What a gateway answers for GET /v: the upstream's path, or the status. */
async function served(url: string): Promise<string> {
  const res = await rawRequest(url, { path: '/v' });
  return res.status === 200 ? res.body.toString() : String(res.status);
}

async function seenByAll(expected: string, t0: number, limitMs: number): Promise<number[]> {
  const delays: Array<number | undefined> = gateways.map(() => undefined);
  while (delays.some((d) => d === undefined)) {
    for (const [k, g] of gateways.entries()) if (delays[k] === undefined && (await served(g.url)) === expected) delays[k] = performance.now() - t0;
    if (performance.now() - t0 > limitMs) throw new Error(`not served by every gateway within ${limitMs} ms: ${expected}`);
    await sleep(2);
  }
  return delays as number[];
}

beforeAll(async () => {
  const built = ensureCliBuilt();
  [db, redis] = await Promise.all([startPostgres(), startRedis()]);
  admin = new pg.Pool({ connectionString: db.url, max: 2 });
  admin.on('error', () => {});
  await admin.query('CREATE TABLE "AFFunction" (id text PRIMARY KEY, routes jsonb)');
  await admin.query(postgresMigrationSql());
  upstream = await startServer((req, res) => res.end(req.url));
  await setRoutes(table(0));
  await built;
  for (let i = 0; i < 2; i++) {
    const args = ['serve', '--routes-from', db.url, '--function', 'fn-cli', '--port', '0'];
    if (i === 0) args.push('--rate-limit-store', redis.url);
    const p = new CliProcess(args);
    const [, url] = (await p.waitFor(/Listening on (http:\/\/\S+)/)) as unknown as [string, string];
    await p.waitFor(/Following .* \(LISTEN\/NOTIFY\)\.\nCtrl\+C to stop/);
    gateways.push({ process: p, url });
  }
}, 120_000);

afterAll(async () => {
  for (const g of gateways) await g.process.stop();
  await admin?.end();
  await upstream?.close();
  await redis?.destroy();
  await db?.destroy();
});

describe('af-routes serve --routes-from postgres://', () => {
  it('two gateway processes serve the row and follow its updates within 1 s (100 updates, distribution reported)', async () => {
    expect(gateways[0]!.process.out).toContain('Rate limits shared in Redis at redis://127.0.0.1:');
    expect(gateways[0]!.process.out).toContain('"AFFunction"."routes" of "fn-cli"');
    for (const g of gateways) expect(await served(g.url)).toBe('/v0');
    const delays: number[] = [];
    for (let v = 1; v <= 100; v++) {
      const t0 = performance.now();
      await setRoutes(table(v));
      delays.push(...(await seenByAll(`/v${v}`, t0, 5_000)));
    }
    const d = distribution(delays);
    console.log(formatDistribution('af-routes serve, 2 processes: update -> served', d));
    expect(d.max).toBeLessThan(1_000);
  });

  it('an invalid update is printed and the previous table keeps serving; a deleted row serves no routes (404)', async () => {
    const since = gateways.map((g) => g.process.out.length);
    await setRoutes({ 'no-slash': 'https://x.example' });
    for (const [k, g] of gateways.entries()) await g.process.waitFor(/failed; still serving the previous 1 route/, since[k], 5_000);
    for (const g of gateways) expect(await served(g.url)).toBe('/v100');
    const t0 = performance.now();
    await admin.query('DELETE FROM "AFFunction" WHERE id = $1', ['fn-cli']);
    expect(Math.max(...(await seenByAll('404', t0, 5_000)))).toBeLessThan(1_000);
    await setRoutes(table('back'));
    await seenByAll('/vback', performance.now(), 5_000);
  });

  it('Postgres restarted: the gateways keep serving while it is down, reconnect, and the next update is seen', async () => {
    await db.stop();
    for (const g of gateways) expect(await served(g.url)).toBe('/vback');
    await sleep(300);
    for (const g of gateways) expect(await served(g.url)).toBe('/vback');
    await db.start();
    const t0 = performance.now();
    await setRoutes(table('after-restart'));
    const delays = await seenByAll('/vafter-restart', t0, 10_000);
    console.log(`af-routes serve after a Postgres restart: update -> served ${delays.map((d) => d.toFixed(0)).join(', ')} ms`);
    // Then the LISTEN connection is back: updates are prompt again.
    const t1 = performance.now();
    await setRoutes(table('next'));
    expect(Math.max(...(await seenByAll('/vnext', t1, 5_000)))).toBeLessThan(1_000);
  });

  it('stops cleanly on SIGTERM', async () => {
    const extra = new CliProcess(['serve', '--routes-from', db.url, '--function', 'fn-cli', '--port', '0', '--rate-limit-store', redis.url]);
    const [, url] = (await extra.waitFor(/Listening on (http:\/\/\S+)/)) as unknown as [string, string];
    await extra.waitFor(/Ctrl\+C to stop/);
    // Answering a request means its start-up code ran to the end (the signal handlers are set).
    expect(await served(url)).toBe('/vnext');
    const code = await extra.stop();
    expect(code, extra.out + extra.err).toBe(0);
  });
});

describe('af-routes serve: scale-out flags that cannot be used (exit 2, saying why)', () => {
  it('refuses bad combinations and URLs, and an unreachable Postgres', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['serve', '--routes-from', 'postgres://u@127.0.0.1:1/db'], /needs --function <id>/],
      [['serve', 'examples/seed.json', '--routes-from', 'postgres://u@127.0.0.1:1/db', '-f', 'x'], /either <routes> or --routes-from/],
      [['serve', '--routes-from', 'mysql://u:secret@h/db', '-f', 'x'], /takes a Postgres URL/],
      [['serve', 'examples/seed.json', '--routes-table', 'T'], /--routes-table applies with --routes-from/],
      [['serve', 'examples/seed.json', '--rate-limit-store', 'http://h:1'], /takes a Redis URL/],
      [['serve', '--routes-from', 'postgres://u@127.0.0.1:1/db', '-f', 'x', '--routes-table', 'a..b'], /must be a SQL identifier/],
      [['serve', '--routes-from', `postgres://postgres:pw@127.0.0.1:${await closedPort()}/db`, '-f', 'x'], /Cannot read the routes of "x"/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.err).not.toContain('secret');
      expect(r.err).not.toContain(':pw@');
    }
  });
});
