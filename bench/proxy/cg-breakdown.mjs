/**
 * Where one proxied request's main-thread instructions go, by kind of work (issue 18, 64 KB):
 * reads a callgrind dump of bench/proxy/differential.mjs (mode callgrind; 1,000 requests) and
 * V8's perf map, and splits the self cost of every function into categories (the memcpy, the
 * GC, malloc, Buffer allocation, llhttp, JS by source file...). V8's builtins and C++ runtime
 * (inline caches, calls, property lookups) are work a JS function asked for: in the second
 * column their cost is charged to the nearest caller that has a category of its own (through
 * the dump's call graph, in proportion to each caller's calls), so "undici (JS)" includes the
 * IC misses undici's code causes. Not in CI.
 *
 *   node bench/proxy/cg-breakdown.mjs <dump> <map> [requests=1000] [functions=name,name...] [top=0]
 *
 * `functions`: JS function names (as in the map, e.g. `execute`, `onResponseData`) whose
 * inclusive cost per request is printed too (a name matching several functions sums them).
 * Caveat: callgrind counts instructions, not time; `rep movsb` (glibc's memcpy above a few KB)
 * counts one instruction per byte, so the memcpy row reads ~1 instruction per byte copied
 * although it runs at many bytes per cycle.
 */
import { readFileSync } from 'node:fs';
import { perfMapName, readPerfMap } from '../perf-map.mjs';

const [dump, mapFile, requestsArg = '1000', functionsArg = '', topArg = '0'] = process.argv.slice(2);
if (mapFile === undefined) {
  console.error('usage: node bench/proxy/cg-breakdown.mjs <dump> <map> [requests] [functions]');
  process.exit(2);
}
const REQUESTS = Number(requestsArg);

const map = readPerfMap(mapFile);
const nameAt = (address) => perfMapName(map, address) ?? 'JIT code (not in the map)';

// The dump: self cost per function id, and inclusive cost per call edge (caller -> callee).
const names = new Map();
const self = new Map();
const edges = new Map(); // callee -> Map(caller -> cost)
const out = new Map(); // caller -> total cost of its calls
let fn = null;
let cfn = null;
let inCall = false;
const idName = (spec, table) => {
  const m = /^\((\d+)\)(?: (.*))?$/.exec(spec);
  if (m === null) return spec;
  if (m[2] !== undefined) table.set(m[1], m[2]);
  return m[1];
};
for (const line of readFileSync(dump, 'utf8').split('\n')) {
  if (line.startsWith('fn=')) fn = idName(line.slice(3), names);
  else if (line.startsWith('cfn=')) cfn = idName(line.slice(4), names);
  else if (line.startsWith('calls=')) inCall = true;
  else if (/^[+\-*\d]/.test(line)) {
    const cost = Number(line.split(' ')[1] ?? 0);
    if (inCall) {
      inCall = false;
      if (!edges.has(cfn)) edges.set(cfn, new Map());
      edges.get(cfn).set(fn, (edges.get(cfn).get(fn) ?? 0) + cost);
      out.set(fn, (out.get(fn) ?? 0) + cost);
    } else self.set(fn, (self.get(fn) ?? 0) + cost);
  }
}

