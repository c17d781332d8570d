/**
 * A fast path for the constraints people actually write (`[0-9]+`, `\d+`, `[0-9a-f]{24}`,
 * `[a-z][a-z0-9-]{0,38}`, `tenant-[0-9]+`, `v1|v2|beta`): whole-value matching as a loop over
 * character classes instead of a re2js run (which costs a few hundred ns of machine set-up per
 * call, measured in bench/results/notes-lookup.md).
 *
 * It claims a source only when it can prove the loop gives exactly re2js's answer, and returns
 * null otherwise (re2js then serves). What it claims:
 *   - an alternation of plain literals, optionally inside one group: `a|bc`, `(?:v1|v2)`;
 *   - a sequence of items, each a literal character or a positive ASCII class (`[...]` of
 *     characters and ranges, `\d`, `\w`, `\s`), with an optional `?`, `*`, `+`, `{n}`, `{n,}`
 *     or `{n,m}`, where every item whose count varies has a class disjoint from the classes
 *     that could take the next character (the following items up to the first mandatory one).
 *     There greedy matching without backtracking is exact: a character in the varying item's
 *     class can never start what follows, so taking fewer of them cannot help.
 * Everything else (negated classes, `.`, flags, anchors, nested groups, non-ASCII text, Unicode
 * classes) is left to re2js. Classes are ASCII only, so a value with any non-ASCII code unit
 * (or a surrogate pair, which re2js reads as one code point) matches none of them: same answer
 * whichever way the value is counted.
 *
 * test/regex-fast.test.ts checks, over generated sources and values, that every source claimed
 * here gets re2js's answer.
 */

/** Whole-value test of `value.slice(start, end)`, without slicing. */
export type RangeTest = (value: string, start: number, end: number) => boolean;

interface Item {
  /** 128 entries, 1 where the ASCII character belongs to the class. */
  readonly set: Uint8Array;
  readonly min: number;
  readonly max: number;
}

const META = new Set('\\.+*?()|[]{}^$');

function classOf(chars: string): Uint8Array {
  const set = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) set[chars.charCodeAt(i)] = 1;
  return set;
}

function range(lo: number, hi: number): string {
  let s = '';
  for (let c = lo; c <= hi; c++) s += String.fromCharCode(c);
  return s;
}

const DIGIT = range(48, 57);
const WORD = DIGIT + range(65, 90) + range(97, 122) + '_';
/** RE2's `\s`: `[\t\n\f\r ]` (no vertical tab). */
const SPACE = '\t\n\f\r ';

const isAsciiPrintable = (c: number) => c >= 0x20 && c < 0x7f;
const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * Parses an escape at `source[i] === '\\'`: a Perl class (`\d`, `\w`, `\s`) or an escaped
 * punctuation character. Returns the characters it stands for and where parsing goes on, or
 * null for anything else (`\D`, `\b`, `\pN`, `\x41`, ...).
 */
function escape(source: string, i: number): { chars: string; next: number } | null {
  const c = source.charCodeAt(i + 1);
  if (c === 0x64 /* d */) return { chars: DIGIT, next: i + 2 };
  if (c === 0x77 /* w */) return { chars: WORD, next: i + 2 };
  if (c === 0x73 /* s */) return { chars: SPACE, next: i + 2 };
  if (isAsciiPrintable(c) && !isAlnum(c) && c !== 0x20) return { chars: source[i + 1]!, next: i + 2 };
  return null;
}

/** A positive class at `source[i] === '['`, or null when outside the claimed form. */
function bracket(source: string, i: number): { chars: string; next: number } | null {
  let j = i + 1;
  // `[^...]` can match non-ASCII code points (counted differently by re2js) and `[]...]` is
  // a literal `]`: both are left to re2js.
  if (source[j] === '^' || source[j] === ']') return null;
  let chars = '';
  while (j < source.length && source[j] !== ']') {
    let lo: number;
    if (source[j] === '\\') {
      const e = escape(source, j);
      if (e === null) return null;
      if (e.chars.length > 1) {
        chars += e.chars;
        j = e.next;
        continue;
      }
      lo = e.chars.charCodeAt(0);
      j = e.next;
    } else {
      lo = source.charCodeAt(j);
      // `[` inside a class may open a POSIX class (`[[:alpha:]]`).
      if (!isAsciiPrintable(lo) || lo === 0x5b) return null;
      j++;
    }
    if (source[j] === '-' && j + 1 < source.length && source[j + 1] !== ']') {
      const hi = source.charCodeAt(j + 1);
      if (!isAsciiPrintable(hi) || hi === 0x5c || hi === 0x5b || hi < lo) return null;
      chars += range(lo, hi);
      j += 2;
    } else {
      chars += String.fromCharCode(lo);
    }
  }
  if (j >= source.length || chars === '') return null;
  return { chars, next: j + 1 };
}

