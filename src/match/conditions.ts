/**
 * Route conditions (SPEC 10.1): which variant of a route accepts a request, and the guards a
 * backend checks during its walk (src/match/core.ts "Conditions"). Evaluated only for routes
 * that have conditions; a table without any never reaches this module on its hot path.
 *
 * Reading a request is lazy and done at most once per `match` call (a `RequestView`), so a
 * megabyte query string is parsed once however many variants read it, and each condition
 * costs linear time in the value it reads (linear-time regexes; no backtracking).
 */
import type { CompiledRoute, FieldCondition, HostMatcher, RouteVariant, ValueMatcher } from '../table/route.js';
import { ALL_METHODS, OTHER_METHOD_BIT } from './core.js';
import type { HeadersLike, MatchRequest } from './types.js';

/** Which of a variant's conditions failed (for `explain`); empty when it accepts. */
export type FailedCondition = 'methods' | 'host' | `header:${string}` | `query:${string}` | 'no-request';

export function hasConditions(v: RouteVariant): boolean {
  return v.methods !== null || v.host !== null || v.headers !== null || v.query !== null;
}

/** One request as conditions read it: each part computed on first use. */
export class RequestView {
  private hostValue: string | null | undefined = undefined;
  /**
   * The host as sent and the bounds of its normalized form in it (`hostEnd` < 0: not read
   * yet). When the raw host is ASCII, host matchers compare in place, folding case, so a
   * lookup allocates no lower-cased copy; otherwise `hostRaw` is `normalizeHost`'s result
   * (whose `toLowerCase` maps some non-ASCII letters onto ASCII ones, such as the Kelvin sign).
   */
  private hostRaw: string | null = null;
  private hostStart = 0;
  private hostEnd = -1;
  private queryValues: Map<string, string> | undefined = undefined;

  constructor(public request: MatchRequest) {}

  /** Reuses this view for another request (the router keeps one, so a lookup allocates none). */
  reset(request: MatchRequest): void {
    this.request = request;
    this.hostValue = undefined;
    this.hostRaw = null;
    this.hostEnd = -1;
    this.queryValues = undefined;
  }

  get method(): string | undefined {
    return this.request.method;
  }

  /** The lower-case host without port, or null when the request names none. */
  host(): string | null {
    if (this.hostValue === undefined) this.hostValue = normalizeHost(this.request.host ?? this.header('host'));
    return this.hostValue;
  }

  /** Whether one of `matchers` accepts the host: `hostMatches(matchers, this.host())` without lower-casing a copy. */
  hostIs(matchers: readonly HostMatcher[]): boolean {
    if (this.hostEnd < 0) this.readHost();
    const raw = this.hostRaw;
    if (raw === null) return false;
    const start = this.hostStart;
    const length = this.hostEnd - start;
    for (const m of matchers) {
      if ('exact' in m) {
        if (length === m.exact.length && foldedAt(raw, start, m.exact)) return true;
      } else if ('suffix' in m) {
        if (length > m.suffix.length && foldedAt(raw, this.hostEnd - m.suffix.length, m.suffix)) return true;
      } else {
        const host = this.host();
        if (host !== null && m.regex.test(host)) return true;
      }
    }
    return false;
  }

  /** `normalizeHost`'s bounds in the raw host, read in place when it is ASCII. */
  private readHost(): void {
    const raw = this.request.host ?? this.header('host');
    this.hostEnd = 0;
    if (typeof raw !== 'string' || raw === '') return;
    let start = 0;
    let end = raw.length;
    for (let i = 0; i < end; i++) {
      if (raw.charCodeAt(i) > 0x7f) {
        const host = this.host();
        if (host !== null) {
          this.hostRaw = host;
          this.hostEnd = host.length;
        }
        return;
      }
    }
    // `trim()` of an ASCII string: tab, line feed, vertical tab, form feed, carriage return, space.
    while (start < end && isAsciiSpace(raw.charCodeAt(start))) start++;
    while (end > start && isAsciiSpace(raw.charCodeAt(end - 1))) end--;
    if (raw.charCodeAt(start) === 0x5b /* [ */) {
      const close = raw.indexOf(']', start);
      if (close >= 0 && close < end) end = close + 1;
    } else {
      const colon = raw.indexOf(':', start);
      if (colon >= 0 && colon < end) end = colon;
    }
    if (end > start && raw.charCodeAt(end - 1) === 0x2e /* . */) end--;
    if (end === start) return;
    this.hostRaw = raw;
    this.hostStart = start;
    this.hostEnd = end;
  }

  /** A header's value, repeated lines joined with ", " (SPEC 10); null when absent. */
  header(name: string): string | null {
    return readHeader(this.request.headers, name);
  }

  /** The decoded value of a query parameter's first occurrence; null when absent. */
  query(name: string): string | null {
    if (this.queryValues === undefined) this.queryValues = parseQuery(this.request.query ?? '');
    return this.queryValues.get(name) ?? null;
  }
}

