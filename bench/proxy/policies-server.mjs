/**
 * The gateway of bench/policies.mjs, in its own process:
 *   node bench/proxy/policies-server.mjs '{"upstream":"http://127.0.0.1:P"}'
 * Routes: `/plain/*` (no policies), `/authrl/*` (apiKey + rateLimit) and `/pol/*` (apiKey + rateLimit + cache with a ttl, so the
 * upstream's responses without freshness information are stored). The rate limit is set high
 * enough never to refuse: the bench measures its cost, not its refusals.
 * `AF_ROUTES_LIB=/abs/path/index.js` loads that build of the library instead of the package's dist.
 * Prints `{"port": N}` on its first stdout line once listening.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

// AF_ROUTES_LIB: another build of the library (bench/policies.mjs BEFORE=..., an A/B of a change).
const { compile, createGateway } = await import(process.env.AF_ROUTES_LIB ?? '@alternatefutures/routing-core');

const opts = JSON.parse(process.argv[2]);
const keyHash = 'sha256:' + createHash('sha256').update('bench-key').digest('hex');
const router = compile({
  '/plain/*': opts.upstream,
  '/authrl/*': { target: opts.upstream, auth: { type: 'apiKey', keys: [keyHash] }, rateLimit: { requests: 1_000_000_000, per: '1s' } },
  '/pol/*': {
    target: opts.upstream,
    auth: { type: 'apiKey', keys: [keyHash] },
    rateLimit: { requests: 1_000_000_000, per: '1s' },
    cache: { ttl: '60s' },
  },
});
const gateway = createGateway({ router, blockPrivateNetworks: false });
// `/__cpu`: the process's CPU time so far (µs), so the bench can report CPU per request, which
// a loaded machine distorts far less than req/s.
const server = createServer((req, res) => {
  if (req.url === '/__cpu') {
    const u = process.cpuUsage();
    res.end(JSON.stringify({ cpuUs: u.user + u.system }));
    return;
  }
  gateway.handler(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
process.on('SIGTERM', async () => {
  server.close();
  await gateway.close?.();
  process.exit(0);
});
