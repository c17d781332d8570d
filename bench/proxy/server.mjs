/**
 * A proxy in front of the upstream, one per process:
 *   node bench/proxy/server.mjs '{"kind":"ours"|"fastify","upstream":"http://127.0.0.1:P"}'
 * Prints `{"port": N, ...}` on its first stdout line once listening, or `{"error": "..."}`.
 *
 * ours:    createGateway({ router: compile({ '/*': upstream }) }) on node:http (the package
 *          as users import it; default backend choice, reported).
 * fastify: fastify + @fastify/http-proxy with the same upstream, logger off.
 * `highWaterMark` (ours, by hand): the node:http server's option of that name (the sockets'
 * and responses' buffer threshold; Node 20's default is 16 KB, so every body chunk of 16 KB or
 * more makes `res.write` return false and the relay pause undici until 'drain').
 */
import { createServer } from 'node:http';

const opts = JSON.parse(process.argv[2]);
const ready = (info) => process.stdout.write(JSON.stringify(info) + '\n');

try {
  if (opts.kind === 'ours') {
    // `dist`: another build's entry (bench/proxy.mjs with BASE_DIST: before/after in one run).
    const pkg = await import(opts.dist ?? '@alternatefutures/routing-core');
    if (typeof pkg.createGateway !== 'function') throw new Error('createGateway is not exported by the package entry (dist/index.js)');
    const router = pkg.compile({ '/*': opts.upstream });
    const gateway = pkg.createGateway({ router, blockPrivateNetworks: false });
    const server = createServer(opts.highWaterMark ? { highWaterMark: opts.highWaterMark } : {}, (req, res) => gateway.handler(req, res));
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1', () => ready({ port: server.address().port, backend: router.backend }));
    process.on('SIGTERM', async () => {
      server.close();
      await gateway.close?.();
      process.exit(0);
    });
  } else if (opts.kind === 'fastify') {
    const { default: Fastify } = await import('fastify');
    const { default: proxy } = await import('@fastify/http-proxy');
    const app = Fastify({ logger: false });
    await app.register(proxy, { upstream: opts.upstream });
    await app.listen({ port: 0, host: '127.0.0.1' });
    ready({ port: app.server.address().port });
    process.on('SIGTERM', async () => {
      await app.close();
      process.exit(0);
    });
  } else {
    throw new Error(`unknown proxy kind ${opts.kind}`);
  }
} catch (e) {
  ready({ error: String(e.message ?? e).split('\n')[0] });
  process.exit(0);
}
