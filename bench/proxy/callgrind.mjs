/**
 * Reading a callgrind dump for the proxy benchmarks' CALLGRIND modes (observability.mjs,
 * policies.mjs, differential.mjs): the instructions (Ir) of the whole window and the shares of
 * V8's optimizing compiler and of the garbage collector, by function name, so a per-request
 * figure can leave out work that depends on when the JIT or the GC happened to run.
 */
import { execFileSync } from 'node:child_process';

/** V8's optimizing compilers (concurrent jobs may still run inside a measured window). */
const COMPILER = /compiler::|turboshaft|maglev/i;

/**
 * V8's garbage collector (marking, sweeping, scavenging, compaction and their page
 * bookkeeping): reported apart by policies.mjs, because a window of 1,000 requests holds a major
 * GC or not (with 10,000 live cache entries, one costs ~250k instructions per request of such a
 * window), which would swamp the per-request differences that are the point.
 * `IterateObjectCache` is the scavenger's walk of V8's startup object cache (a root of every
 * scavenge: 1-2k instructions per request of a window, moving with the number of scavenges in it).
 */
export const GC =
  /Marking|Sweep|Scaveng|heap::base|Evacuat|Compact|MemoryChunk|IteratePointers|IterateObjectCache|BodyDescriptor|HeapObject::SizeFromMap|popcount|RememberedSet|SlotSet|Worklist|FreeList|PagedSpace|IncrementalMarking|GCTracer|OnMoveEvent|Pretenuring|ShouldBePromoted/;

/**
 * `callgrind_annotate` of `file` (self cost per function), and its totals: `total` (PROGRAM
 * TOTALS), `compiler` and `gc` (the functions whose names match, each counted once).
 */
export function callgrindTotals(file) {
  const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  let total = 0;
  let compiler = 0;
  let gc = 0;
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    if (m === null) continue;
    const ir = Number(m[1].replaceAll(',', ''));
    if (m[2] === 'PROGRAM TOTALS') total = ir;
    else if (COMPILER.test(m[2])) compiler += ir;
    else if (GC.test(m[2])) gc += ir;
  }
  return { text, total, compiler, gc };
}
