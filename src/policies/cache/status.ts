/**
 * `Cache-Status` (RFC 9211) values of the route cache: every response of a cached route says
 * whether it was served from the cache and, when not, why it went forward.
 */
export const CACHE_NAME = 'af-routes';

export type CacheOutcome = 'hit' | 'miss' | 'stale' | 'bypass' | 'method' | 'request';

function statusValue(outcome: CacheOutcome): string {
  return outcome === 'hit' ? `${CACHE_NAME}; hit` : `${CACHE_NAME}; fwd=${outcome === 'miss' ? 'uri-miss' : outcome}`;
}

/** The value of each outcome, built once: every response of a cached route carries one. */
const VALUES: Readonly<Record<CacheOutcome, string>> = {
  hit: statusValue('hit'),
  miss: statusValue('miss'),
  stale: statusValue('stale'),
  bypass: statusValue('bypass'),
  method: statusValue('method'),
  request: statusValue('request'),
};

/** The header value for an outcome (`af-routes; hit`, `af-routes; fwd=miss`, ...). */
export function cacheStatus(outcome: CacheOutcome, detail?: string): string {
  const base = VALUES[outcome];
  return detail === undefined ? base : `${base}; detail=${detail}`;
}

/** The event's coarse status for an outcome. */
export function cacheEventStatus(outcome: CacheOutcome): 'hit' | 'miss' | 'stale' | 'bypass' {
  return outcome === 'hit' || outcome === 'miss' || outcome === 'stale' ? outcome : 'bypass';
}
