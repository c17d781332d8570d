/**
 * Parses one route pattern (SPEC section 2) into its canonical segments, or the issues that
 * make it invalid. Canonicalization uses the same segment rules as request paths
 * (src/normalize/escape.ts), plus raw non-ASCII text, which is percent-encoded.
 */
import { canonicalizeSegment, type SegmentError } from '../normalize/escape.js';
import type { ResolvedMatchOptions } from '../options.js';
import { compileLinearRegex, isRegexError, MAX_REGEX_LENGTH, type RegexBudget } from '../regex/linear.js';
import type { LinearRegex } from '../table/route.js';
import { error, type RouteIssue } from './issues.js';

export type PatternSegment =
  | { kind: 'static'; text: string }
  | { kind: 'param'; name: string; anonymous: boolean; regex?: LinearRegex } // `:id`, `:id(REGEX)`, or `*` not last (named "0", "1", ...)
  | { kind: 'catchAll' };

export interface ParsedPattern {
  /** The canonical pattern text (see `canonicalPattern`), built in the same pass as the shape. */
  canonical: string;
  /**
   * Parameter names in path order (anonymous ones are "0", "1", ...). Routes with the same names
   * share one list (see `sharedNames`): never modified.
   */
  paramNames: readonly string[];
  /**
   * Names written `:name`, in path order; anonymous `*` captures cannot be referenced by a
   * target. The same array as `paramNames` when the pattern has no anonymous capture (most do not).
   */
  namedParams: readonly string[];
  catchAll: boolean;
  /**
   * What the matchers see (src/match/core.ts): static text, ":", ":" + REGEX or "*", option-dependent.
   * Two patterns conflict exactly when their shapes are equal (src/validate/shapes.ts).
   */
  shape: string[];
}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const ESCAPE_PROBLEMS: Record<SegmentError, { code: RouteIssue['code']; what: string }> = {
  'bad-escape': { code: 'pattern-invalid-escape', what: 'a "%" that is not followed by two hex digits' },
  'bad-utf8': { code: 'pattern-invalid-escape', what: 'percent-escapes that do not decode as UTF-8' },
  nul: { code: 'pattern-invalid-escape', what: 'an encoded NUL (%00)' },
  'encoded-slash': { code: 'pattern-invalid-escape', what: 'an encoded slash or backslash (%2F, %5C)' },
  'invalid-char': { code: 'pattern-invalid-character', what: 'a space, control character or "\\"' },
};

/** Folds ASCII letters only: non-ASCII text is percent-encoded by now. */
export function foldAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/*
 * Scratch lists for one parse, reused by every call (parsePattern never re-enters itself): the
 * shape, names and canonical texts grow here and only exact-size copies are kept. Growing fresh
 * arrays, a Set of names and the canonical text by concatenation for each of 10,000 patterns was
 * half of what validation allocated (~1.2 KB per pattern, almost all garbage), and the scavenges
 * copying around it were most of compile's GC time (bench/results/notes-compile.md, session 22).
 */
const SHAPE: string[] = [];
const NAMES: string[] = [];
const TEXTS: string[] = [];
/*
 * The names of the pattern being parsed, for the duplicate check: the first SCAN_NAMES are found
 * by scanning NAMES (a pattern has a few), and only a pattern with more moves them into this Set
 * (bounded work for a generated pattern of hundreds of parameters). A Set per pattern cost a
 * `clear()` each, which allocates a fresh table: ~4% of validating 10,000 routes.
 */
const NAMED = new Set<string>();
const SCAN_NAMES = 32;
/** True while NAMED holds the current pattern's names (past SCAN_NAMES of them). */
let namedInSet = false;

/** Whether the current pattern already captures `name` (its first `count` names are in NAMES). */
function hasName(name: string, count: number): boolean {
  if (namedInSet) return NAMED.has(name);
  for (let i = 0; i < count; i++) if (NAMES[i] === name) return true;
  return false;
}

/** Records the current pattern's `count`-th name, already written to NAMES[count - 1]. */
function addedName(count: number): void {
  if (namedInSet) NAMED.add(NAMES[count - 1]!);
  else if (count > SCAN_NAMES) {
    namedInSet = true;
    for (let i = 0; i < count; i++) NAMED.add(NAMES[i]!);
  }
}
/** The raw segments of the pattern being parsed (`RAW_COUNT` of them). */
const RAW: string[] = [];
/**
 * Issues found so far; handed out with `splice(0)` when there are some, so a valid pattern (most)
 * allocates no list of its own.
 */
