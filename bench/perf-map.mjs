/**
 * V8's perf map (`--perf-basic-prof` writes /tmp/perf-<pid>.map), read by the callgrind tools
 * (lookup-counts.mjs, proxy/cg-functions.mjs, proxy/cg-breakdown.mjs) to name JIT code.
 */
import { readFileSync } from 'node:fs';

/** The map's [start, size, name] entries, sorted by start. */
export function readPerfMap(file) {
  const entries = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m !== null) entries.push([parseInt(m[1], 16), parseInt(m[2], 16), m[3]]);
  }
  return entries.sort((a, b) => a[0] - b[0]);
}

/**
 * The JS function at `address`, or null outside every entry. Tier markers (* optimized,
 * ^ baseline, ~ interpreted) and the column go: one name per function whatever its tier.
 */
export function perfMapName(map, address) {
  let lo = 0;
  let hi = map.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map[mid][0] <= address) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best < 0 || address >= map[best][0] + map[best][1]) return null;
  return map[best][2].replace(/^JS:[*^~+]?/, 'JS:').replace(/:\d+:\d+$/, '');
}
