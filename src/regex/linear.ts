/**
 * Linear-time regular expressions (SPEC 10.2): parameter constraints and header, query and
 * host `regex` matchers. RE2 syntax through `re2js`, a maintained port of RE2: no
 * backtracking, no back-references, no look-around, so a hostile value costs time linear in
 * its length whatever the table says. A leaf module: it imports nothing from the project but
 * the `LinearRegex` type, so `validate/` and `match/` can both use it.
 *
 * Loaded eagerly: importing `re2js` costs about 10 ms once per process (measured on Node 20,
 * against about 190 ms for the whole library with undici), and compiling must be synchronous.
 */
import { RE2JS } from 're2js';
import type { LinearRegex } from '../table/route.js';
import { compileFastRegex } from './fast.js';
import { expandedSize } from './size.js';

/** SPEC 10.2: a REGEX source is at most 256 characters. */
export const MAX_REGEX_LENGTH = 256;

/**
 * At most this expanded size (src/regex/size.ts): about as many RE2 instructions. Matching
 * costs the value's length times the program size, and compiling `x{1000}y{1000}z{1000}`
 * takes about 8 ms, so 10,000 such routes would hold validation for over a minute. Common
 * constraints are far below it (`[0-9a-f]{24}`: 24, a UUID: about 40, `.{200}`: 200).
 */
export const MAX_REGEX_SIZE = 1000;

/**
 * One table's regexes together: distinct sources may expand to at most this much. Compiling
 * costs up to about 20 us per element (x{1000} takes up to 19 ms on a loaded machine), so a
 * table of 10,000 distinct large regexes would hold validation for minutes; within this
 * budget it takes at most about 2 s. Repeated sources count once (a gateway with 10,000
 * routes constrained by the same UUID regex spends 36).
 */
export const MAX_TABLE_REGEX_SIZE = 100_000;

/** The expanded size still available to one table's distinct regexes (`createRegexBudget`). */
export interface RegexBudget {
  remaining: number;
  readonly seen: Set<string>;
}

export function createRegexBudget(total = MAX_TABLE_REGEX_SIZE): RegexBudget {
  return { remaining: total, seen: new Set() };
}

/**
 * Compiled regexes by source, shared by every table of the process (a router recompiled on a
 * route update, or 10,000 routes with one constraint, compile it once). Bounded: the oldest
 * entry goes first. A `LinearRegex` holds no per-match state, so sharing is safe.
 */
const CACHE_SIZE = 1024;
const cache = new Map<string, RangeRegex>();

/**
 * What `compileLinearRegex` returns: a `LinearRegex` that can also test a range of a string
 * without slicing it (the matchers test a path segment in place).
 */
export interface RangeRegex extends LinearRegex {
  /** `test(value.slice(start, end))`, for 0 <= start <= end <= value.length. Never throws. */
  testRange(value: string, start: number, end: number): boolean;
}

export interface RegexError {
  /** The engine's reason (or the length limit), for the message. */
  readonly error: string;
  /** True when the source is refused for its length, not its syntax. */
  readonly tooLong?: boolean;
}

/**
 * Compiles `source` (RE2 syntax) to a matcher of whole values: `test(v)` is true when the
 * regex matches all of `v`, as if written `^(?:source)$`. Never throws: a source outside
 * the syntax or over a limit comes back as `{ error }`. With a `budget`, the source's
 * expanded size is charged to it (once per distinct source).
 */
export function compileLinearRegex(source: string, budget?: RegexBudget): RangeRegex | RegexError {
  if (typeof source !== 'string') return { error: 'a regular expression must be a string' };
  if (source.length > MAX_REGEX_LENGTH) {
    return { error: `the regular expression is ${source.length} characters long; the limit is ${MAX_REGEX_LENGTH}`, tooLong: true };
  }
  if (source === '') return { error: 'the regular expression is empty' };
  const size = expandedSize(source);
  if (size > MAX_REGEX_SIZE) {
    return { error: `the regular expression expands to ${size >= 1e9 ? 'over 1e9' : size} elements (a repeat {n} counts n copies); the limit is ${MAX_REGEX_SIZE}`, tooLong: true };
  }
  if (budget !== undefined && !budget.seen.has(source)) {
    if (size > budget.remaining) {
      return { error: `the table's distinct regular expressions together expand to more than ${MAX_TABLE_REGEX_SIZE} elements`, tooLong: true };
    }
    budget.remaining -= size;
    budget.seen.add(source);
  }
  const cached = cache.get(source);
  if (cached !== undefined) return cached;
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (cause) {
    return { error: cause instanceof Error ? cause.message : String(cause) };
  }
  // The common constraint forms run as a class loop (./fast.ts), exactly re2js's answer.
  const fast = compileFastRegex(source);
  const whole = (value: string): boolean => {
    try {
      // `matches` is anchored at both ends (the whole input), unlike `test`/`find`.
      return re.matches(value);
    } catch {
      return false;
    }
  };
  const compiled: RangeRegex = Object.freeze(
    fast !== null
      ? {
          source,
          test: (value: string): boolean => typeof value === 'string' && fast(value, 0, value.length),
          testRange: fast,
        }
      : {
          source,
          test: (value: string): boolean => typeof value === 'string' && whole(value),
          testRange: (value: string, start: number, end: number): boolean => whole(value.slice(start, end)),
        },
  );
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(source, compiled);
  return compiled;
}

export function isRegexError<T extends LinearRegex>(value: T | RegexError): value is RegexError {
  return 'error' in value;
}
