/**
 * Where a path segment ends, remembered for long segments during one lookup.
 *
 * Backtracking can reach the same segment from many branches (every combination of `a` and
 * `:p` over nine levels reaches the tenth segment 512 times). Finding a segment's end is a
 * scan, so without a memo a lookup would cost branches x segment length. Remembering the end
 * of every segment of at least LONG characters bounds the scanning at one pass over each long
 * segment plus LONG per node visit: linear in the path and in the table, never their product.
 *
 * The memo holds only long segments (at most path length / LONG entries) and is emptied when
 * the lookup ends, so a router keeps nothing of the paths it has seen. Lookups of ordinary
 * paths never touch it beyond one counter check.
 */
export const LONG_SEGMENT = 64;
const LONG = LONG_SEGMENT;

export class SegmentEnds {
  private readonly ends = new Map<number, number>();
  /**
   * How many ends this lookup remembers; while 0 (every path without a long segment) callers
   * may scan inline and skip the Map (the generated matcher does).
   */
  known = 0;

  /** The end of the segment starting at `pos` (the next `/`, or `limit`). */
  end(path: string, pos: number, limit: number): number {
    if (this.known !== 0) {
      const remembered = this.ends.get(pos);
      if (remembered !== undefined) return remembered;
    }
    let e = path.indexOf('/', pos);
    if (e < 0 || e > limit) e = limit;
    if (e - pos >= LONG) this.remember(pos, e);
    return e;
  }

  /** Records a segment end found by a caller's own scan (only long ones are kept). */
  remember(pos: number, e: number): void {
    if (e - pos < LONG) return;
    this.ends.set(pos, e);
    this.known++;
  }

  /** Ends a lookup: forgets what it learned. */
  finish(): void {
    if (this.known !== 0) {
      this.ends.clear();
      this.known = 0;
    }
  }
}
