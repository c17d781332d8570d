/**
 * `@fastify/http-proxy` as Fastify runs in production: its logger on (`logger: true`, pino at
 * level info, its default synchronous stdout destination) with Fastify's default request
 * logging (an "incoming request" and a "request completed" line per request). The comparison
 * point of bench/proxy/observability.mjs for `af-routes serve --access-log json`.
 *   node bench/proxy/fastify-logged.mjs '{"upstream":"http://127.0.0.1:P","port":N}'
 * Listens on 127.0.0.1:N (0: any) and prints `Listening on http://127.0.0.1:N` to stderr
 * (stdout is the log, sent to /dev/null by the benchmark).
 */
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';

const opts = JSON.parse(process.argv[2]);
const app = Fastify({ logger: true });
await app.register(proxy, { upstream: opts.upstream });
await app.listen({ port: opts.port ?? 0, host: '127.0.0.1' });
process.stderr.write(`Listening on http://127.0.0.1:${app.server.address().port}\n`);
process.on('SIGTERM', async () => {
  await app.close();
  process.exit(0);
});