function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** `raw` at `start` holds `lower` (lower-case ASCII) with ASCII letters of either case. */
function foldedAt(raw: string, start: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = raw.charCodeAt(start + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function readHeader(headers: HeadersLike | undefined, name: string): string | null {
  if (headers === undefined || headers === null) return null;
  try {
    if (typeof headers === 'function') return headers(name) ?? null;
    if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name) ?? null;
    const value = (headers as Readonly<Record<string, string | readonly string[] | undefined>>)[name];
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(', ');
  } catch {
    // A host's header object that throws is read as "absent": matching never throws.
    return null;
  }
}

/** `Example.COM:8080` -> `example.com`; `[::1]:80` -> `[::1]`; a trailing dot is dropped. */
export function normalizeHost(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string' || raw === '') return null;
  let host = raw.trim().toLowerCase();
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    host = close < 0 ? host : host.slice(0, close + 1);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host === '' ? null : host;
}

/** First occurrence of each name, form-decoded (`+` is a space), as URLSearchParams reads them. */
function parseQuery(query: string): Map<string, string> {
  const values = new Map<string, string>();
  if (query === '') return values;
  let start = 0;
  while (start <= query.length) {
    let amp = query.indexOf('&', start);
    if (amp < 0) amp = query.length;
    if (amp > start) {
      const eq = query.indexOf('=', start);
      const hasValue = eq >= 0 && eq < amp;
      const name = formDecode(query.slice(start, hasValue ? eq : amp));
      if (!values.has(name)) values.set(name, hasValue ? formDecode(query.slice(eq + 1, amp)) : '');
    }
    start = amp + 1;
  }
  return values;
}

function formDecode(text: string): string {
  const plain = text.indexOf('+') >= 0 ? text.replace(/\+/g, ' ') : text;
  if (plain.indexOf('%') < 0) return plain;
  try {
    return decodeURIComponent(plain);
  } catch {
    return plain; // a malformed escape is compared as sent
  }
}

function valueMatches(matcher: ValueMatcher, value: string | null): boolean {
  switch (matcher.kind) {
    case 'present':
      return value !== null;
    case 'absent':
      return value === null;
    case 'equals':
      return value === matcher.value;
    case 'prefix':
      return value !== null && value.startsWith(matcher.value);
    case 'regex':
      return value !== null && matcher.regex.test(value);
  }
}

/** Host matchers against a normalized host (explain; the hot path uses `RequestView.hostIs`, tested equal). */
export function hostMatches(matchers: readonly HostMatcher[], host: string | null): boolean {
  if (host === null) return false;
  for (const m of matchers) {
    if ('exact' in m ? host === m.exact : 'suffix' in m ? host.length > m.suffix.length && host.endsWith(m.suffix) : m.regex.test(host)) return true;
  }
  return false;
}

function fieldsHold(conditions: readonly FieldCondition[], read: (name: string) => string | null, prefix: 'header' | 'query', failed: FailedCondition[] | null): boolean {
  let ok = true;
  for (const c of conditions) {
    if (!valueMatches(c.matcher, read(c.name))) {
      ok = false;
      if (failed === null) return false;
      failed.push(`${prefix}:${c.name}`);
    }
  }
  return ok;
}

/**
 * Whether `variant` accepts the request; `failed` (when given) collects every failing
 * condition. `ignoreMethods` answers "would it accept with the right method" (the 405 check).
 */
export function variantAccepts(variant: RouteVariant, view: RequestView | null, failed: FailedCondition[] | null = null, ignoreMethods = false): boolean {
  if (!hasConditions(variant)) return true;
  if (view === null) {
    failed?.push('no-request');
    return false;
  }
  let ok = true;
  if (!ignoreMethods && variant.methods !== null && (view.method === undefined || !variant.methods.includes(view.method))) {
    ok = false;
    if (failed === null) return false;
    failed.push('methods');
  }
  if (variant.host !== null && !hostMatches(variant.host, view.host())) {
    ok = false;
    if (failed === null) return false;
    failed.push('host');
  }
  if (variant.headers !== null && !fieldsHold(variant.headers, (n) => view.header(n), 'header', failed)) {
    ok = false;
    if (failed === null) return false;
  }
  if (variant.query !== null && !fieldsHold(variant.query, (n) => view.query(n), 'query', failed)) ok = false;
  return ok;
}

/** The first variant of `route` that accepts, or null. */
export function acceptingVariant(route: CompiledRoute, view: RequestView | null): RouteVariant | null {
  for (const v of route.variants) if (variantAccepts(v, view)) return v;
  return null;
}

/**
 * `acceptingVariant` on the hot path: the same answer, with the method decided by the
 * variants' masks (`bit`: the request's one method bit, see `methodBit`) and no closure or
 * array per call. `variantAccepts` stays the one written for explain's reasons.
 */
export function firstAccepting(route: CompiledRoute, masks: Int32Array, bit: number, view: RequestView | null): RouteVariant | null {
  const variants = route.variants;
  for (let i = 0; i < variants.length; i++) {
    const v = variants[i]!;
    if (v.methods !== null) {
      // A named method has its own bit; OTHER_METHOD_BIT is shared, so there the list decides.
      if (bit !== OTHER_METHOD_BIT ? (masks[i]! & bit) === 0 : view === null || view.method === undefined || !v.methods.includes(view.method)) continue;
    }
    if (v.host === null && v.headers === null && v.query === null) return v;
    if (view === null) continue;
    if (v.host !== null && !view.hostIs(v.host)) continue;
    if (v.headers !== null && !headersHold(v.headers, view)) continue;
    if (v.query !== null && !queryHolds(v.query, view)) continue;
    return v;
  }
  return null;
}

function headersHold(conditions: readonly FieldCondition[], view: RequestView): boolean {
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i]!;
    if (!valueMatches(c.matcher, view.header(c.name))) return false;
  }
  return true;
}

