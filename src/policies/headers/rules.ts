/**
 * `requestHeaders` / `responseHeaders` (SPEC 12): remove, then set, then add, on a header
 * record with lower-case names (Envoy's `request_headers_to_remove`/`_to_add`, Kong's
 * request-transformer). Names were validated: never hop-by-hop, `host` or `content-length`.
 */
import type { HeaderRecord } from '../../pipeline/headers.js';
import type { HeaderRules } from '../../table/route.js';

/** Applies `rules` to `headers` in place. */
export function applyHeaderRules(headers: HeaderRecord, rules: HeaderRules): void {
  for (const name of rules.remove) delete headers[name];
  for (const name in rules.set) headers[name] = rules.set[name]!;
  for (const name in rules.add) {
    const prev = headers[name];
    const value = rules.add[name]!;
    headers[name] = prev === undefined ? value : typeof prev === 'string' ? [prev, value] : [...prev, value];
  }
}

/** True when the rules change nothing (a route written with empty objects pays nothing). */
export function rulesEmpty(rules: HeaderRules | undefined): boolean {
  return rules === undefined || (rules.remove.length === 0 && Object.keys(rules.set).length === 0 && Object.keys(rules.add).length === 0);
}
