/**
 * Builds the forwarded URL from a match (SPEC section 6), on demand: the hot path of
 * matching never does this. The origin is always the target's; the path is built from the
 * template and the normalized request path's captures, so nothing in a request can move
 * the request to another host.
 */
import type { RouteMatch } from '../match/types.js';
import type { TargetTemplate } from './template.js';

/** Characters that would end a path or change its meaning if a non-normalized path got here. */
const UNSAFE_IN_PATH = /[?#\\\s]/;

function escapeUnsafe(path: string): string {
  return UNSAFE_IN_PATH.test(path) ? path.replace(/[?#\\\s]/g, (c) => encodeURIComponent(c)) : path;
}

/** Percent-encodes a parameter value; a lone surrogate (only in un-normalized input) becomes U+FFFD. */
function encodeValue(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent((value as string & { toWellFormed(): string }).toWellFormed());
  }
}

/**
 * The URL a request that produced `match` is forwarded to; `query` is the request's (no `?`).
 * `template`: the chosen target's (SPEC 11, several targets); default the serving variant's first.
 */
export function buildForwardUrl(match: RouteMatch, query = '', template?: TargetTemplate): string {
  const route = match.route;
  // The chosen target's, else the serving variant's first (not the route's: another variant may serve).
  const t = template ?? match.variant.targets[0]!.template;
  let path: string;
  if (t.parts !== null) {
    path = '';
    for (const part of t.parts) {
      if (part.kind === 'text') path += part.text;
      else if (part.kind === 'param') path += encodeValue(match.params[route.paramNames[part.index]!] ?? '');
      else path += escapeUnsafe(match.remainder ?? '');
    }
  } else if (route.catchAll) {
    path = t.basePath + escapeUnsafe(match.remainder ?? '');
  } else {
    path = t.path;
  }
  if (path === '' || path.charCodeAt(0) !== 0x2f) path = '/' + path;
  const q = t.query && query ? t.query + '&' + query : t.query || query;
  return t.origin + path + (q ? '?' + q : '');
}
