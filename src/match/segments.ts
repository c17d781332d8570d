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
import type { RangeRegex } from '../regex/linear.js';
import type { LinearRegex } from '../table/route.js';

export const LONG_SEGMENT = 64;
const LONG = LONG_SEGMENT;

export class SegmentEnds {
  private readonly ends = new Map<number, number>();
  /** Constraint results for long segments, by `regexId:start` (SPEC 10.2; src/match/core.ts). */
  private readonly tests = new Map<string, boolean>();
  /**
   * How many ends this lookup remembers; while 0 (every path without a long segment) callers
   * may scan inline and skip the Map (the generated matcher does).
   */
  known = 0;
  /**
   * Characters scanned or tested since `finish()` last reset it, kept only when `counting`
   * (the interpreter's work counter; tests assert linear work with it instead of timing).
   */
  counting = false;
  work = 0;

  /** The end of the segment starting at `pos` (the next `/`, or `limit`). */
  end(path: string, pos: number, limit: number): number {
    if (this.known !== 0) {
      const remembered = this.ends.get(pos);
      if (remembered !== undefined) return remembered;
    }
    let e = path.indexOf('/', pos);
    if (e < 0 || e > limit) e = limit;
    if (this.counting) this.work += e - pos;
    if (e - pos >= LONG) this.remember(pos, e);
    return e;
  }

  /** Records a segment end found by a caller's own scan (only long ones are kept). */
  remember(pos: number, e: number): void {
    if (e - pos < LONG) return;
    this.ends.set(pos, e);
    this.known++;
  }

  /**
   * Whether a constrained parameter accepts the segment [pos, e): non-empty, ASCII only (so
   * both backends agree on paths that were never normalized), and matched whole by the regex.
   * A long segment's result is remembered per regex, so many branches reaching it run each
   * distinct regex on it once.
   */
  accepts(id: number, regex: LinearRegex, path: string, pos: number, e: number): boolean {
    if (e <= pos) return false;
    if (e - pos < LONG) {
      if (this.counting) this.work += e - pos;
      return asciiOnly(path, pos, e) && testSegment(regex, path, pos, e);
    }
    const key = id + ':' + pos;
    let result = this.tests.get(key);
    if (result === undefined) {
      if (this.counting) this.work += e - pos;
      result = asciiOnly(path, pos, e) && testSegment(regex, path, pos, e);
      this.tests.set(key, result);
      this.known++;
    }
    return result;
  }

  /** Ends a lookup: forgets what it learned. */
  finish(): void {
    if (this.known !== 0) {
      this.ends.clear();
      this.tests.clear();
      this.known = 0;
    }
  }
}

/** In place where the regex can (every one src/regex compiles), else on a slice. */
function testSegment(regex: LinearRegex, path: string, pos: number, e: number): boolean {
  const range = (regex as Partial<RangeRegex>).testRange;
  return range !== undefined ? range(path, pos, e) : regex.test(path.slice(pos, e));
}

function asciiOnly(path: string, pos: number, e: number): boolean {
  for (let i = pos; i < e; i++) if (path.charCodeAt(i) > 0x7f) return false;
  return true;
}