const ISSUES: RouteIssue[] = [];
/** Static patterns (a table's most common kind) share one empty list of names; nothing adds to it. */
const NO_NAMES: readonly string[] = Object.freeze([]);

/*
 * The last few distinct lists of parameter names, handed out again to patterns with the same
 * names: a table repeats a handful of lists (`[id]`, `[id, order]`) over thousands of routes, and
 * each route kept its own copy (~50 bytes, copied by every scavenge while the table is young).
 * Sharing them also lets `unusedParams` (./target.ts) reuse its texts by list identity. Frozen:
 * routes of different tables may share one.
 */
const RECENT_NAMES: (readonly string[])[] = [];
const RECENT_KEPT = 8;
let recentNext = 0;

/** `names[0..count)` as a shared frozen list (see above). */
function sharedNames(names: readonly string[], count: number): readonly string[] {
  for (let r = 0; r < RECENT_NAMES.length; r++) {
    const list = RECENT_NAMES[r]!;
    if (list.length !== count) continue;
    let same = true;
    for (let i = 0; i < count; i++) {
      if (list[i] !== names[i]) {
        same = false;
        break;
      }
    }
    if (same) return list;
  }
  const list = Object.freeze(names.slice(0, count));
  RECENT_NAMES[recentNext] = list;
  recentNext = (recentNext + 1) % RECENT_KEPT;
  return list;
}

