/**
 * The Fastify side of bench/policies.mjs, in its own process, on the same routes as
 * policies-server.mjs:
 *   node bench/proxy/fastify-policies-server.mjs '{"upstream":"http://127.0.0.1:P"}'
 * `@fastify/http-proxy` (over `@fastify/reply-from` and undici) with the equivalent plugins:
 *   - `/plain/*`: the proxy alone;
 *   - `/authrl/*`: `@fastify/bearer-auth` (an API key in `Authorization: Bearer`, compared in
 *     constant time; the credential removed before forwarding, as ours does) and
 *     `@fastify/rate-limit` (a fixed window per client IP, set high enough never to refuse);
 *   - `/pol/*`: the same, plus a response cache. Fastify has no maintained plugin that caches
 *     proxied responses: `@fastify/caching` only sets `Cache-Control`/`ETag` headers and answers
 *     conditional requests (the body is still fetched every time). The closest equivalent is the
 *     RFC 9111 engine ours uses: undici's cache interceptor with its `MemoryCacheStore`, given
 *     to `@fastify/http-proxy` as its dispatcher (`undici` option), with `cacheByDefault` as our
 *     route's `ttl`. Its key is the URL (no per-caller partition, unlike ours).
 * Prints `{"port": N}` on its first stdout line once listening; `/__cpu` as policies-server.mjs.
 */
import proxy from '@fastify/http-proxy';
import bearerAuth from '@fastify/bearer-auth';
import rateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';
import { Agent, cacheStores, interceptors } from 'undici';

const opts = JSON.parse(process.argv[2]);
const app = Fastify({ logger: false });

const withoutCredential = (_req, headers) => {
  const rest = { ...headers };
  delete rest.authorization;
  return rest;
};

app.get('/__cpu', async () => {
  const u = process.cpuUsage();
  return { cpuUs: u.user + u.system };
});

await app.register(proxy, { upstream: opts.upstream, prefix: '/plain', rewritePrefix: '' });

const cached = new Agent({ keepAliveTimeout: 60_000 }).compose(
  interceptors.cache({ store: new cacheStores.MemoryCacheStore({ maxCount: 10_000 }), methods: ['GET', 'HEAD'], type: 'shared', cacheByDefault: 60_000 }),
);
for (const [prefix, dispatcher] of [
  ['/authrl', undefined],
  ['/pol', cached],
]) {
  await app.register(async (scope) => {
    await scope.register(rateLimit, { max: 1_000_000_000, timeWindow: 1000 });
    await scope.register(bearerAuth, { keys: new Set(['bench-key']) });
    await scope.register(proxy, {
      upstream: opts.upstream,
      prefix,
      rewritePrefix: '',
      replyOptions: { rewriteRequestHeaders: withoutCredential },
      ...(dispatcher !== undefined ? { undici: dispatcher } : {}),
    });
  });
}

await app.listen({ port: 0, host: '127.0.0.1' });
app.server.keepAliveTimeout = 60_000;
process.stdout.write(JSON.stringify({ port: app.server.address().port }) + '\n');
process.on('SIGTERM', async () => {
  await app.close();
  process.exit(0);
});
