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

/** SPEC 10.2: a REGEX source is at most 256 characters. */
export const MAX_REGEX_LENGTH = 256;

export interface RegexError {
  /** The engine's reason (or the length limit), for the message. */
  readonly error: string;
  /** True when the source is refused for its length, not its syntax. */
  readonly tooLong?: boolean;
}

/**
 * Compiles `source` (RE2 syntax) to a matcher of whole values: `test(v)` is true when the
 * regex matches all of `v`, as if written `^(?:source)$`. Never throws: a source outside
 * the syntax or over the limit comes back as `{ error }`.
 */
export function compileLinearRegex(source: string): LinearRegex | RegexError {
  if (typeof source !== 'string') return { error: 'a regular expression must be a string' };
  if (source.length > MAX_REGEX_LENGTH) {
    return { error: `the regular expression is ${source.length} characters long; the limit is ${MAX_REGEX_LENGTH}`, tooLong: true };
  }
  if (source === '') return { error: 'the regular expression is empty' };
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (cause) {
    return { error: cause instanceof Error ? cause.message : String(cause) };
  }
  return {
    source,
    test(value: string): boolean {
      if (typeof value !== 'string') return false;
      try {
        // `matches` is anchored at both ends (the whole input), unlike `test`/`find`.
        return re.matches(value);
      } catch {
        return false;
      }
    },
  };
}

export function isRegexError(value: LinearRegex | RegexError): value is RegexError {
  return 'error' in value;
}
