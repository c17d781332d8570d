/**
 * A real upstream for the soak (soak/run.ts): an HTTP server on 127.0.0.1:<port> (argv[2]),
 * keep-alive timeout argv[3] ms (default 5000).
 * The orchestrator kills it (SIGKILL), freezes it (SIGSTOP/SIGCONT) and restarts it on the
 * same port, so the gateway sees refused connections, resets mid-exchange and timeouts.
 *
 *   GET  /items/:id       small JSON
 *   GET  /api/...         small JSON echoing the path, sometimes after 0-5 ms
 *   GET  /stream/:n       n chunks of 1 KB, written with setImmediate between them
 *   POST /api/upload      echoes the request body's length
 */
import http from 'node:http';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: upstream.mjs <port>');
  process.exit(2);
}

const chunk = Buffer.alloc(1024, 'x');

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'POST') {
    let n = 0;
    req.on('data', (c) => (n += c.length));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received: n }));
    });
    return;
  }
  const stream = /^\/stream\/(\d+)/.exec(url);
  if (stream) {
    let left = Math.min(Number(stream[1]), 256);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const next = () => {
      if (left-- <= 0) return res.end();
      res.write(chunk);
      setImmediate(next);
    };
    next();
    return;
  }
  const reply = () => {
    const body = JSON.stringify({ ok: true, path: url });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'set-cookie': ['a=1', 'b=2'] });
    res.end(body);
  };
  if (url.length % 7 === 0) setTimeout(reply, url.length % 5);
  else reply();
});
server.keepAliveTimeout = Number(process.argv[3] ?? 5_000);
server.listen(port, '127.0.0.1', () => {
  process.send?.({ type: 'listening', port });
});
