/**
 * Consistent hashing by ring (SPEC 11 `{ "hash": ... }`): each target owns points on a 32-bit
 * ring in proportion to its weight, and a key goes to the owner of the first point at or after
 * the key's hash. Adding a target moves only the keys that land on its new points (every other
 * key keeps its target); removing one moves only that target's keys (about 1/n). A ring rather
 * than Maglev because it guarantees exactly this (Maglev's table shuffles a few more keys) and
 * because skipping an ineligible target is a walk to the next point, so keys of healthy targets
 * never move when another target is ejected.
 */

/** FNV-1a over UTF-16 code units, then murmur3's finalizer so nearby inputs spread over the ring. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Points per target at the mean weight: ~5% spread of the key shares, under 10,240 points for 64 targets. */
const POINTS_PER_TARGET = 160;

export class HashRing {
  /** Sorted point positions and, at the same index, the owning target's index. */
  private readonly points: Uint32Array;
  private readonly owners: Uint16Array;

  /** `targets`: URL (the point seed, so a target's points do not depend on its position) and weight. */
  constructor(targets: readonly { readonly url: string; readonly weight: number }[]) {
    const total = targets.reduce((s, t) => s + t.weight, 0);
    const list: [number, number][] = [];
    targets.forEach((t, index) => {
      const n = Math.max(8, Math.round((POINTS_PER_TARGET * targets.length * t.weight) / total));
      for (let i = 0; i < n; i++) list.push([hash32(`${t.url}#${i}`), index]);
    });
    // Ties (vanishingly rare) resolve by URL order, so the ring does not depend on target order.
    list.sort((a, b) => a[0] - b[0] || (targets[a[1]]!.url < targets[b[1]]!.url ? -1 : 1));
    this.points = Uint32Array.from(list, (p) => p[0]);
    this.owners = Uint16Array.from(list, (p) => p[1]);
  }

  /**
   * The target for `key`: the owner of the first point at or after its hash whose target
   * `accept`s (ejected or already tried ones are walked past), or -1 when none does.
   */
  lookup(key: string, accept: (index: number) => boolean): number {
    const points = this.points;
    const n = points.length;
    if (n === 0) return -1;
    const h = hash32(key);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    for (let i = 0; i < n; i++) {
      const owner = this.owners[(lo + i) % n]!;
      if (accept(owner)) return owner;
    }
    return -1;
  }
}
