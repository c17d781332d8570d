/**
 * Ours against the bare undici proxy (./bare-undici.mjs) by counts that do not move with the
 * machine's load (issue 18): req/s and CPU time on the shared 2-core machine swing 2-7x run to
 * run, instruction and syscall counts per request do not.
 *
 *   node bench/proxy/differential.mjs [mode=callgrind,strace] [bodies=small,64k] [targets=ours,bare] [rounds=1]
 *
 * targets: ours, bare, bare-pkg (bare with the package imported, unused), fastify (@fastify/http-proxy), and direct (the upstream itself traced while
 * autocannon loads it directly: what a request costs the server side without a proxy).
 *
 * - callgrind: the proxy process runs under valgrind's callgrind with instrumentation off; after
 *   a 5,000-request warm-up (the JIT's tiers reached) it is switched on for 1,000 requests, and
 *   the instructions (user space) over that window are divided by 1,000: the main thread's (the
 *   event loop: what bounds req/s), the other threads' (GC helpers, libuv's pool), and the
 *   optimizing compiler's apart (concurrent jobs may still run in the window).
 *   Slow: ~1 minute per (target, body). The dump stays in a temporary directory (printed) for
 *   `callgrind_annotate`; the JIT's code addresses in it (`???:0x...`) are named by V8's
 *   /tmp/perf-<pid>.map (`--perf-basic-prof`). `CG_REWARM=N`: the window is instead the last
 *   1,000 requests of one load of N + 1,000 (the warm-up's end, when autocannon closes its
 *   connections, deoptimizes ours' `dispatch`; a window on fresh connections counts it in
 *   baseline code).
 * - strace: the proxy runs normally; after the same warm-up, `strace -f -c` is attached for
 *   3,000 requests and every syscall's count is divided by 3,000 (the per-request socket reads
 *   and writes; epoll waits follow the batching, so they move a little with the load).
 * - threads: the proxy runs normally at 50 connections; over 20,000 requests after the warm-up,
 *   CPU µs per request of its main thread (user, system) and of its other threads together (V8's
 *   compiler and GC helpers, libuv's pool), minor page faults and context switches per request,
 *   from /proc/<pid>/task/<tid>/stat and status. This moves with the load, less than req/s.
 *
 * - paired: every target runs at once, each under its own autocannon (50 connections, 5 s, 5
 *   rounds) against the same upstream: whatever load the neighbours put on the machine, the
 *   targets share it at the same moments, so the ratio of their req/s (and of their CPU µs per
 *   request) within a round is the figure to compare; rounds give its spread.
 *
 * - gc: V8's scavenges and mark-compacts per 1,000 requests (`--trace-gc`, 20,000 requests at 50
 *   connections) and their main-thread pauses. With the 64 KB body every proxy reads each response
 *   into a fresh 64 KB ArrayBuffer (Node's per-read allocation): ~2 mark-compacts per 1,000.
 *
 * - sizes: like strace, but every socket call is traced (`strace -f -e trace=...`, 1,000 requests):
 *   calls and bytes per request for each of read/write/writev/readv/recvfrom/sendto, the size
 *   distribution of each, and the calls that returned EAGAIN. The bytes a proxy moves are 2x the
 *   body (read from upstream, written to the client): this shows in how many calls it does so.
 *
 * callgrind and strace use 10 autocannon connections against the same upstream (./upstream.mjs) as
 * bench/proxy.mjs. `BASE_DIST=/abs/dist/index.js` adds `ours-base` (another build) to the targets.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { callgrindTotals } from './callgrind.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const [modeArg = 'callgrind,strace', bodiesArg = 'small,64k', targetsArg = 'ours,bare', roundsArg = '1'] = process.argv.slice(2);
const modes = modeArg.split(',');
const bodies = bodiesArg.split(',');
const targets = targetsArg.split(',');
if (process.env.BASE_DIST && !targets.includes('ours-base')) targets.push('ours-base');
const rounds = Number(roundsArg);
const PATHS = { small: '/small', '64k': '/big' };
const WARMUP = 5_000;
/** callgrind: requests before the window on the window's own connections (0: the window is a load of its own). */
const REWARM = Number(process.env.CG_REWARM ?? 0);
const CONNECTIONS = 10;