function display(id) {
  const raw = (names.get(id) ?? id).replace(/'\d+$/, '');
  const address = /^0x([0-9a-f]+)$/.exec(raw);
  return address !== null ? nameAt(parseInt(address[1], 16)) : raw;
}

/** The category of a function, or null for V8's builtins and runtime (charged to their caller). */
function category(name) {
  if (/memcpy|memmove/.test(name)) return 'memcpy (libc)';
  if (/^JS:/.test(name)) {
    if (/\/dist\/|\/bench\/proxy\//.test(name)) return "the proxy's own JS (dist/, bench/proxy/)";
    if (/undici/.test(name)) return 'undici (JS)';
    if (/node:internal\/streams|node:stream/.test(name)) return 'Node streams (JS)';
    if (/node:_http|node:internal\/http/.test(name)) return 'node:http (JS)';
    if (/node:net|stream_base_commons|node:internal\/net/.test(name)) return 'node:net (JS)';
    if (/node:internal\/(timers|process\/task_queues)|node:timers|node:events/.test(name)) return 'timers, nextTick, events (JS)';
    return 'other JS';
  }
  if (name === 'JIT code (not in the map)') return 'JIT code not in the map (llhttp wasm)';
  if (/^(Builtins_)?(CreateTypedArray|TypedArrayPrototypeBuffer)/.test(name)) return 'ArrayBuffer/Buffer allocation (C++)';
  if (/^(Builtin:|Builtins_|RegExp:)/.test(name)) return null;
  if (/llhttp__internal|llhttp_/.test(name)) return "node:http's native llhttp (client requests)";
  if (/malloc|_int_free|cfree|realloc|operator new|operator delete|calloc|tcache|unlink_chunk|^free/.test(name)) return 'malloc/free (libc)';
  if (/BackingStore|ArrayBuffer(?!Sweeper)|JSTypedArray|node::Buffer|AllocatedBuffer|allocate_managed_buffer|release_managed_buffer|NodeArrayBufferAllocator/.test(name))
    return 'ArrayBuffer/Buffer allocation (C++)';
  if (/^(node::|uv_|uv__)/.test(name)) return 'Node C++, libuv';
  if (
    /^(v8::|heap::)/.test(name) &&
    /Marking|Sweep|Scaveng|heap::base|Evacuat|Compact|MemoryChunk|IteratePointers|IterateObjectCache|BodyDescriptor|SizeFromMap|RememberedSet|SlotSet|Worklist|FreeList|PagedSpace|IncrementalMarking|GCTracer|Heap::|RootScavengeVisitor|GlobalHandles|ArrayBufferSweeper|EmbedderStack|LocalHeap|Safepoint/.test(
      name,
    )
  )
    return 'GC (main thread)';
  if (/^v8::/.test(name) && /compiler::|turboshaft|maglev|Compil|Parser|Bytecode|baseline::|Scanner|AstValue|interpreter::/i.test(name)) return 'V8 compiler/parser';
  if (/^v8::/.test(name)) return null;
  return 'other native (libc, syscall wrappers)';
}

const OTHER = 'V8 builtins and runtime (ICs, calls, property access)';
const ids = [...new Set([...self.keys(), ...edges.keys()])];
const cat = new Map(ids.map((id) => [id, category(display(id))]));
const byCat = new Map();
const charged = new Map();
const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
for (const id of ids) add(byCat, cat.get(id) ?? OTHER, self.get(id) ?? 0);

/**
 * The shares of the categorized callers a builtin's or runtime function's cost goes to: up the
 * call graph, in proportion to each caller's calls, to the first callers with a category of their
 * own (memoized; a cycle or a root keeps the rest in the builtins row).
 */
const shares = new Map();
function sharesOf(id, visiting = new Set()) {
  const c = cat.get(id);
  if (c !== null && c !== undefined) return new Map([[id, 1]]);
  if (shares.has(id)) return shares.get(id);
  const callers = edges.get(id);
  let total = 0;
  if (callers !== undefined) for (const [caller, v] of callers) if (!visiting.has(caller) && caller !== id) total += v;
  if (total === 0) return new Map([[id, 1]]);
  visiting.add(id);
  const result = new Map();
  for (const [caller, v] of callers) {
    if (visiting.has(caller) || caller === id) continue;
    for (const [k, f] of sharesOf(caller, visiting)) add(result, k, (f * v) / total);
  }
  visiting.delete(id);
  shares.set(id, result);
  return result;
}
// Per categorized function (the ids of its recursive entries apart), then per category.
const chargedFn = new Map();
for (const id of ids) {
  const s = self.get(id) ?? 0;
  if (s === 0) continue;
  for (const [k, f] of sharesOf(id)) add(chargedFn, k, s * f);
}
for (const [id, v] of chargedFn) add(charged, cat.get(id) ?? OTHER, v);

const total = [...byCat.values()].reduce((a, b) => a + b, 0);
const per = (v) => Math.round(v / REQUESTS).toLocaleString('en-US');
const pct = (v) => `${((100 * v) / total).toFixed(1)}%`;
console.log(`main thread: ${per(total)} instructions per request (${REQUESTS} requests)\n`);
console.log('| category | self, per request | share | builtins charged to caller, per request | share |');
console.log('| --- | ---: | ---: | ---: | ---: |');
// A fixed order, so two dumps' tables line up.
const ORDER = [
  'memcpy (libc)',
  'JIT code not in the map (llhttp wasm)',
  'undici (JS)',
  'Node streams (JS)',
  'node:http (JS)',
  'node:net (JS)',
  'timers, nextTick, events (JS)',
  "the proxy's own JS (dist/, bench/proxy/)",
  'other JS',
  'Node C++, libuv',
  "node:http's native llhttp (client requests)",
  'ArrayBuffer/Buffer allocation (C++)',
  'malloc/free (libc)',
  'GC (main thread)',
  'V8 compiler/parser',
  'other native (libc, syscall wrappers)',
  OTHER,
];
const cats = [...new Set([...ORDER, ...byCat.keys(), ...charged.keys()])];
for (const c of cats) console.log(`| ${c} | ${per(byCat.get(c) ?? 0)} | ${pct(byCat.get(c) ?? 0)} | ${per(charged.get(c) ?? 0)} | ${pct(charged.get(c) ?? 0)} |`);

if (functionsArg !== '') {
  console.log('\n| JS function (inclusive: itself and everything it calls) | per request |');
  console.log('| --- | ---: |');
  for (const f of functionsArg.split(',')) {
    let inc = 0;
    for (const id of ids) {
      const raw = names.get(id) ?? id;
      // Recursive entries ('2) are inside their outer entry's inclusive cost already.
      if (/'\d+$/.test(raw)) continue;
      const n = display(id);
      if (n.startsWith(`JS:${f} `)) inc += (self.get(id) ?? 0) + (out.get(id) ?? 0);
    }
    console.log(`| ${f} | ${per(inc)} |`);
  }
}

if (Number(topArg) > 0) {
  // The functions that cost most, builtins they call included (names merged across tiers).
  const byName = new Map();
  for (const [id, v] of chargedFn) add(byName, `${display(id)} [${cat.get(id) ?? 'builtin'}]`, v);
  console.log(`\n| function (top ${topArg}, builtins charged) | per request |`);
  console.log('| --- | ---: |');
  for (const [n, v] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg))) console.log(`| ${n.slice(0, 140)} | ${per(v)} |`);
}
