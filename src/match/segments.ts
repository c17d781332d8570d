/**
 * Where a path segment ends, remembered for long segments during one lookup.
 *
 * Backtracking can reach the same segment from many branches (every combination of `a` and
 * `:p` over nine levels reaches the tenth segment 512 times). Finding a segment's end is a
 * scan, so without a memo a lookup would cost branches x segment length. Remembering the end
 * of every segment of at least LONG characters bounds the scanning at one pass over each long
 * segment plus LONG per node visit: linear in the path and in the table, never their product.
 *
 * Entries are stamped with a per-lookup generation, so nothing is cleared between lookups, and
 * short paths never touch the arrays beyond one length check.
 */
const LONG = 64;

export class SegmentEnds {
  private generation = 0;
  private stamps = new Int32Array(0);
  private ends = new Int32Array(0);

  /** Starts a lookup: forgets what the previous one learned. */
  begin(): void {
    this.generation = (this.generation + 1) | 0;
    if (this.generation === 0) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  /** The end of the segment starting at `pos` (the next `/`, or `limit`). */
  end(path: string, pos: number, limit: number): number {
    if (pos < this.stamps.length && this.stamps[pos] === this.generation) return this.ends[pos]!;
    let e = path.indexOf('/', pos);
    if (e < 0 || e > limit) e = limit;
    if (e - pos >= LONG) this.remember(pos, e, path.length);
    return e;
  }

  private remember(pos: number, e: number, size: number): void {
    if (this.stamps.length <= pos) {
      this.stamps = new Int32Array(size + 1);
      this.ends = new Int32Array(size + 1);
    }
    this.stamps[pos] = this.generation;
    this.ends[pos] = e;
  }
}