/** Spawns `argv` and resolves with the child and its first stdout line (parsed JSON). */
function start(cmd, argv, timeoutMs = 120_000) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} did not start`)), timeoutMs);
    // The ready line is the first JSON one (with --trace-gc, GC lines may come before it);
    // every later line is kept in `lines` (the gc mode reads them).
    const lines = [];
    let ready = false;
    rl.on('line', (line) => {
      if (ready) return void lines.push(line);
      if (!line.startsWith('{')) return;
      ready = true;
      clearTimeout(timer);
      resolve({ child, info: JSON.parse(line), lines });
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}`)));
  });
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

/** `amount` requests at CONNECTIONS connections; `onResponse(count)` after each response, if given. */
function load(url, amount, onResponse) {
  return new Promise((resolve, reject) => {
    let count = 0;
    // A 60 s timeout: under valgrind on a loaded machine the first requests (JIT, cold code) can take over autocannon's default 10 s.
    const instance = autocannon({ url, connections: CONNECTIONS, amount, pipelining: 1, timeout: 60 }, (err, res) => {
      if (err) return reject(err);
      if (res.errors + res.timeouts + res.non2xx > 0) return reject(new Error(`${url}: ${res.errors} errors, ${res.timeouts} timeouts, ${res.non2xx} non-2xx`));
      resolve(res);
    });
    if (onResponse !== undefined) instance.on('response', () => onResponse(++count));
  });
}

/** The proxy's command line for a target (ours: bench/proxy/server.mjs, the package as users import it). */
function proxyArgv(target, upstream) {
  if (target === 'fastify') return [join(here, 'server.mjs'), JSON.stringify({ kind: 'fastify', upstream })];
  if (target === 'bare') return [join(here, 'bare-undici.mjs'), JSON.stringify({ upstream })];
  // bare with the package imported and unused: its live heap (GC marking) without its per-request work.
  if (target === 'bare-pkg') return [join(here, 'bare-undici.mjs'), JSON.stringify({ upstream, preload: '@alternatefutures/routing-core' })];
  // ours-hwm: ours on a server whose highWaterMark (HWM=bytes, default 256 KB) holds a whole 64 KB chunk.
  const arg = {
    kind: 'ours',
    upstream,
    ...(target === 'ours-base' ? { dist: process.env.BASE_DIST } : {}),
    ...(target === 'ours-hwm' ? { highWaterMark: Number(process.env.HWM ?? 256 * 1024) } : {}),
  };
  return [join(here, 'server.mjs'), JSON.stringify(arg)];
}

async function instructions(target, body, upstream) {
  const dir = mkdtempSync(join(tmpdir(), `af-cg-${target}-${body}-`));
  // One dump per thread: the main thread's count is what bounds the event loop's throughput;
  // V8's concurrent compiler and GC helpers run on the others.
  const { child, info } = await start('valgrind', [
    '--tool=callgrind',
    '--instr-atstart=no',
    '--separate-threads=yes',
    `--callgrind-out-file=${join(dir, 'cg.out')}`,
    process.execPath,
    '--perf-basic-prof',
    ...proxyArgv(target, upstream),
  ]);
  try {
    const url = `http://127.0.0.1:${info.port}${PATHS[body]}`;
    await load(url, WARMUP);
    const n = 1_000;
    if (REWARM > 0) {
      // The end of a load (autocannon closing its connections) deoptimizes some of the proxy's
      // functions (ours' dispatch: a code dependency), so a window on fresh connections counts
      // them in baseline code. CG_REWARM=N: the window is the last n requests of one load of
      // N + n, instrumentation switched on at the N-th response (~CONNECTIONS requests in flight).
      await load(url, REWARM + n, (count) => {
        if (count === REWARM) execFileSync('callgrind_control', ['-i', 'on', String(child.pid)], { stdio: 'ignore' });
      });
    } else {
      execFileSync('callgrind_control', ['-i', 'on', String(child.pid)], { stdio: 'ignore' });
      await load(url, n);
    }
    execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
    // cg.out.<dump>-<thread>: thread 01 is the main thread.
    const dumps = readdirSync(dir).filter((f) => f.startsWith('cg.out.') && /-\d+$/.test(f));
    let main = 0;
    let others = 0;
    let compiler = 0;
    for (const f of dumps) {
      const ir = callgrindTotals(join(dir, f));
      compiler += ir.compiler;
      if (f.endsWith('-01')) main += ir.total - ir.compiler;
      else others += ir.total - ir.compiler;
    }
    const mainDump = dumps.find((f) => f.endsWith('-01'));
    return { main: main / n, others: others / n, compiler: compiler / n, dump: `${join(dir, mainDump ?? '')} /tmp/perf-${child.pid}.map` };
  } finally {
    await stop(child);
  }
}

