/**
 * The upstream every proxy target forwards to: `/small` answers a small JSON body, `/big` a
 * 64 KB body (preallocated, so the upstream's own cost is as small as it can be).
 * Prints `{"port": N}` on its first stdout line once listening.
 */
import { createServer } from 'node:http';

const small = Buffer.from(JSON.stringify({ ok: true, service: 'upstream', id: 42 }));
const big = Buffer.alloc(64 * 1024, 'x');
const server = createServer((req, res) => {
  const body = req.url.startsWith('/big') ? big : small;
  res.writeHead(200, { 'content-type': body === small ? 'application/json' : 'application/octet-stream', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
