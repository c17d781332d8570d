/**
 * Routes from Postgres kept fresh by LISTEN/NOTIFY (issue 17), against a real PostgreSQL server
 * (a throwaway one: test/support/postgres-server.ts) and two runtime routers, each with its own
 * source and pool, as two instances of the runtime would have. The TTL is a minute, so whatever
 * is seen sooner came through NOTIFY.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNodeRuntimeRouter, type NodeRuntimeRouter } from '../src/runtime/node.js';
import { postgresMigrationSql } from '../src/sources/migration.js';
import { createPostgresRouteSource, type PostgresRouteSource } from '../src/sources/postgres.js';
import { RoutesValidationError } from '../src/validate/issues.js';
import { startPostgres, type PostgresServer } from './support/postgres-server.js';
import { distribution, formatDistribution } from './support/propagation.js';
import { eventually, sleep, startServer, type TestServer } from './support/servers.js';

let db: PostgresServer;
let admin: pg.Pool;
let upstream: TestServer;

interface Instance {
  router: NodeRuntimeRouter;
  source: PostgresRouteSource;
  loadErrors: unknown[];
}
let instances: Instance[] = [];

beforeAll(async () => {
  db = await startPostgres();
  admin = new pg.Pool({ connectionString: db.url, max: 2 });
  admin.on('error', () => {}); // the restart test ends its connections
  await admin.query('CREATE TABLE "AFFunction" (id text PRIMARY KEY, routes jsonb)');
  await admin.query(postgresMigrationSql());
  // The upstream answers with the path it was sent: which table version routed the request.
  upstream = await startServer((req, res) => res.end(req.url));
}, 60_000);

afterAll(async () => {
  await admin?.end();
  await upstream?.close();
  await db?.destroy();
});

afterEach(async () => {
  for (const i of instances) {
    await i.source.close();
    await i.router.close();
  }
  instances = [];
});

const table = (version: string | number) => ({ '/v': `${upstream.url}/v${version}` });

async function setRoutes(id: string, routes: unknown): Promise<void> {
  await admin.query('INSERT INTO "AFFunction" (id, routes) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET routes = EXCLUDED.routes', [id, JSON.stringify(routes)]);
}

/** One instance: a runtime router whose loader is its own Postgres source. */
async function instance(): Promise<Instance> {
  const loadErrors: unknown[] = [];
  const source = await createPostgresRouteSource({ connectionString: db.url, reconnectInitialMs: 50, reconnectMaxMs: 500, onError: () => {} });
  const router = createNodeRuntimeRouter({
    blockPrivateNetworks: false,
    ttlMs: 60_000,
    retryMs: 60_000,
    loadRoutes: source.load,
    onLoadError: (_id, err) => loadErrors.push(err),
  });
  source.attach(router);
  await source.whenListening();
  const i = { router, source, loadErrors };
  instances.push(i);
  return i;
}

/** What the instance serves for GET /v of `fn`: the upstream path, or null (the function's own code). */
async function served(i: Instance, fn: string): Promise<string | null> {
  const res = await i.router.handleRequest(fn, new Request('http://fn.test/v'));
  return res === null ? null : `${res.status} ${await res.text()}`;
}

/** Polls until every instance serves `expected`; the delay (ms since `t0`) at which each did. */
async function seenBy(all: Instance[], fn: string, expected: string | null, t0: number, limitMs = 5_000): Promise<number[]> {
  const delays: Array<number | undefined> = all.map(() => undefined);
  while (delays.some((d) => d === undefined)) {
    for (const [k, i] of all.entries()) {
      if (delays[k] === undefined && (await served(i, fn)) === expected) delays[k] = performance.now() - t0;
    }
    if (performance.now() - t0 > limitMs) throw new Error(`Not every instance served ${expected} within ${limitMs} ms`);
    await sleep(1);
  }
  return delays as number[];
}

