/**
 * Preloaded into a benchmarked server (`node --import ./heap-sampling.mjs server.mjs`) by
 * `HEAP=1 node bench/policies.mjs`: V8's sampling heap profiler, switched on by the first
 * SIGUSR2 and off by the second, which writes to `$AF_HEAP_OUT` the bytes allocated in between
 * (objects collected by either GC included: allocation, not what is still live) in total and by
 * function (self, top 40). A signal, not an HTTP endpoint, so the server's request path and its
 * routes stay the ones measured. Allocation per request does not depend on the machine's load,
 * which moves req/s and CPU time by 2-4x on a shared machine.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
const post = (method, params = {}) => new Promise((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
let on = false;

/** Self bytes per `function file:line` over a sampling profile's tree. */
function byFunction(head) {
  const out = new Map();
  const walk = (node) => {
    const self = node.selfSize;
    if (self > 0) {
      const f = node.callFrame;
      const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
      out.set(name, (out.get(name) ?? 0) + self);
    }
    for (const c of node.children) walk(c);
  };
  walk(head);
  return out;
}

process.on('SIGUSR2', async () => {
  if (!on) {
    on = true;
    // A 256-byte mean interval: most small per-request objects are seen, at a modest cost.
    await post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    return;
  }
  on = false;
  const { profile } = await post('HeapProfiler.stopSampling');
  const fns = [...byFunction(profile.head)].sort((a, b) => b[1] - a[1]);
  const total = fns.reduce((s, [, b]) => s + b, 0);
  writeFileSync(process.env.AF_HEAP_OUT, JSON.stringify({ total, top: fns.slice(0, 40) }));
});