/** A quantifier at `source[i]` (or none): the count bounds and where parsing goes on. */
function quantifier(source: string, i: number): { min: number; max: number; next: number } | null {
  const c = source[i];
  let q: { min: number; max: number; next: number };
  if (c === '?') q = { min: 0, max: 1, next: i + 1 };
  else if (c === '*') q = { min: 0, max: Infinity, next: i + 1 };
  else if (c === '+') q = { min: 1, max: Infinity, next: i + 1 };
  else if (c === '{') {
    const m = /^\{(\d{1,4})(,(\d{0,4}))?\}/.exec(source.slice(i));
    if (m === null) return null; // RE2 would read a malformed `{` as a literal: left to it
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (max < min || min > 1000 || (max !== Infinity && max > 1000)) return null;
    q = { min, max, next: i + m[0].length };
  } else return { min: 1, max: 1, next: i };
  // A lazy or stacked quantifier (`+?`, `a**`) is left to re2js.
  const after = source[q.next];
  if (after === '?' || after === '*' || after === '+' || after === '{') return null;
  return q;
}

function parseSequence(source: string): Item[] | null {
  const items: Item[] = [];
  let i = 0;
  while (i < source.length) {
    let atom: { chars: string; next: number } | null;
    const c = source.charCodeAt(i);
    if (source[i] === '\\') atom = escape(source, i);
    else if (source[i] === '[') atom = bracket(source, i);
    else if (isAsciiPrintable(c) && !META.has(source[i]!)) atom = { chars: source[i]!, next: i + 1 };
    else return null;
    if (atom === null) return null;
    const q = quantifier(source, atom.next);
    if (q === null) return null;
    items.push({ set: classOf(atom.chars), min: q.min, max: q.max });
    i = q.next;
  }
  return items.length > 0 && greedyIsExact(items) ? items : null;
}

function disjoint(a: Uint8Array, b: Uint8Array): boolean {
  for (let c = 0; c < 128; c++) if (a[c] === 1 && b[c] === 1) return false;
  return true;
}

/** Every varying item's class is disjoint from what could take the character after it. */
function greedyIsExact(items: readonly Item[]): boolean {
  for (let i = 0; i < items.length; i++) {
    if (items[i]!.min === items[i]!.max) continue;
    for (let j = i + 1; j < items.length; j++) {
      if (!disjoint(items[i]!.set, items[j]!.set)) return false;
      if (items[j]!.min > 0) break;
    }
  }
  return true;
}

/** `a|bc|d`, optionally inside one `(...)` or `(?:...)`: plain literals only. */
function parseLiterals(source: string): string[] | null {
  let body = source;
  if (body.startsWith('(?:') && body.endsWith(')')) body = body.slice(3, -1);
  else if (body.startsWith('(') && body.endsWith(')')) body = body.slice(1, -1);
  const parts = body.split('|');
  for (const part of parts) {
    if (part === '') return null;
    for (let i = 0; i < part.length; i++) if (!isAsciiPrintable(part.charCodeAt(i)) || META.has(part[i]!)) return null;
  }
  return parts;
}

function sequenceTest(items: readonly Item[]): RangeTest {
  const sets = items.map((x) => x.set);
  const mins = Int32Array.from(items, (x) => x.min);
  // Infinity does not fit an Int32Array; a value is never longer than 2^31.
  const maxs = Int32Array.from(items, (x) => (x.max === Infinity ? 0x7fffffff : x.max));
  const n = items.length;
  return (value, start, end) => {
    let p = start;
    for (let k = 0; k < n; k++) {
      const set = sets[k]!;
      const max = maxs[k]!;
      let taken = 0;
      while (taken < max && p < end) {
        const c = value.charCodeAt(p);
        if (c >= 128 || set[c] === 0) break;
        p++;
        taken++;
      }
      if (taken < mins[k]!) return false;
    }
    return p === end;
  };
}

function literalsTest(literals: readonly string[]): RangeTest {
  return (value, start, end) => {
    const length = end - start;
    for (const literal of literals) if (literal.length === length && value.startsWith(literal, start)) return true;
    return false;
  };
}

/** The loop for `source` when it is of a claimed form (see above), else null. */
export function compileFastRegex(source: string): RangeTest | null {
  const items = parseSequence(source);
  if (items !== null) return sequenceTest(items);
  const literals = parseLiterals(source);
  return literals === null ? null : literalsTest(literals);
}
