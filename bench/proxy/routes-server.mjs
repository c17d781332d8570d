/**
 * Our gateway for a given route table (the package as users import it, dist/):
 *   node bench/proxy/routes-server.mjs '{"routes": {...}}'
 * Prints `{"port": N, "backend": ...}` once listening; counts retries and ejections from the
 * routing events and prints them as JSON on SIGTERM's way out (stderr).
 */
import { createServer } from 'node:http';

const { routes } = JSON.parse(process.argv[2]);
const pkg = await import('@alternatefutures/routing-core');
const router = pkg.compile(routes);
const counts = { retry: 0, ejection: 0 };
const gateway = pkg.createGateway({ router, blockPrivateNetworks: false, events: { emit: (e) => (counts[e.type] = (counts[e.type] ?? 0) + 1) } });
let requests = 0;
let cpuFrom = null;
const server = createServer((req, res) => {
  requests++;
  gateway.handler(req, res);
});
// CPU time per request of the gateway process: steadier than req/s on a shared machine.
process.on('SIGUSR2', () => {
  requests = 0;
  cpuFrom = process.cpuUsage();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port, backend: router.backend }) + '\n'));
process.on('SIGTERM', async () => {
  const cpu = cpuFrom ? process.cpuUsage(cpuFrom) : { user: 0, system: 0 };
  process.stderr.write(JSON.stringify({ events: counts, requests, cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, requests) }) + '\n');
  server.close();
  await gateway.close();
  process.exit(0);
});