/** Per thread: [utime, stime] clock ticks, minor faults; and the process's context switches. */
function taskStats(pid) {
  const threads = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threads[tid] = { user: Number(f[11]), system: Number(f[12]), minflt: Number(f[7]) };
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)[1]);
  return { threads, voluntary: field('voluntary_ctxt_switches'), involuntary: field('nonvoluntary_ctxt_switches') };
}

async function threadCpu(target, body, upstream) {
  const { child, info } = await start(process.execPath, proxyArgv(target, upstream), 20_000);
  try {
    const url = `http://127.0.0.1:${info.port}${PATHS[body]}`;
    await load(url, WARMUP);
    const before = taskStats(child.pid);
    const n = 20_000;
    const r = await new Promise((resolve, reject) => autocannon({ url, connections: 50, amount: n }, (e, x) => (e ? reject(e) : resolve(x))));
    const after = taskStats(child.pid);
    const tick = 1e4 / n; // USER_HZ = 100: one tick is 10,000 µs
    const sum = (pick, main) => {
      let total = 0;
      for (const [tid, a] of Object.entries(after.threads)) {
        if ((tid === String(child.pid)) !== main) continue;
        const b = before.threads[tid] ?? { user: 0, system: 0, minflt: 0 };
        total += pick(a) - pick(b);
      }
      return total;
    };
    return {
      rps: r.requests.average,
      mainUser: sum((t) => t.user, true) * tick,
      mainSystem: sum((t) => t.system, true) * tick,
      others: (sum((t) => t.user, false) + sum((t) => t.system, false)) * tick,
      minflt: (sum((t) => t.minflt, true) + sum((t) => t.minflt, false)) / n,
      voluntary: (after.voluntary - before.voluntary) / n,
      involuntary: (after.involuntary - before.involuntary) / n,
    };
  } finally {
    await stop(child);
  }
}

/** CPU seconds (user + system, all threads) of a process so far (USER_HZ = 100). */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function paired(body, upstream, rounds) {
  const procs = [];
  try {
    for (const target of targets) procs.push({ target, ...(await start(process.execPath, proxyArgv(target, upstream), 20_000)) });
    const url = (p) => `http://127.0.0.1:${p.info.port}${PATHS[body]}`;
    const run = (seconds) =>
      Promise.all(procs.map((p) => new Promise((resolve, reject) => autocannon({ url: url(p), connections: 50, duration: seconds }, (e, r) => (e ? reject(e) : resolve(r))))));
    await run(2); // warm-up, all at once
    const rows = [];
    for (let r = 0; r < rounds; r++) {
      const cpu0 = procs.map((p) => cpuSeconds(p.child.pid));
      const res = await run(5);
      rows.push(
        procs.map((p, i) => ({
          rps: res[i].requests.average,
          cpuUs: ((cpuSeconds(p.child.pid) - cpu0[i]) * 1e6) / Math.max(1, res[i].requests.total),
          bad: res[i].errors + res[i].timeouts + res[i].non2xx,
        })),
      );
    }
    return rows;
  } finally {
    for (const p of procs) await stop(p.child);
  }
}

