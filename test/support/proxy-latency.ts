/**
 * What the proxy adds per request: N sequential requests (undici, keep-alive) straight to an
 * upstream, and the same through the gateway (in its own process, like a real deployment),
 * alternating rounds; prints median and p99 of each and their difference.
 *
 *   node --import tsx test/support/proxy-latency.ts [requests=2000] [rounds=3] [bodyBytes=64]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { startServer } from './servers.js';

const N = Number(process.argv[2] ?? 2_000);
const ROUNDS = Number(process.argv[3] ?? 3);
const BODY = Buffer.alloc(Number(process.argv[4] ?? 64), 'x');

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function run(client: Client, path: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const res = await client.request({ path, method: 'GET' });
    await res.body.arrayBuffer();
    times.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  return times;
}

const upstream = await startServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
  res.end(BODY);
});
const child = fork(fileURLToPath(new URL('./proxy-child.ts', import.meta.url)), [], {
  execArgv: ['--import', 'tsx'],
  env: { ...process.env, ROUTES: JSON.stringify({ '/api/*': upstream.url }) },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));

const direct = new Client(upstream.url);
const proxied = new Client(`http://127.0.0.1:${port}`);
await run(direct, '/x', 300);
await run(proxied, '/api/x', 300);

const all = { direct: [] as number[], proxied: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  all.direct.push(...(await run(direct, '/x', N)));
  all.proxied.push(...(await run(proxied, '/api/x', N)));
}
const summary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p99: quantile(s, 0.99) };
};
const d = summary(all.direct);
const p = summary(all.proxied);
const fmt = (us: number) => `${us.toFixed(0)} µs`;
console.log(`${N} sequential requests x ${ROUNDS} rounds, ${BODY.length}-byte body, Node ${process.version}`);
console.log(`direct : median ${fmt(d.median)}  p99 ${fmt(d.p99)}`);
console.log(`proxied: median ${fmt(p.median)}  p99 ${fmt(p.p99)}`);
console.log(`added  : median ${fmt(p.median - d.median)}  p99 ${fmt(p.p99 - d.p99)}`);

await direct.close();
await proxied.close();
await new Promise((resolve) => {
  child.once('exit', resolve);
  child.send({ type: 'close' });
});
await upstream.close();
