/**
 * `Cache-Control` parsing (RFC 9111 section 5.2) for the portable route cache. Pure: no Node
 * built-ins. It is undici 7's parser (lib/util/cache.js `parseCacheControlHeader`), decision for
 * decision, so a route reads the same directives on the Node proxy and on a fetch runtime:
 * - a malformed delta-seconds (`max-age = 5`, `max-age=5x`, `max-age` without a value) removes
 *   the directive and every later copy of it, and is remembered (`hasInvalidDirective`): a
 *   response with an invalid `max-age` or `s-maxage` is stale at once;
 * - duplicated delta-seconds keep the most restrictive value (`min-fresh`: the largest);
 * - a restrictive name with junk attached (`no-store"x`, `private;`) still counts (fail safe),
 *   a longer token (`no-storex`) is an unknown directive and is ignored;
 * - `no-cache` / `private` may name fields (quoted lists, across commas); an invalid name makes
 *   the directive unqualified;
 * - flags given a value (`public=1`) are dropped with every later copy;
 * - the whole header is lower-cased, field names included.
 */

export interface CacheDirectives {
  'max-age'?: number;
  's-maxage'?: number;
  'min-fresh'?: number;
  'max-stale'?: number;
  'stale-while-revalidate'?: number;
  'stale-if-error'?: number;
  'no-store'?: true;
  'no-cache'?: true | string[];
  private?: true | string[];
  public?: true;
  'must-revalidate'?: true;
  'proxy-revalidate'?: true;
  immutable?: true;
  'no-transform'?: true;
  'must-understand'?: true;
  'only-if-cached'?: true;
}

type NumericName = 'max-age' | 's-maxage' | 'min-fresh' | 'max-stale' | 'stale-while-revalidate' | 'stale-if-error';
type FlagName = 'public' | 'must-revalidate' | 'proxy-revalidate' | 'immutable' | 'no-transform' | 'must-understand' | 'only-if-cached';
const NUMERIC = new Set<string>(['max-age', 's-maxage', 'min-fresh', 'max-stale', 'stale-while-revalidate', 'stale-if-error']);
const FLAGS = new Set<string>(['public', 'must-revalidate', 'proxy-revalidate', 'immutable', 'no-transform', 'must-understand', 'only-if-cached']);
const RESTRICTIVE = ['no-store', 'private', 'no-cache'] as const;
/** undici's cap on delta-seconds (RFC 9111 section 1.2.2: 2^31). */
const MAX_DELTA_SECONDS = 2147483647;
/** The malformed delta-seconds directives of a parse, not enumerable (as undici keeps them): stored entries never carry it. */
const INVALID = Symbol('invalid cache-control directives');

const TOKEN_CHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Optional whitespace (RFC 9110 section 5.6.3) is space and tab only. */
export function trimOWS(value: string): string {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  // Most values have none: no regex run, no new string (a miss parses every directive).
  if (first !== 0x20 && first !== 0x09 && last !== 0x20 && last !== 0x09) return value;
  return value.replace(/^[\t ]+|[\t ]+$/g, '');
}

/** True when the parse of `directives` found `name` malformed (then undici treats the response as stale). */
export function hasInvalidDirective(directives: CacheDirectives, name: NumericName): boolean {
  return (directives as { [INVALID]?: Set<string> })[INVALID]?.has(name) === true;
}

function markInvalid(out: CacheDirectives, name: string): void {
  let set = (out as { [INVALID]?: Set<string> })[INVALID];
  if (set === undefined) Object.defineProperty(out, INVALID, { value: (set = new Set<string>()) });
  set.add(name);
}

interface Part {
  readonly value: string;
  /** After an opening quote that never closes: such parts are not trusted for lifetimes or flags. */
  readonly fromMalformedQuote: boolean;
}

/** Splits on commas outside double quotes; an unclosed quote's tail is split on every comma. */
function split(value: string): Part[] {
  const parts: Part[] = [];
  let start = 0;
  let quoteStart = -1;
  let inQuote = false;
  let escaped = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (inQuote) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') {
        inQuote = false;
        quoteStart = -1;
      }
    } else if (c === '"') {
      inQuote = true;
      quoteStart = i;
    } else if (c === ',') {
      parts.push({ value: value.substring(start, i), fromMalformedQuote: false });
      start = i + 1;
    }
  }
  if (!inQuote) {
    parts.push({ value: value.substring(start), fromMalformedQuote: false });
    return parts;
  }
  const tail = value.substring(start);
  const quoteOffset = quoteStart - start;
  let tailStart = 0;
  for (let i = 0; i < tail.length; i++) {
    if (tail[i] === ',') {
      parts.push({ value: tail.substring(tailStart, i), fromMalformedQuote: tailStart > quoteOffset });
      tailStart = i + 1;
    }
  }
  parts.push({ value: tail.substring(tailStart), fromMalformedQuote: tailStart > quoteOffset });
  return parts;
}

function unescapedQuote(value: string, from: number): number {
  let escaped = false;
  for (let i = from; i < value.length; i++) {
    if (escaped) escaped = false;
    else if (value[i] === '\\') escaped = true;
    else if (value[i] === '"') return i;
  }
  return -1;
}

