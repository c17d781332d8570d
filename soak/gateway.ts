/**
 * The gateway under test, in its own process (so its sockets and memory can be measured from
 * outside, in /proc/<pid>): `createGateway` from src/proxy on a route table pointing at the
 * soak's upstream (127.0.0.1:<argv[2]>), served by node:http on 127.0.0.1:0.
 *
 * IPC (process.send): on start `{ type: 'listening', port }`; on `{ type: 'stats' }` (after a
 * forced GC when --expose-gc is on) `{ type: 'stats', ... }` with memory, handles, the
 * gateway's own status/error counts (from `onRequest`), and the count of unhandled
 * rejections and uncaught exceptions seen in this process.
 */
import http from 'node:http';
import { compile } from '../src/index.js';
import { createGateway } from '../src/proxy/index.js';

const upstreamPort = Number(process.argv[2]);
const origin = `http://127.0.0.1:${upstreamPort}`;

const router = compile({
  '/api/*': origin + '/api',
  '/items/:id': origin + '/items/:id',
  '/stream/:n': origin + '/stream/:n',
  '/t/:tenant/*': origin + '/api/:tenant/*',
  '/static/*': origin + '/api/static',
});

const faults = { unhandledRejections: 0, uncaughtExceptions: 0, last: '' };
process.on('unhandledRejection', (reason) => {
  faults.unhandledRejections++;
  faults.last = String(reason);
});
process.on('uncaughtException', (err) => {
  faults.uncaughtExceptions++;
  faults.last = String(err?.stack ?? err);
});

const statuses: Record<string, number> = {};
const errors: Record<string, number> = {};
const gateway = createGateway({
  router,
  // Short timeouts so a frozen upstream is answered 504 within the soak's time.
  timeouts: { connect: 1_000, headers: 1_500, bodyIdle: 1_500 },
  onRequest(entry) {
    statuses[entry.status] = (statuses[entry.status] ?? 0) + 1;
    if (entry.error !== undefined) errors[entry.error] = (errors[entry.error] ?? 0) + 1;
  },
});

const server = http.createServer(gateway.handler);
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});

process.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'stats') {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      gc();
    }
    const mem = process.memoryUsage();
    const resources: Record<string, number> = {};
    for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
    process.send?.({
      type: 'stats',
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      resources,
      statuses: { ...statuses },
      errors: { ...errors },
      faults: { ...faults },
      connections: (server as unknown as { _connections?: number })._connections ?? -1,
    });
  } else if (msg?.type === 'close') {
    server.close();
    server.closeAllConnections();
    void gateway.close().then(() => process.exit(0));
  }
});
