/**
 * A CPU profile of one proxy process under autocannon (issue 18: where the per-request time
 * goes outside undici). Not in CI.
 *
 *   npx tsup && node bench/proxy/profile-gateway.mjs [kind=ours] [seconds=8] [out=/tmp/gw.cpuprofile] [routes-json]
 *
 * kind: ours | bare | fastify (bench/proxy/server.mjs, bare-undici.mjs), or `routes` with a
 * route table as JSON whose targets are written `UP1`, `UP2`, `UP3` (replaced by the three
 * ports of bench/proxy/multi-upstream.mjs; bench/proxy/routes-server.mjs serves it).
 * The proxy runs under `node --cpu-prof` (sampling every 100 us); a 2 s warm-up runs before
 * the profiled load but is in the profile too (a small share). Prints self time per function
 * (top 30) and the share of each file group (ours in dist/, undici, node internals, GC).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const [kind = 'ours', seconds = '8', out = '', routesJson = ''] = process.argv.slice(2);

function start(script, arg, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, join(here, script), ...(arg ? [JSON.stringify(arg)] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, info: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}
const stop = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
const load = (url, duration) => new Promise((resolve, reject) => autocannon({ url, connections: 50, duration, pipelining: 1 }, (e, r) => (e ? reject(e) : resolve(r))));

const dir = mkdtempSync(join(tmpdir(), 'gw-prof-'));
const prof = ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir];
let upstream;
let proxy;
if (kind === 'routes') {
  upstream = await start('multi-upstream.mjs');
  const [a, b, c] = upstream.info.ports;
  const routes = JSON.parse(routesJson.replaceAll('UP1', `http://127.0.0.1:${a}`).replaceAll('UP2', `http://127.0.0.1:${b}`).replaceAll('UP3', `http://127.0.0.1:${c}`));
  proxy = await start('routes-server.mjs', { routes }, prof);
} else {
  upstream = await start('upstream.mjs');
  const up = `http://127.0.0.1:${upstream.info.port}`;
  proxy = await start(kind === 'bare' ? 'bare-undici.mjs' : 'server.mjs', { kind, upstream: up }, prof);
}
// BODY=64k (env): the 64 KB response instead of the small JSON one.
const url = `http://127.0.0.1:${proxy.info.port}${process.env.BODY === '64k' ? '/big' : '/small'}`;
const warm = await load(url, 2);
const r = await load(url, Number(seconds));
await stop(proxy.child);
await stop(upstream.child);
const file = join(
  dir,
  readdirSync(dir).find((f) => f.endsWith('.cpuprofile')),
);
console.log(`${kind}: ${Math.round(r.requests.average)} req/s; profile ${file}${out ? ` (copy to ${out})` : ''}`);
if (out) (await import('node:fs')).copyFileSync(file, out);

const profile = JSON.parse(readFileSync(file, 'utf8'));
const dt = new Map();
for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
const byFn = new Map();
const byGroup = new Map();
let total = 0;
const group = (url, name) => {
  if (name === '(garbage collector)') return 'gc';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return 'program (native, not JS)';
  if (url.includes('/dist/')) return 'ours (dist/)';
  if (url.includes('node_modules/undici')) return 'undici';
  if (url.startsWith('node:')) return 'node internals (http, net, streams)';
  if (url === '') return 'builtins/native';
  return 'other';
};
for (const node of profile.nodes) {
  const t = dt.get(node.id) ?? 0;
  const f = node.callFrame;
  const g = group(f.url, f.functionName);
  byGroup.set(g, (byGroup.get(g) ?? 0) + t);
  if (g === 'idle') continue;
  total += t;
  const file = f.url.replace(/^.*\/(node_modules\/[^/]+|dist|bench)\//, '$1/');
  const key = `${f.functionName || '(anonymous)'}  ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  byFn.set(key, (byFn.get(key) ?? 0) + t);
}
const served = warm.requests.total + r.requests.total;
console.log(`busy ${(total / 1e6).toFixed(2)} s over ${served} requests (${(total / served).toFixed(1)} us busy per request, start-up included); by group:`);
for (const [g, t] of [...byGroup].sort((a, b) => b[1] - a[1])) if (g !== 'idle') console.log(`  ${((t / total) * 100).toFixed(1).padStart(5)}%  ${g}`);
console.log('self time, top 30:');
for (const [k, t] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${((t / total) * 100).toFixed(1).padStart(5)}%  ${k}`);

// Inclusive time of our own functions (dist/): what each step costs with everything it calls.
const parent = new Map();
for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const nodeById = new Map(profile.nodes.map((n) => [n.id, n]));
const inclusive = new Map();
for (const [id, t] of dt) {
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const f = nodeById.get(n).callFrame;
    if (!f.url.includes('/dist/')) continue;
    const key = `${f.functionName || '(anonymous)'}  ${f.url.replace(/^.*\/dist\//, 'dist/')}:${f.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
}
console.log('inclusive time of functions in dist/, top 25:');
for (const [k, t] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${((t / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