async function syscalls(target, body, upstream) {
  const { child, info } = await start(process.execPath, proxyArgv(target, upstream), 20_000);
  const out = join(mkdtempSync(join(tmpdir(), 'af-strace-')), 'summary');
  try {
    const url = `http://127.0.0.1:${info.port}${PATHS[body]}`;
    await load(url, WARMUP);
    const tracer = spawn('strace', ['-f', '-c', '-o', out, '-p', String(child.pid)], { stdio: 'ignore' });
    // strace needs a moment to attach to every thread before the counted requests start.
    await new Promise((r) => setTimeout(r, 1_000));
    const n = 3_000;
    await load(url, n);
    const done = new Promise((r) => tracer.once('exit', r));
    tracer.kill('SIGINT');
    await done;
    const counts = {};
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      // % time, seconds, usecs/call, calls, [errors], syscall
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
      if (m !== null && m[2] !== 'total') counts[m[2]] = Number(m[1]) / n;
    }
    return counts;
  } finally {
    await stop(child);
  }
}

const SOCKET_CALLS = ['read', 'write', 'writev', 'readv', 'recvfrom', 'sendto', 'recvmsg', 'sendmsg', 'epoll_ctl'];

/** Per socket call: calls, bytes, EAGAIN returns and size buckets per request, over `n` traced requests. */
async function callSizes(target, body, upstream) {
  // direct: the upstream process is the one traced, loaded straight.
  const proc = target === 'direct' ? null : await start(process.execPath, proxyArgv(target, upstream.url), 20_000);
  const pid = proc === null ? upstream.child.pid : proc.child.pid;
  const base = proc === null ? upstream.url : `http://127.0.0.1:${proc.info.port}`;
  const out = join(mkdtempSync(join(tmpdir(), 'af-sizes-')), 'trace');
  try {
    const url = `${base}${PATHS[body]}`;
    await load(url, WARMUP);
    const tracer = spawn('strace', ['-f', '-qq', '-s', '0', '-e', `trace=${SOCKET_CALLS.join(',')}`, '-o', out, '-p', String(pid)], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1_000));
    const n = 1_000;
    await load(url, n);
    const done = new Promise((r) => tracer.once('exit', r));
    tracer.kill('SIGINT');
    await done;
    const BUCKETS = [
      ['<1K', 1024],
      ['1K-16K', 16 * 1024],
      ['16K-64K', 64 * 1024],
      ['>=64K', Infinity],
    ];
    const stats = {};
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      // "PID name(args) = ret" or "PID <... name resumed>...) = ret"; the unfinished half is skipped.
      if (line.includes('<unfinished')) continue;
      const m = /^\d+\s+(?:<\.\.\. (\w+) resumed>|(\w+)\().*\)\s+=\s+(-?\d+)/.exec(line);
      if (m === null) continue;
      const name = m[1] ?? m[2];
      const ret = Number(m[3]);
      const st = (stats[name] ??= { calls: 0, bytes: 0, eagain: 0, buckets: Object.fromEntries(BUCKETS.map(([k]) => [k, 0])) });
      st.calls++;
      if (ret < 0) {
        if (line.includes('EAGAIN')) st.eagain++;
        continue;
      }
      st.bytes += ret;
      st.buckets[BUCKETS.find(([, max]) => ret < max)[0]]++;
    }
    for (const st of Object.values(stats)) {
      st.calls /= n;
      st.bytes /= n;
      st.eagain /= n;
      for (const k of Object.keys(st.buckets)) st.buckets[k] /= n;
    }
    return stats;
  } finally {
    if (proc !== null) await stop(proc.child);
  }
}

/**
 * V8's collections per 1,000 requests (`--trace-gc`, 20,000 requests at 50 connections after the
 * warm-up): scavenges and mark-compacts, and their main-thread pause (ms per 1,000 requests, the
 * first figure of each trace line). Counts, not times: they follow the bytes and objects a
 * request allocates, not the machine's load (the pauses do move with it).
 */
