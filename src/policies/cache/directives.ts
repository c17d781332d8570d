/**
 * `Cache-Control` parsing (RFC 9111 section 5.2) for the portable route cache. Pure: no Node
 * built-ins. It follows undici's parser (lib/util/cache.js) where the two meet, so a route
 * reads the same directives on the Node proxy and on a fetch runtime: a malformed or duplicated
 * delta-seconds keeps the most restrictive value, and `no-cache` / `private` may name fields.
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
  'only-if-cached'?: true;
}

type NumericName = 'max-age' | 's-maxage' | 'min-fresh' | 'max-stale' | 'stale-while-revalidate' | 'stale-if-error';
const NUMERIC = new Set<string>(['max-age', 's-maxage', 'min-fresh', 'max-stale', 'stale-while-revalidate', 'stale-if-error']);
const FLAGS = new Set<string>(['no-store', 'public', 'must-revalidate', 'proxy-revalidate', 'immutable', 'only-if-cached']);
/** undici's cap on delta-seconds (RFC 9111 section 1.2.2: 2^31). */
const MAX_DELTA_SECONDS = 2147483647;

/** Splits on commas outside double quotes. */
function split(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out;
}

/** The directives of a `Cache-Control` header (one value or several); unknown ones are ignored. */
export function parseCacheControl(header: string | readonly string[] | undefined): CacheDirectives {
  const out: CacheDirectives = {};
  if (header === undefined) return out;
  const text = typeof header === 'string' ? header : header.join(',');
  for (const part of split(text)) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    let value = eq === -1 ? undefined : part.slice(eq + 1).trim();
    if (value !== undefined && value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (NUMERIC.has(name)) {
      const key = name as NumericName;
      // A malformed lifetime counts as 0 (stale at once), as undici does for max-age and s-maxage.
      const n = value !== undefined && /^[0-9]+$/.test(value) ? Math.min(Number.parseInt(value, 10), MAX_DELTA_SECONDS) : 0;
      const prev = out[key];
      // Duplicates keep the most restrictive value (min-fresh: the largest).
      out[key] = prev === undefined ? n : key === 'min-fresh' ? Math.max(prev, n) : Math.min(prev, n);
    } else if (name === 'no-cache' || name === 'private') {
      const fields =
        value === undefined || value === ''
          ? null
          : value
              .split(',')
              .map((f) => f.trim().toLowerCase())
              .filter((f) => f !== '');
      const prev = out[name];
      if (fields === null || fields.length === 0 || prev === true) out[name] = true;
      else out[name] = prev === undefined ? fields : [...prev, ...fields];
    } else if (FLAGS.has(name)) {
      (out as Record<string, unknown>)[name] = true;
    }
  }
  return out;
}

/** A request's directives: `Cache-Control`, or `Pragma: no-cache` when it has none (RFC 9111 section 5.4). */
export function requestDirectives(cacheControl: string | readonly string[] | undefined, pragma: string | readonly string[] | undefined): CacheDirectives | undefined {
  if (cacheControl !== undefined) return parseCacheControl(cacheControl);
  if (pragma === undefined) return undefined;
  const text = typeof pragma === 'string' ? pragma : pragma.join(',');
  return text.split(',').some((d) => d.trim().toLowerCase() === 'no-cache') ? { 'no-cache': true } : undefined;
}