function queryHolds(conditions: readonly FieldCondition[], view: RequestView): boolean {
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i]!;
    if (!valueMatches(c.matcher, view.query(c.name))) return false;
  }
  return true;
}

/** Method bits of a table and the guards' arrays (src/match/core.ts "Conditions"). */
export interface MethodBits {
  /** Bit of each method the table names (at most 30; later ones share OTHER_METHOD_BIT and are checked). */
  readonly bits: ReadonlyMap<string, number>;
  readonly methods: Int32Array;
  readonly checked: Uint8Array;
  /** Per route, each variant's method mask (-1: any method), for choosing a variant without reading the request again. */
  readonly variantMasks: readonly Int32Array[];
  /** No route is `checked`: methods are the table's only conditions, so `accept` is never called. */
  readonly methodsOnly: boolean;
  /**
   * `bits` as two arrays scanned by `methodBit`, the usual methods first: comparing a method
   * (an internalized string from Node's parser) with `===` a few times costs a fraction of a
   * `Map.get` (measured ~50 ns for Map.get vs ~5 ns here, notes-lookup.md Session 22).
   */
  readonly names: readonly string[];
  readonly values: Int32Array;
}

/** The first variant whose mask holds `bit` (the router only asks where one does). */
export function firstVariantFor(masks: Int32Array, bit: number): number {
  for (let i = 0; i < masks.length; i++) if ((masks[i]! & bit) !== 0) return i;
  return 0;
}

/** Null for a table without conditions: its backend gets no guards at all. */
export function methodBits(routes: readonly CompiledRoute[]): MethodBits | null {
  if (!routes.some((r) => r.variants.some(hasConditions))) return null;
  const bits = new Map<string, number>();
  for (const r of routes) for (const v of r.variants) for (const m of v.methods ?? []) if (!bits.has(m) && bits.size < 30) bits.set(m, 1 << bits.size);
  const methods = new Int32Array(routes.length);
  const checked = new Uint8Array(routes.length);
  const variantMasks = routes.map((route, i) => {
    let mask = 0;
    let check = false;
    const masks = new Int32Array(route.variants.length);
    route.variants.forEach((v, k) => {
      if (v.host !== null || v.headers !== null || v.query !== null) check = true;
      let own = 0;
      if (v.methods === null) own = ALL_METHODS;
      else {
        for (const m of v.methods) {
          const bit = bits.get(m);
          if (bit !== undefined) own |= bit;
          else {
            // A 31st distinct method: the mask cannot tell it apart, so `accept` decides.
            own |= OTHER_METHOD_BIT;
            check = true;
          }
        }
      }
      masks[k] = own;
      mask |= own;
    });
    methods[i] = mask;
    checked[i] = check ? 1 : 0;
    return masks;
  });
  const names = [...bits.keys()].sort((a, b) => commonness(a) - commonness(b));
  const values = Int32Array.from(names, (m) => bits.get(m)!);
  return { bits, methods, checked, variantMasks, methodsOnly: checked.every((c) => c === 0), names, values };
}

const COMMON_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** Scan order of `methodBit`: the usual methods first, in order of how often requests carry them. */
function commonness(method: string): number {
  const i = COMMON_METHODS.indexOf(method);
  return i < 0 ? COMMON_METHODS.length : i;
}

/**
 * The one bit a request's method sets (no request, or a method the table does not name: a
 * bit no method list holds). A `method` getter that throws reads as no method: matching never
 * throws.
 */
export function methodBit(bits: MethodBits, request: MatchRequest | undefined): number {
  if (request === undefined || request === null) return OTHER_METHOD_BIT;
  let method: unknown;
  try {
    method = request.method;
  } catch {
    return OTHER_METHOD_BIT;
  }
  const names = bits.names;
  for (let i = 0; i < names.length; i++) if (names[i] === method) return bits.values[i]!;
  return OTHER_METHOD_BIT;
}