async function gcCounts(target, body, upstream) {
  const { child, info, lines } = await start(process.execPath, ['--trace-gc', ...proxyArgv(target, upstream)], 20_000);
  try {
    const url = `http://127.0.0.1:${info.port}${PATHS[body]}`;
    await load(url, WARMUP);
    const from = lines.length;
    const n = 20_000;
    await new Promise((resolve, reject) => autocannon({ url, connections: 50, amount: n }, (e, x) => (e ? reject(e) : resolve(x))));
    await new Promise((r) => setTimeout(r, 300));
    const gc = lines.slice(from);
    const of = (re) => gc.filter((l) => re.test(l));
    const pause = (ls) => ls.reduce((s, l) => s + Number((/MB, ([\d.]+) \/ [\d.]+ ms/.exec(l) ?? [0, 0])[1]), 0);
    const scav = of(/: Scavenge/);
    const mc = of(/: Mark-(Compact|Sweep)/);
    const k = n / 1_000;
    return {
      scavenges: scav.length / k,
      markCompacts: mc.length / k,
      scavengeMs: pause(scav) / k,
      markCompactMs: pause(mc) / k,
      lastMarkCompact: mc.at(-1)?.replace(/^\[[^\]]*\]\s*/, '') ?? '',
    };
  } finally {
    await stop(child);
  }
}