export function parsePattern(pattern: string, options: ResolvedMatchOptions, budget?: RegexBudget): ParsedPattern | RouteIssue[] {
  const issues = ISSUES;
  if (issues.length !== 0) issues.length = 0; // only after a throw mid-parse (a hostile regex budget)
  if (pattern.length > options.limits.maxPatternLength) {
    return [
      error('pattern-too-long', `Path pattern "${pattern.slice(0, 64)}..." is ${pattern.length} characters long; the limit is ${options.limits.maxPatternLength}`, {
        pattern,
        hint: 'Shorten the pattern or raise limits.maxPatternLength',
      }),
    ];
  }
  if (!pattern.startsWith('/')) {
    return [error('pattern-no-leading-slash', `Invalid path pattern "${pattern}". Path patterns must start with "/"`, { pattern, hint: 'Start the pattern with "/"' })];
  }
  const rawSegments = RAW;
  const rawCount = splitInto(pattern, 1, rawSegments);
  if (rawCount < 0) {
    return [
      error('regex-invalid', `Path pattern "${pattern}" has a constraint without its closing ")" in segment "${pattern.slice(-1 - rawCount)}"`, {
        pattern,
        hint: 'Close the constraint: ":name(REGEX)", with "(" and ")" inside REGEX balanced or escaped as \\( and \\)',
      }),
    ];
  }
  // Canonical text and shape are built in this one pass (SPEC section 2): no segment objects.
  // TEXTS holds each accepted segment's canonical text, in step with `shape`; they are joined
  // only when the pattern is not kept verbatim.
  // Written by index with counts (`segments` for both, `names` below): `length = 0` would drop
  // their backing stores, and every call would grow them again.
  const texts = TEXTS;
  const shape = SHAPE;
  let segments = 0;
  let catchAll = false;
  // True while every segment is kept exactly as written: the canonical text is then the pattern
  // itself (most tables), and the table keeps no copy of it.
  let verbatim = true;
  // Each accepted segment appends its canonical text and its shape text, written out at each
  // place rather than through a closure: a closure per pattern put `canonical`, `shape` and
  // `catchAll` in a heap context (with the location object issues no longer share, analyzeRoutes
  // of 10,000 routes spent ~25% more CPU; bench/results/floors.md).
  const paramNames = NAMES;
  let names = 0;
  if (namedInSet) {
    NAMED.clear();
    namedInSet = false;
  }
  let anonymous = 0;
  for (let i = 0; i < rawCount; i++) {
    const raw = rawSegments[i]!;
    const last = i === rawCount - 1;
    if (raw === '' && !last) {
      verbatim = false;
      continue; // runs of `/` merge, as in request paths
    }
    if (raw === '*') {
      if (last) {
        texts[segments] = '*';
        shape[segments++] = '*';
        catchAll = true;
      } else {
        const name = String(anonymous++);
        paramNames[names++] = name;
        texts[segments] = '*';
        shape[segments++] = ':';
        catchAll = false;
      }
      continue;
    }
    if (raw.startsWith(':') && raw.includes('(')) {
      const param = constrainedParam(raw, pattern, names, budget);
      if (Array.isArray(param)) issues.push(...param);
      else {
        paramNames[names++] = param.name;
        addedName(names);
        const source = param.regex!.source;
        texts[segments] = ':' + param.name + '(' + source + ')';
        shape[segments++] = ':' + source;
        catchAll = false;
      }
      continue;
    }
    if (raw.includes('*')) {
      issues.push(
        error('wildcard-misplaced', `Invalid path pattern "${pattern}": "*" must be a whole segment, not part of "${raw}"`, {
          pattern,
          hint: 'Use "/*" for the rest of the path, or a ":name" parameter for one segment; write a literal "*" as %2A',
        }),
      );
      continue;
    }
    if (raw.startsWith(':')) {
      const name = raw.slice(1);
      if (!PARAM_NAME.test(name) || name === '__proto__') {
        issues.push(
          error('param-name-invalid', `Invalid parameter "${raw}" in path pattern "${pattern}": names match [A-Za-z_][A-Za-z0-9_]* and are not "__proto__"`, {
            pattern,
            hint: 'Rename the parameter, or write a literal leading colon as %3A',
          }),
        );
      } else if (hasName(name, names)) {
        issues.push(
          error('param-name-duplicate', `Parameter ":${name}" appears twice in path pattern "${pattern}"`, {
            pattern,
            hint: 'Give each parameter of a pattern its own name',
          }),
        );
      } else {
        paramNames[names++] = name;
        addedName(names);
        texts[segments] = raw;
        shape[segments++] = ':';
        catchAll = false;
      }
      continue;
    }
    if (raw.includes('?') || raw.includes('#')) {
      for (const ch of ['?', '#']) {
        if (raw.includes(ch)) {
          issues.push(
            error('pattern-invalid-character', `Path pattern "${pattern}" holds "${ch}": patterns match paths only, never queries or fragments`, {
              pattern,
              hint: `Remove "${ch}..." from the pattern, or write a literal "${ch}" as ${ch === '?' ? '%3F' : '%23'}`,
            }),
          );
        }
      }
      continue;
    }
    const text = canonicalizeSegment(raw, true, false);
    if (typeof text !== 'string') {
      const problem = ESCAPE_PROBLEMS[text.error];
      issues.push(
        error(problem.code, `Path pattern "${pattern}" holds ${problem.what} in segment "${raw}"`, {
          pattern,
          hint: 'Percent-encode the character (a space is %20), and use only valid UTF-8 escapes',
        }),
      );
      continue;
    }
    if (text === '.' || text === '..') {
      issues.push(
        error('pattern-dot-segment', `Path pattern "${pattern}" holds a "${raw}" segment, which request paths never keep`, {
          pattern,
          hint: 'Remove the dot segment: requests are normalized before matching, so it could never match',
        }),
      );
      continue;
    }
    if (text !== raw) verbatim = false;
    texts[segments] = text;
    shape[segments++] = options.caseSensitive ? text : foldAscii(text);
    catchAll = false;
  }
  if (segments > options.limits.maxSegments) {
    issues.push(
      error('pattern-too-many-segments', `Path pattern "${pattern}" has ${segments} segments; the limit is ${options.limits.maxSegments}`, {
        pattern,
        hint: 'Use a catch-all "/*" or raise limits.maxSegments',
      }),
    );
  }
  if (issues.length > 0) return issues.splice(0);
  // The shape the matchers see; equal shapes conflict (SPEC section 3).
  const canonical = verbatim ? pattern : '/' + texts.slice(0, segments).join('/');
  if (options.ignoreTrailingSlash && segments > 1 && shape[segments - 1] === '') segments--;
  // Exact-size copies of the scratch lists: the table keeps these.
  const exact = shape.slice(0, segments);
  const paramList = names === 0 ? NO_NAMES : sharedNames(paramNames, names);
  return {
    canonical,
    paramNames: paramList,
    // Anonymous captures are named by digits, which a written name never starts with.
    namedParams: anonymous === 0 ? paramList : paramList.filter((n) => n.charCodeAt(0) > 0x39),
    catchAll,
    shape: exact,
  };
}

/** The canonical pattern text (`/caf%C3%A9`, `/users/:id/*`, `/f/:id([0-9a-f]{24})`: a REGEX stays as written). */
export function canonicalPattern(parsed: ParsedPattern): string {
  return parsed.canonical;
}

