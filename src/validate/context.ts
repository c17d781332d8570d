/**
 * Where a route object's problems are reported: every issue names the pattern, the variant
 * (0-based `variant`, `#N` counted from 1 in messages) and the field, and carries a hint.
 * Also the small readers every field validator shares (plain objects, unknown fields, whole
 * numbers in a range, durations, sizes, HTTP tokens), so each rule is written once.
 */
import type { RegexBudget } from '../regex/linear.js';
import { error, type IssueCode, type RouteIssue } from './issues.js';
import { nearestName } from './suggest.js';
import { MAX_DURATION_MS, parseDuration, parseSize } from './units.js';

export interface VariantContext {
  readonly pattern: string;
  readonly variant: number;
  /** True when the value is an array (messages then say `#N`). */
  readonly inArray: boolean;
  readonly issues: RouteIssue[];
  /** The table's regex budget (src/regex/linear.ts), shared by patterns and matchers. */
  readonly regexBudget?: RegexBudget;
}

/** `Route "/api/*"`, or `Route "/api/*" #2` for the second variant of an array. */
export function where(ctx: VariantContext): string {
  return `Route "${ctx.pattern}"${ctx.inArray ? ` #${ctx.variant + 1}` : ''}`;
}

/** Reports a problem of `field`; the message reads `Route "/p" #2: <field> <what>`. */
export function fail(ctx: VariantContext, code: IssueCode, field: string, what: string, hint: string): void {
  ctx.issues.push(error(code, `${where(ctx)}: ${field} ${what}`, { pattern: ctx.pattern, variant: ctx.variant, field, hint }));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A short, safe rendering of a value for a message (never a megabyte, never a secret's whole text). */
export function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  if (typeof value === 'function') return 'a function'; // String() would print its whole source
  return String(value as number | boolean | bigint | symbol | undefined);
}

/** Joins a field path: `retry` + `attempts` -> `retry.attempts`. */
export function sub(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** Unknown fields reported one by one per object; the rest are counted in one more issue. */
const MAX_UNKNOWN_REPORTED = 16;

/** What other gateways call a route's target: the hint names `target` for them, however far the spelling. */
const TARGET_ALIASES: Record<string, string> = {
  url: 'target',
  uri: 'target',
  upstream: 'target',
  destination: 'target',
  backend: 'target',
  proxy_pass: 'target',
  service: 'target',
};

/**
 * Reports every key of `obj` not in `known` (`route-unknown-field`, with the nearest known
 * name as the hint) and returns true when there was none.
 */
export function checkKnown(ctx: VariantContext, obj: Record<string, unknown>, known: readonly string[], parent: string): boolean {
  let ok = true;
  let unknown = 0;
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    ok = false;
    // A hostile object with thousands of keys gets a bounded answer (each hint costs an edit distance per known name).
    if (++unknown > MAX_UNKNOWN_REPORTED) continue;
    const near = nearestName(key, known) ?? (known.includes('target') ? TARGET_ALIASES[key.toLowerCase()] : undefined);
    const shown = key.length > 64 ? key.slice(0, 64) + '...' : key;
    ctx.issues.push(
      error('route-unknown-field', `${where(ctx)}: unknown field "${sub(parent, shown)}"`, {
        pattern: ctx.pattern,
        variant: ctx.variant,
        field: sub(parent, shown),
        hint: near !== undefined ? `Did you mean "${near}"? A misspelt field would silently switch its policy off` : `Known fields here: ${known.join(', ')}`,
      }),
    );
  }
  if (unknown > MAX_UNKNOWN_REPORTED) {
    ctx.issues.push(
      error('route-unknown-field', `${where(ctx)}: ${unknown - MAX_UNKNOWN_REPORTED} more unknown fields${parent ? ` in "${parent}"` : ''}`, {
        pattern: ctx.pattern,
        variant: ctx.variant,
        field: parent || '*',
        hint: `Known fields here: ${known.join(', ')}`,
      }),
    );
  }
  return ok;
}

/** A whole number in [min, max], or undefined (reported) when `value` is not one. */
export function wholeNumber(ctx: VariantContext, code: IssueCode, field: string, value: unknown, min: number, max: number): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  fail(ctx, code, field, `must be a whole number from ${min} to ${max}, not ${show(value)}`, `Write a number such as ${min === 0 ? Math.min(max, 1) : min}`);
  return undefined;
}

/** A duration in milliseconds, at least `min` (SPEC 10), or undefined (reported). */
export function duration(ctx: VariantContext, field: string, value: unknown, min = 1): number | undefined {
  const ms = parseDuration(value);
  if (ms !== null && ms >= min && ms <= MAX_DURATION_MS) return ms;
  fail(
    ctx,
    'duration-invalid',
    field,
    ms === null ? `must be a duration, not ${show(value)}` : `must be from ${min} ms to ${MAX_DURATION_MS} ms, not ${ms} ms`,
    'Write whole milliseconds (a number) or a string such as "250ms", "15s", "2m", "1h"',
  );
  return undefined;
}

/** A size in bytes, at least `min`, or undefined (reported). */
export function size(ctx: VariantContext, field: string, value: unknown, min = 0): number | undefined {
  const bytes = parseSize(value);
  if (bytes !== null && bytes >= min) return bytes;
  fail(
    ctx,
    'size-invalid',
    field,
    bytes === null ? `must be a size, not ${show(value)}` : `must be at least ${min} bytes, not ${bytes}`,
    'Write whole bytes (a number) or a string such as "64KB" or "5MB" (KB = 1024 bytes)',
  );
  return undefined;
}

/** RFC 9110 `token`: method names and header field names. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** At most this many characters in a header name, method or host (bounded messages and work). */
export const MAX_NAME_LENGTH = 256;

/** A header name (a token), lower-cased, or undefined (reported under `code`). */
export function headerName(ctx: VariantContext, code: IssueCode, field: string, value: unknown): string | undefined {
  if (typeof value === 'string' && value.length <= MAX_NAME_LENGTH && HTTP_TOKEN.test(value)) return value.toLowerCase();
  fail(ctx, code, field, `must be a header name (letters, digits and !#$%&'*+-.^_\`|~), not ${show(value)}`, 'Write a header name such as "x-api-key"');
  return undefined;
}

/** A list (array) of at most `max` items, or undefined (reported). Empty is allowed when `min` is 0. */
export function list(ctx: VariantContext, code: IssueCode, field: string, value: unknown, min: number, max: number, what: string): unknown[] | undefined {
  if (Array.isArray(value) && value.length >= min && value.length <= max) return value as unknown[];
  fail(
    ctx,
    code,
    field,
    Array.isArray(value) ? `must hold ${min === max ? min : `${min} to ${max}`} ${what}, not ${value.length}` : `must be a list of ${what}, not ${show(value)}`,
    `Write a JSON array of ${what}${min > 0 ? ` (at least ${min})` : ''}`,
  );
  return undefined;
}

/** An http(s) URL with a host and without a fragment, as written, or undefined (reported). */
export function httpUrl(ctx: VariantContext, code: IssueCode, field: string, value: unknown): string | undefined {
  // The scheme is required as written: the URL parser would also take " https://..." or "https:x".
  if (typeof value === 'string' && value.length <= 2048 && /^https?:\/\/[^#]+$/i.test(value)) {
    try {
      const url = new URL(value);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '' && !value.includes('#')) return value;
    } catch {
      // reported below
    }
  }
  fail(ctx, code, field, `must be an absolute http:// or https:// URL without a fragment, not ${show(value)}`, 'Write a URL such as "https://auth.example.com/check"');
  return undefined;
}