const upstream = await start(process.execPath, [join(here, 'upstream.mjs')], 20_000);
const upstreamUrl = `http://127.0.0.1:${upstream.info.port}`;
upstream.url = upstreamUrl;
try {
  if (modes.includes('sizes')) {
    for (const body of bodies) {
      console.log(`\nsocket calls per request, ${body} (1,000 requests traced, 10 connections): calls (bytes per request; calls by size <1K / 1K-16K / 16K-64K / >=64K; EAGAIN)`);
      console.log(`| call | ${targets.join(' | ')} |`);
      console.log(`| --- | ${targets.map(() => '---').join(' | ')} |`);
      const all = {};
      for (const target of targets) all[target] = await callSizes(target, body, upstream);
      for (const call of SOCKET_CALLS) {
        if (!targets.some((t) => all[t][call])) continue;
        const cell = (st) =>
          st === undefined
            ? '0'
            : `${st.calls.toFixed(2)} (${Math.round(st.bytes).toLocaleString('en-US')} B; ${Object.values(st.buckets)
                .map((x) => x.toFixed(2))
                .join(' / ')}${st.eagain > 0 ? `; EAGAIN ${st.eagain.toFixed(2)}` : ''})`;
        console.log(`| ${call} | ${targets.map((t) => cell(all[t][call])).join(' | ')} |`);
      }
    }
  }
  if (modes.includes('callgrind')) {
    console.log(
      `| body | target | main thread instructions per request, each round | other threads (compiler excluded) | optimizing compiler (all threads) | main thread's dump |`,
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const body of bodies)
      for (const target of targets) {
        const runs = [];
        for (let r = 0; r < rounds; r++) runs.push(await instructions(target, body, upstreamUrl));
        const fmt = (k) => runs.map((x) => Math.round(x[k]).toLocaleString('en-US')).join(', ');
        console.log(`| ${body} | ${target} | ${fmt('main')} | ${fmt('others')} | ${fmt('compiler')} | ${runs.at(-1).dump} |`);
      }
  }
  if (modes.includes('gc')) {
    console.log('| body | target | scavenges per 1,000 requests | mark-compacts per 1,000 | scavenge pause ms per 1,000 | mark-compact pause ms per 1,000 | last mark-compact |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |');
    for (let r = 0; r < rounds; r++)
      for (const body of bodies)
        for (const target of targets) {
          const x = await gcCounts(target, body, upstreamUrl);
          console.log(
            `| ${body} | ${target} | ${x.scavenges.toFixed(2)} | ${x.markCompacts.toFixed(2)} | ${x.scavengeMs.toFixed(1)} | ${x.markCompactMs.toFixed(1)} | ${x.lastMarkCompact.slice(0, 90)} |`,
          );
        }
  }
  if (modes.includes('threads')) {
    console.log(`| body | target | req/s | main thread user µs/req | main system µs/req | other threads µs/req | minor faults/req | ctx switches/req (vol., invol.) |`);
    console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (let r = 0; r < rounds; r++)
      for (const body of bodies)
        for (const target of targets) {
          const x = await threadCpu(target, body, upstreamUrl);
          console.log(
            `| ${body} | ${target} | ${Math.round(x.rps)} | ${x.mainUser.toFixed(0)} | ${x.mainSystem.toFixed(0)} | ${x.others.toFixed(0)} | ${x.minflt.toFixed(2)} | ${x.voluntary.toFixed(2)}, ${x.involuntary.toFixed(2)} |`,
          );
        }
  }
  if (modes.includes('paired')) {
    const n = Math.max(rounds, 5);
    for (const body of bodies) {
      const rows = await paired(body, upstreamUrl, n);
      // Ratios to the last target listed (`ours,bare`: ours/bare; with BASE_DIST, list `ours,ours-base,bare` or `ours,bare,ours-base`).
      const last = targets.length - 1;
      const others = targets.slice(0, last);
      console.log(`\npaired, ${body}: ${targets.join(', ')} at once, 50 connections each, ${n} rounds of 5 s`);
      console.log(
        `| round | ${targets.map((t) => `${t} req/s | ${t} CPU µs/req`).join(' | ')} | ${others.map((t) => `${t}/${targets[last]} req/s | ${t}/${targets[last]} CPU per request`).join(' | ')} |`,
      );
      console.log(`| --- | ${targets.map(() => '---: | ---:').join(' | ')} | ${others.map(() => '---: | ---:').join(' | ')} |`);
      const ratios = others.map(() => [[], []]);
      rows.forEach((row, i) => {
        const cells = others.map((_, k) => {
          const rps = row[k].rps / row[last].rps;
          const cpu = row[k].cpuUs / row[last].cpuUs;
          ratios[k][0].push(rps);
          ratios[k][1].push(cpu);
          return `${rps.toFixed(3)} | ${cpu.toFixed(3)}`;
        });
        console.log(`| ${i + 1} | ${row.map((x) => `${Math.round(x.rps)}${x.bad ? ` (${x.bad} errors)` : ''} | ${x.cpuUs.toFixed(0)}`).join(' | ')} | ${cells.join(' | ')} |`);
      });
      const med = (xs) => [...xs].sort((x, y) => x - y)[(xs.length - 1) >> 1];
      console.log(`| median | ${targets.map(() => ' | ').join(' | ')} | ${ratios.map(([r, c]) => `${med(r).toFixed(3)} | ${med(c).toFixed(3)}`).join(' | ')} |`);
    }
  }
  if (modes.includes('strace')) {
    for (const body of bodies) {
      const all = {};
      for (const target of targets) all[target] = await syscalls(target, body, upstreamUrl);
      const names = [...new Set(Object.values(all).flatMap((c) => Object.keys(c)))].filter((s) => Object.values(all).some((c) => (c[s] ?? 0) >= 0.05));
      names.sort((a, b) => (all[targets[0]][b] ?? 0) - (all[targets[0]][a] ?? 0));
      console.log(`\nsyscalls per request, ${body} (>= 0.05 in some target)`);
      console.log(`| syscall | ${targets.join(' | ')} |`);
      console.log(`| --- | ${targets.map(() => '---:').join(' | ')} |`);
      for (const s of names) console.log(`| ${s} | ${targets.map((t) => (all[t][s] ?? 0).toFixed(2)).join(' | ')} |`);
      console.log(
        `| total | ${targets
          .map((t) =>
            Object.values(all[t])
              .reduce((a, b) => a + b, 0)
              .toFixed(2),
          )
          .join(' | ')} |`,
      );
    }
  }
} finally {
  await stop(upstream.child);
}
