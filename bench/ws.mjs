/**
 * WebSocket messages per second (not part of CI): a `ws` echo upstream, and clients sending
 * ping-pong messages (each connection sends the next message when the previous one's echo is
 * back) for a few seconds:
 *   - straight to the echo upstream,
 *   - through our gateway (createGateway + server.on('upgrade', gateway.upgrade)),
 *   - through fastify + @fastify/http-proxy with `websocket: true`.
 * The upstream and each proxy run in their own processes (the package as users import it:
 * dist/, built by `npx tsup`); the clients run in this one. Targets are measured in turn, one
 * proxy up at a time.
 *
 *   node bench/ws.mjs [seconds=3] [connections=50] [bytes=64]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';

const role = process.argv[2];
const ready = (info) => process.stdout.write(JSON.stringify(info) + '\n');

if (role === '--upstream') {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  wss.on('listening', () => ready({ port: wss.address().port }));
} else if (role === '--ours') {
  const { createServer } = await import('node:http');
  const pkg = await import('@alternatefutures/routing-core');
  const gateway = pkg.createGateway({ router: pkg.compile({ '/*': process.argv[3] }), blockPrivateNetworks: false });
  const server = createServer(gateway.handler);
  server.on('upgrade', gateway.upgrade);
  server.listen(0, '127.0.0.1', () => ready({ port: server.address().port }));
} else if (role === '--fastify') {
  const { default: Fastify } = await import('fastify');
  const { default: proxy } = await import('@fastify/http-proxy');
  const app = Fastify({ logger: false });
  await app.register(proxy, { upstream: process.argv[3], websocket: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  ready({ port: app.server.address().port });
} else {
  await main();
}

function start(args) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, ...JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
}

async function measure(port, seconds, connections, bytes) {
  const payload = Buffer.alloc(bytes, 120);
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/bench`);
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        }),
    ),
  );
  let count = 0;
  let running = true;
  const latencies = [];
  // Warm-up second, then the measured window.
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          let n = 0;
          ws.on('message', () => (++n < 200 ? ws.send(payload) : resolve()));
          ws.send(payload);
        }),
    ),
  );
  for (const ws of sockets) ws.removeAllListeners('message');
  const started = performance.now();
  await Promise.all(
    sockets
      .map(
        (ws) =>
          new Promise((resolve) => {
            let sent = performance.now();
            ws.on('message', () => {
              count++;
              const now = performance.now();
              if (latencies.length < 200_000) latencies.push(now - sent);
              if (!running) return resolve();
              sent = now;
              ws.send(payload);
            });
            ws.send(payload);
          }),
      )
      .concat(new Promise((r) => setTimeout(() => ((running = false), r()), seconds * 1000))),
  );
  const elapsed = (performance.now() - started) / 1000;
  for (const ws of sockets) ws.terminate();
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
  return { msgPerSec: Math.round(count / elapsed), p50: q(0.5), p99: q(0.99) };
}

async function main() {
  const seconds = Number(process.argv[2] ?? 3);
  const connections = Number(process.argv[3] ?? 50);
  const bytes = Number(process.argv[4] ?? 64);
  const upstream = await start(['--upstream']);
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const rows = [];
  try {
    rows.push({ target: 'direct', ...(await measure(upstream.port, seconds, connections, bytes)) });
    for (const kind of ['ours', 'fastify']) {
      const proxy = await start([`--${kind}`, upstreamUrl]);
      try {
        rows.push({ target: kind === 'ours' ? 'createGateway' : '@fastify/http-proxy websocket', ...(await measure(proxy.port, seconds, connections, bytes)) });
      } finally {
        proxy.child.kill('SIGKILL');
      }
    }
  } finally {
    upstream.child.kill('SIGKILL');
  }
  console.log(`ping-pong echo, ${connections} connections, ${bytes} B messages, ${seconds} s per target`);
  console.log('| target | messages/s | p50 ms | p99 ms |\n| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.target} | ${r.msgPerSec} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`);
}
