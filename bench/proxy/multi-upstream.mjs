/**
 * One upstream process listening on three ports (so a 3-target route and a single-target
 * route cost the upstream the same): every port answers a small JSON body.
 * Prints `{"ports": [a, b, c]}` on its first stdout line once listening.
 */
import { createServer } from 'node:http';

const small = Buffer.from(JSON.stringify({ ok: true, service: 'upstream', id: 42 }));
const handler = (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': small.length });
  res.end(small);
};
const ports = await Promise.all(
  [0, 1, 2].map(
    () =>
      new Promise((resolve) => {
        const server = createServer(handler);
        server.keepAliveTimeout = 60_000;
        server.listen(0, '127.0.0.1', () => resolve(server.address().port));
      }),
  ),
);
process.stdout.write(JSON.stringify({ ports }) + '\n');
process.on('SIGTERM', () => process.exit(0));