/** `no-store"x`, `pri vate`: a restrictive directive with non-token characters in or after it. */
function malformedRestrictive(key: string): (typeof RESTRICTIVE)[number] | undefined {
  // A whole token (the usual case) has nothing attached: both tests below fail for it.
  if (TOKEN.test(key)) return undefined;
  for (const name of RESTRICTIVE) if (key.startsWith(name) && key.length > name.length && !TOKEN_CHAR.test(key[name.length]!)) return name;
  let tokenOnly = '';
  let junk = false;
  for (const c of key) {
    // undici tests UTF-16 units: a surrogate pair is two non-token units, the same outcome.
    if (TOKEN_CHAR.test(c)) tokenOnly += c;
    else junk = true;
  }
  return junk && (RESTRICTIVE as readonly string[]).includes(tokenOnly) ? (tokenOnly as (typeof RESTRICTIVE)[number]) : undefined;
}

/** The directives of a `Cache-Control` header (one value or several); unknown ones are ignored. */
export function parseCacheControl(header: string | readonly string[] | undefined): CacheDirectives {
  const out: CacheDirectives = {};
  if (header === undefined) return out;
  const o = out as Record<string, unknown>;
  const invalidNumeric = new Set<string>();
  const invalidFlag = new Set<string>();
  const parts = split(typeof header === 'string' ? header : header.join(','));
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const directive = part.value.toLowerCase();
    const eq = directive.indexOf('=');
    let key: string;
    let value: string | undefined;
    let spaced = false;
    if (eq !== -1) {
      const rawKey = directive.substring(0, eq);
      const rawValue = directive.substring(eq + 1);
      key = trimOWS(rawKey);
      value = rawValue.replace(/^[\t ]+/, '');
      // `max-age = 5`: whitespace around '=' is not delta-seconds syntax.
      spaced = rawKey.replace(/[\t ]+$/, '') !== rawKey || value !== rawValue;
    } else key = trimOWS(directive);

    const restrictive = malformedRestrictive(key);
    if (restrictive !== undefined) {
      o[restrictive] = true;
      continue;
    }
    if (NUMERIC.has(key)) {
      if (part.fromMalformedQuote || invalidNumeric.has(key)) continue;
      if (value !== undefined && !spaced && value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"') value = value.substring(1, value.length - 1);
      if (value === undefined || spaced || !/^[0-9]+$/.test(value)) {
        delete o[key];
        invalidNumeric.add(key);
        markInvalid(out, key);
        continue;
      }
      const n = Math.min(Number.parseInt(value, 10), MAX_DELTA_SECONDS);
      const prev = o[key] as number | undefined;
      o[key] = prev === undefined ? n : key === 'min-fresh' ? Math.max(prev, n) : Math.min(prev, n);
    } else if ((key === 'no-cache' || key === 'private') && (value !== undefined || part.fromMalformedQuote)) {
      if (part.fromMalformedQuote || value === undefined || value.length === 0) {
        o[key] = true;
        continue;
      }
      let fields: string[];
      if (value[0] === '"') {
        // `no-cache="a"` or `no-cache="a, b"` (a list the splitter may have cut at a comma).
        value = value.replace(/[\t ]+$/, '');
        const close = unescapedQuote(value, 1);
        let list: string;
        if (close !== -1) list = value.substring(1, close);
        else {
          const pieces = [value.substring(1)];
          let found = false;
          let last = i;
          for (let j = i + 1; j < parts.length; j++) {
            // undici reads the continuation as written (not lower-cased).
            const next = trimOWS(parts[j]!.value);
            const q = unescapedQuote(next, 0);
            last = j;
            if (q !== -1) {
              pieces.push(next.substring(0, q));
              found = true;
              break;
            }
            pieces.push(next);
          }
          if (!found) {
            o[key] = true;
            continue;
          }
          i = last;
          list = pieces.join(',');
        }
        fields = list.split(',').map(trimOWS);
      } else fields = [trimOWS(value)];
      const prev = o[key] as true | string[] | undefined;
      if (!fields.every((f) => TOKEN.test(f))) o[key] = true;
      else if (prev !== true) o[key] = prev === undefined ? fields : prev.concat(fields);
    } else if (FLAGS.has(key) || key === 'no-cache' || key === 'private') {
      if (part.fromMalformedQuote || invalidFlag.has(key)) continue;
      if (value !== undefined) {
        // A flag with a value (`public=1`): dropped, with every later copy.
        delete o[key];
        invalidFlag.add(key);
        continue;
      }
      o[key as FlagName] = true;
    } else if (key === 'no-store') o[key] = true;
  }
  return out;
}

/** A request's directives: `Cache-Control`, or `Pragma: no-cache` when it has none (RFC 9111 section 5.4). */
export function requestDirectives(cacheControl: string | readonly string[] | undefined, pragma: string | readonly string[] | undefined): CacheDirectives | undefined {
  if (cacheControl !== undefined) return parseCacheControl(cacheControl);
  if (pragma === undefined) return undefined;
  const text = typeof pragma === 'string' ? pragma : pragma.join(',');
  return text.split(',').some((d) => trimOWS(d).toLowerCase() === 'no-cache') ? { 'no-cache': true } : undefined;
}
