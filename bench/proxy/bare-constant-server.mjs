/**
 * The ceiling of bench/policies.mjs's cache hit path: a bare `node:http` server that answers
 * every request with one constant response, the one the gateway's hit path answers (same
 * status, body and header names and values, captured from a real hit by the bench), and does
 * nothing else. No hit path can beat it: it is Node's HTTP server alone, with the same bytes out.
 *   node bench/proxy/bare-constant-server.mjs '{"status":200,"headers":["name","value",...],"body":"<base64>"}'
 * `connection`/`keep-alive` are left to Node, as on the gateway. `/__cpu` answers the process's
 * CPU time so far (µs), like the gateway's.
 * Prints `{"port": N}` on its first stdout line once listening.
 */
import { createServer } from 'node:http';

const opts = JSON.parse(process.argv[2]);
const body = Buffer.from(opts.body, 'base64');
const head = [];
for (let i = 0; i + 1 < opts.headers.length; i += 2) {
  const name = opts.headers[i].toLowerCase();
  if (name !== 'connection' && name !== 'keep-alive') head.push(opts.headers[i], opts.headers[i + 1]);
}
const server = createServer((req, res) => {
  if (req.url === '/__cpu') {
    const u = process.cpuUsage();
    res.end(JSON.stringify({ cpuUs: u.user + u.system }));
    return;
  }
  res.writeHead(opts.status, head);
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
process.on('SIGTERM', () => process.exit(0));