describe('Postgres route source with LISTEN/NOTIFY', () => {
  it('an update reaches both instances within 1 s (100 updates, distribution reported)', async () => {
    await setRoutes('fn-prop', table(0));
    const a = await instance();
    const b = await instance();
    expect(await served(a, 'fn-prop')).toBe(`200 /v0`);
    expect(await served(b, 'fn-prop')).toBe(`200 /v0`);
    const delays: number[] = [];
    for (let v = 1; v <= 100; v++) {
      const t0 = performance.now();
      await admin.query('UPDATE "AFFunction" SET routes = $2 WHERE id = $1', ['fn-prop', JSON.stringify(table(v))]);
      delays.push(...(await seenBy([a, b], 'fn-prop', `200 /v${v}`, t0)));
    }
    const d = distribution(delays);
    console.log(formatDistribution('update -> served by each of 2 instances (from UPDATE sent)', d));
    expect(d.n).toBe(200);
    expect(d.max).toBeLessThan(1_000);
    // Each update was one reload per instance, not a poll: 1 initial load + 100.
    expect(a.source.stats()).toMatchObject({ loads: 101, notifications: 100 });
  });

  it('a deleted row falls through to the function on both instances; a new row is served again', async () => {
    await setRoutes('fn-del', table('d'));
    const all = [await instance(), await instance()];
    for (const i of all) expect(await served(i, 'fn-del')).toBe('200 /vd');
    let t0 = performance.now();
    await admin.query('DELETE FROM "AFFunction" WHERE id = $1', ['fn-del']);
    expect(Math.max(...(await seenBy(all, 'fn-del', null, t0)))).toBeLessThan(1_000);
    t0 = performance.now();
    await setRoutes('fn-del', table('again'));
    expect(Math.max(...(await seenBy(all, 'fn-del', '200 /vagain', t0)))).toBeLessThan(1_000);
  });

  it('an invalid update keeps the last good table serving, and is reported with its issues', async () => {
    await setRoutes('fn-bad', table('good'));
    const all = [await instance(), await instance()];
    for (const i of all) expect(await served(i, 'fn-bad')).toBe('200 /vgood');
    await setRoutes('fn-bad', { 'no-leading-slash': 'not a url' });
    // The NOTIFY invalidates; the next request loads the invalid table, which is refused and reported.
    for (const i of all) {
      const t0 = performance.now();
      while (i.loadErrors.length === 0) {
        expect(await served(i, 'fn-bad')).toBe('200 /vgood');
        expect(performance.now() - t0).toBeLessThan(1_000);
        await sleep(2);
      }
    }
    for (const i of all) {
      const err = i.loadErrors[0];
      expect(err).toBeInstanceOf(RoutesValidationError);
      expect((err as RoutesValidationError).issues.length).toBeGreaterThan(0);
      expect(await served(i, 'fn-bad')).toBe('200 /vgood');
      expect(i.source.stats().invalidTables).toBe(1);
    }
    // A fixed table replaces it at once.
    const t0 = performance.now();
    await setRoutes('fn-bad', table('fixed'));
    expect(Math.max(...(await seenBy(all, 'fn-bad', '200 /vfixed', t0)))).toBeLessThan(1_000);
  });

  it('a function with no row, or a null routes column, runs its own code', async () => {
    await admin.query('INSERT INTO "AFFunction" (id, routes) VALUES ($1, NULL)', ['fn-null']);
    const i = await instance();
    expect(await served(i, 'fn-null')).toBeNull();
    expect(await served(i, 'fn-missing')).toBeNull();
    expect(await i.source.load('fn-null')).toBeNull();
  });

  it("with the host's own pool and query; closing the source leaves the pool to its owner", async () => {
    await admin.query('CREATE TABLE IF NOT EXISTS deploys (fn text, routes jsonb, live boolean)');
    await admin.query(`INSERT INTO deploys VALUES ('fn-q', '{"/v": "${upstream.url}/vold"}', false), ('fn-q', '{"/v": "${upstream.url}/vlive"}', true)`);
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const source = await createPostgresRouteSource({ pool, query: 'SELECT routes FROM deploys WHERE fn = $1 AND live', onError: () => {} });
    await source.whenListening();
    expect(await source.load('fn-q')).toEqual({ '/v': `${upstream.url}/vlive` });
    await source.close();
    expect((await pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    await pool.end();
    await expect(createPostgresRouteSource({ pool, query: 'SELECT routes FROM deploys' })).rejects.toThrow(/\$1/);
    await expect(createPostgresRouteSource({ connectionString: db.url, table: 'x; DROP TABLE y' })).rejects.toThrow(/SQL identifier/);
    await expect(createPostgresRouteSource({} as never)).rejects.toThrow(/exactly one of/);
  });

  it('a lost LISTEN connection: reconnects, and invalidates what it cached, so an update missed meanwhile is seen', async () => {
    await setRoutes('fn-lost', table('before'));
    const i = await instance();
    expect(await served(i, 'fn-lost')).toBe('200 /vbefore');
    // End the LISTEN session and update before it can reconnect: that NOTIFY reaches nobody.
    const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()");
    expect(killed.rows.length).toBeGreaterThan(0);
    await setRoutes('fn-lost', table('missed'));
    await eventually(() => i.source.stats().connections === 2, 5_000, 'the LISTEN connection re-established');
    expect(await served(i, 'fn-lost')).toBe('200 /vmissed');
  });

  it('10,000 requests over both instances during 20 updates: every response came from a table current within 1 s of its request', async () => {
    await setRoutes('fn-load', table(0));
    const all = [await instance(), await instance()];
    // committed[v]: when update v's UPDATE returned (committed); sent[v]: when it was sent.
    const sent: number[] = [performance.now()];
    const committed: number[] = [performance.now()];
    let next = 0;
    // Spread over the run: update v once about v × 475 requests have started.
    const updater = (async () => {
      for (let v = 1; v <= 20; v++) {
        while (next < v * 475) await sleep(5);
        sent[v] = performance.now();
        await admin.query('UPDATE "AFFunction" SET routes = $2 WHERE id = $1', ['fn-load', JSON.stringify(table(v))]);
        committed[v] = performance.now();
      }
    })();
    const results: Array<{ start: number; end: number; version: number }> = [];
    const worker = async (): Promise<void> => {
      while (next < 10_000) {
        const k = next++;
        const start = performance.now();
        const body = await served(all[k % 2]!, 'fn-load');
        const end = performance.now();
        const m = /^200 \/v(\d+)$/.exec(body ?? '');
        if (m === null) throw new Error(`request ${k}: unexpected response ${body}`);
        results.push({ start, end, version: Number(m[1]) });
      }
    };
    await Promise.all([updater, ...Array.from({ length: 8 }, worker)]);
    expect(results).toHaveLength(10_000);
    let worstStaleness = 0;
    for (const r of results) {
      // Never a table from the future: its update had been sent before the response.
      expect(sent[r.version]!).toBeLessThanOrEqual(r.end);
      // Stale for as long as a newer update had committed before the request started.
      const newer = committed[r.version + 1];
      if (newer !== undefined && newer < r.start) worstStaleness = Math.max(worstStaleness, r.start - newer);
    }
    const during = results.filter((r) => r.start < committed[20]!).length;
    console.log(`10,000 requests, ${during} of them while the 20 updates ran: worst staleness ${worstStaleness.toFixed(1)} ms`);
    expect(worstStaleness).toBeLessThan(1_000);
    expect(new Set(results.map((r) => r.version)).size).toBeGreaterThan(10);
  });

  it('Postgres restarted mid-run: tables keep serving while it is down, sources reconnect, the next update is seen', async () => {
    await setRoutes('fn-restart', table('r0'));
    const all = [await instance(), await instance()];
    for (const i of all) expect(await served(i, 'fn-restart')).toBe('200 /vr0');
    await db.stop();
    // Down: the cached tables still serve (no request fails because Postgres is away).
    for (const i of all) {
      await eventually(() => !i.source.listening, 5_000, 'the source noticing the lost connection');
      expect(await served(i, 'fn-restart')).toBe('200 /vr0');
    }
    const stoppedFor = performance.now();
    await db.start();
    for (const i of all) await i.source.whenListening();
    const reconnectMs = performance.now() - stoppedFor;
    console.log(`Postgres start -> both sources listening again: ${Math.round(reconnectMs)} ms`);
    for (const i of all) expect(i.source.stats().connections).toBe(2);
    const t0 = performance.now();
    await setRoutes('fn-restart', table('r1'));
    const delays = await seenBy(all, 'fn-restart', '200 /vr1', t0);
    console.log(`after the restart, update -> served: ${delays.map((d) => d.toFixed(1)).join(', ')} ms`);
    expect(Math.max(...delays)).toBeLessThan(1_000);
  });
});