/**
 * Splits a pattern's text after the leading `/` on `/`, except inside the parenthesized
 * constraint of a segment that starts with `:` (a REGEX may hold `/`, as in `[^/]+`). Inside a
 * constraint, `\x` escapes, `[...]` classes (with `]` first and `[:alpha:]` items) and nested
 * groups are skipped as RE2 reads them. Only a `:` segment gets this treatment, so a static
 * segment keeps the plain split (`/a(b/c)` is two segments, as before).
 */
export function splitPattern(body: string): string[] | { unclosed: string } {
  const out: string[] = [];
  const n = splitInto(body, 0, out);
  return n < 0 ? { unclosed: body.slice(-1 - n) } : out.slice(0, n);
}

/**
 * `splitPattern` of `text` from `from` on, into `out` (written by index, a scratch list reused by
 * every parse: a fresh list grown by `push` per pattern was ~150 bytes of garbage each). Returns
 * how many segments it wrote, or `-1 - start` when the segment starting at `start` has an
 * unclosed constraint.
 */
function splitInto(text: string, from: number, out: string[]): number {
  let n = 0;
  let start = from;
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x2f /* / */) {
      out[n++] = text.slice(start, i);
      start = ++i;
    } else if (c === 0x28 /* ( */ && text.charCodeAt(start) === 0x3a /* : */) {
      const end = groupEnd(text, i);
      if (end < 0) return -1 - start;
      i = end;
    } else i++;
  }
  out[n++] = text.slice(start);
  return n;
}

/** The index after the `)` that closes the group opened at `open`, or -1. Linear in the text. */
function groupEnd(text: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\') i += 2;
    else if (ch === '[') {
      i++;
      if (text[i] === '^') i++;
      if (text[i] === ']') i++; // a `]` first in a class is literal
      while (i < text.length && text[i] !== ']') {
        if (text[i] === '\\') i += 2;
        else if (text[i] === '[' && text[i + 1] === ':') {
          const close = text.indexOf(':]', i + 2);
          i = close < 0 ? i + 1 : close + 2;
        } else i++;
      }
      i++;
    } else if (ch === '(') {
      depth++;
      i++;
    } else if (ch === ')') {
      depth--;
      i++;
      if (depth === 0) return i;
    } else i++;
  }
  return -1;
}

/** `:name(REGEX)`: the name's rules, then the REGEX in the linear-time engine (SPEC 10.2). */
function constrainedParam(raw: string, pattern: string, names: number, budget: RegexBudget | undefined): Extract<PatternSegment, { kind: 'param' }> | RouteIssue[] {
  const at = { pattern };
  const open = raw.indexOf('(');
  const name = raw.slice(1, open);
  const end = groupEnd(raw, open);
  if (end !== raw.length) {
    return [
      error('regex-invalid', `Path pattern "${pattern}" has text after the constraint of segment "${raw}"`, {
        ...at,
        hint: 'A constrained parameter is a whole segment, ":name(REGEX)"; put static text in a segment of its own',
      }),
    ];
  }
  const source = raw.slice(open + 1, end - 1);
  const issues: RouteIssue[] = [];
  if (!PARAM_NAME.test(name) || name === '__proto__') {
    issues.push(
      error('param-name-invalid', `Invalid parameter "${raw}" in path pattern "${pattern}": names match [A-Za-z_][A-Za-z0-9_]* and are not "__proto__"`, {
        ...at,
        hint: 'Rename the parameter: a constraint is written ":name(REGEX)"',
      }),
    );
  } else if (hasName(name, names)) {
    issues.push(error('param-name-duplicate', `Parameter ":${name}" appears twice in path pattern "${pattern}"`, { ...at, hint: 'Give each parameter of a pattern its own name' }));
  }
  const regex = compileLinearRegex(source, budget);
  if (isRegexError(regex)) {
    issues.push(
      regex.tooLong
        ? error('regex-too-long', `The constraint of ":${name}" in path pattern "${pattern}" is too large: ${regex.error}`, {
            ...at,
            hint: `Shorten the regular expression (at most ${MAX_REGEX_LENGTH} characters, expanding to at most 1,000 elements; a table's distinct regexes at most 100,000 together), reuse one regex across routes, or match the segment more loosely and check it in the upstream`,
          })
        : error('regex-invalid', `The constraint "${source}" of ":${name}" in path pattern "${pattern}" is not a valid linear-time (RE2) regular expression: ${regex.error}`, {
            ...at,
            hint: 'Use RE2 syntax (https://github.com/google/re2/wiki/Syntax): no back-references (\\1) and no look-around ((?=...), (?!...))',
          }),
    );
  }
  if (issues.length > 0 || isRegexError(regex)) return issues;
  return { kind: 'param', name, anonymous: false, regex };
}
