/**
 * Request-target normalization (SPEC section 4). The normalized path is both what is
 * matched and what is forwarded, so the proxy can never match one path and send another.
 */
import { DEFAULT_LIMITS } from '../options.js';
import { canonicalizeSegment, RAW_OK, type SegmentError } from './escape.js';

export interface NormalizeOptions {
  /** Longest path accepted (characters before `?`); longer is 414. Default 8192. */
  maxPathLength?: number;
  /** Most segments accepted after normalization; more is 414. Default 256. */
  maxSegments?: number;
  /** Keep `%2F`/`%5C` opaque inside a segment instead of answering 400. Default false. */
  allowEncodedSlashes?: boolean;
}

export type PathErrorCode =
  'path-too-long' | 'too-many-segments' | 'no-leading-slash' | 'invalid-character' | 'invalid-query' | 'malformed-escape' | 'invalid-utf8' | 'encoded-nul' | 'encoded-slash';

/** A request path that cannot be routed: answer it with `status`. */
export interface PathError {
  ok: false;
  status: 400 | 414;
  code: PathErrorCode;
  message: string;
}

export interface NormalizedPath {
  ok: true;
  /** The canonical path: matched and forwarded. */
  path: string;
  /** The query as sent, without `?` ('' when there is none). */
  query: string;
}

export type NormalizeResult = NormalizedPath | PathError;

const MESSAGES: Record<PathErrorCode, string> = {
  'path-too-long': 'The request path is longer than the limit',
  'too-many-segments': 'The request path has more segments than the limit',
  'no-leading-slash': 'The request path must start with "/"',
  'invalid-character': 'The request path holds a character that is not allowed (control, space, "\\" or raw non-ASCII; percent-encode it)',
  'invalid-query': 'The query holds a character that cannot appear in a request (control, space or raw non-ASCII)',
  'malformed-escape': 'The request path holds a "%" that is not followed by two hex digits',
  'invalid-utf8': 'The request path holds percent-escapes that do not decode as UTF-8',
  'encoded-nul': 'The request path holds an encoded NUL (%00)',
  'encoded-slash': 'The request path holds an encoded slash or backslash (%2F, %5C)',
};

const SEGMENT_ERRORS: Record<SegmentError, PathErrorCode> = {
  'bad-escape': 'malformed-escape',
  'bad-utf8': 'invalid-utf8',
  nul: 'encoded-nul',
  'encoded-slash': 'encoded-slash',
  'invalid-char': 'invalid-character',
};

function fail(code: PathErrorCode): PathError {
  const status = code === 'path-too-long' || code === 'too-many-segments' ? 414 : 400;
  return { ok: false, status, code, message: MESSAGES[code] };
}

/** True when every character may appear in a request-target's query. */
function queryIsValid(query: string): boolean {
  for (let i = 0; i < query.length; i++) {
    const c = query.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

/**
 * Normalizes a raw request target (`/a/b?x=1#f`). Never throws. Paths that are already
 * canonical (no `%`, no `//`, no segment starting with `.`) take a single scan and are
 * returned as they are.
 */
export function normalizePath(raw: string, options: NormalizeOptions = {}): NormalizeResult {
  const maxPathLength = options.maxPathLength ?? DEFAULT_LIMITS.maxPathLength;
  const maxSegments = options.maxSegments ?? DEFAULT_LIMITS.maxSegments;
  if (typeof raw !== 'string') return fail('no-leading-slash');

  let end = raw.indexOf('#');
  if (end < 0) end = raw.length;
  let pathEnd = raw.indexOf('?');
  let query = '';
  if (pathEnd < 0 || pathEnd > end) pathEnd = end;
  else {
    query = raw.slice(pathEnd + 1, end);
    if (!queryIsValid(query)) return fail('invalid-query');
  }
  if (pathEnd > maxPathLength) return fail('path-too-long');
  if (pathEnd === 0 || raw.charCodeAt(0) !== 0x2f) return fail('no-leading-slash');

  // Fast scan: reject what is never allowed, and notice what needs the slow path.
  let slow = false;
  let segments = 0;
  for (let i = 0; i < pathEnd; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x2f) {
      segments++;
      const next = raw.charCodeAt(i + 1);
      if (next === 0x2f || next === 0x2e) slow = true; // `//` or a segment starting with `.`
    } else if (c >= 128 || RAW_OK[c] !== 1) {
      if (c === 0x25) slow = true;
      else return fail('invalid-character');
    }
  }
  if (!slow) {
    if (segments > maxSegments) return fail('too-many-segments');
    return { ok: true, path: pathEnd === raw.length ? raw : raw.slice(0, pathEnd), query };
  }
  return normalizeSlow(raw.slice(0, pathEnd), query, maxSegments, options.allowEncodedSlashes === true);
}

/**
 * Canonical escapes per segment, then RFC 3986 section 5.2.4 dot-segment removal, with runs
 * of `/` merged first (so `/a//../b` is `/b`) and `..` never climbing above `/`.
 */
function normalizeSlow(path: string, query: string, maxSegments: number, allowEncodedSlash: boolean): NormalizeResult {
  const parts = path.split('/');
  const stack: string[] = [];
  let trailingSlash = false;
  for (let i = 1; i < parts.length; i++) {
    const seg = canonicalizeSegment(parts[i]!, false, allowEncodedSlash);
    if (typeof seg !== 'string') return fail(SEGMENT_ERRORS[seg.error]);
    const last = i === parts.length - 1;
    if (seg === '' || seg === '.') {
      trailingSlash = last;
    } else if (seg === '..') {
      stack.pop();
      trailingSlash = last;
    } else {
      stack.push(seg);
      trailingSlash = false;
    }
  }
  const count = stack.length + (trailingSlash || stack.length === 0 ? 1 : 0);
  if (count > maxSegments) return fail('too-many-segments');
  const normalized = '/' + stack.join('/') + (trailingSlash && stack.length > 0 ? '/' : '');
  return { ok: true, path: normalized, query };
}
