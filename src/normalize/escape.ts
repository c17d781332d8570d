/**
 * Percent-escape canonicalization of one path segment, shared by request paths
 * (src/normalize/path.ts) and route patterns (src/validate/pattern.ts), so that a pattern
 * and a request that mean the same text compare equal as plain strings.
 *
 * Canonical form: escapes of unreserved characters (A-Z a-z 0-9 - . _ ~) are decoded, every
 * other escape keeps its `%` with upper-case hex, and every run of escapes decodes to valid
 * UTF-8.
 */

/** Why a segment cannot be canonicalized (an object, so no segment text can be mistaken for it). */
export interface SegmentFailure {
  error: SegmentError;
}

export type SegmentError =
  | 'bad-escape' // `%` not followed by two hex digits
  | 'bad-utf8' // escapes that do not decode as UTF-8
  | 'nul' // %00
  | 'encoded-slash' // %2F or %5C
  | 'invalid-char'; // space, control, backslash, or raw non-ASCII where it is not allowed

/** 1 for characters that may stand raw in a canonical segment (RFC 3986 pchar minus `%`). */
export const RAW_OK = new Uint8Array(128);
/** 1 for the unreserved characters, whose escapes are decoded. */
const UNRESERVED = new Uint8Array(128);
for (let c = 0x21; c < 0x7f; c++) RAW_OK[c] = 1;
RAW_OK[0x25] = 0; // '%' starts an escape
RAW_OK[0x5c] = 0; // '\' is never allowed raw
RAW_OK[0x2f] = 0; // '/' separates segments
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~]/.test(ch)) UNRESERVED[c] = 1;
}

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Number of bytes a UTF-8 sequence starting with `b` has, or 0 when `b` cannot start one. */
function utf8Length(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

/** Strict UTF-8 check of one sequence (no overlongs, no surrogates, max U+10FFFF). */
function validSequence(bytes: number[], start: number, n: number): boolean {
  const b0 = bytes[start]!;
  for (let k = 1; k < n; k++) if ((bytes[start + k]! & 0xc0) !== 0x80) return false;
  if (n === 3) {
    const b1 = bytes[start + 1]!;
    if (b0 === 0xe0 && b1 < 0xa0) return false;
    if (b0 === 0xed && b1 > 0x9f) return false;
  } else if (n === 4) {
    const b1 = bytes[start + 1]!;
    if (b0 === 0xf0 && b1 < 0x90) return false;
    if (b0 === 0xf4 && b1 > 0x8f) return false;
  }
  return true;
}

const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * Canonicalizes one segment (no `/` inside). `allowNonAscii`: raw non-ASCII text is
 * percent-encoded as UTF-8 (patterns) instead of rejected (request paths).
 * `allowEncodedSlash`: `%2F`/`%5C` are kept opaque instead of rejected.
 */
export function canonicalizeSegment(segment: string, allowNonAscii: boolean, allowEncodedSlash: boolean): string | SegmentFailure {
  const n = segment.length;
  // Most segments are already canonical (no escape, nothing to reject): the segment itself is
  // the answer, without building a copy character by character.
  let i = 0;
  while (i < n) {
    const c = segment.charCodeAt(i);
    if (c >= 128 || RAW_OK[c] !== 1) break;
    i++;
  }
  if (i === n) return segment;
  let out = segment.slice(0, i);
  while (i < n) {
    const c = segment.charCodeAt(i);
    if (c < 128 && RAW_OK[c] === 1) {
      out += segment[i];
      i++;
      continue;
    }
    if (c === 0x25) {
      // A run of escapes: decode to bytes, check UTF-8, then re-emit canonically.
      const bytes: number[] = [];
      while (i < n && segment.charCodeAt(i) === 0x25) {
        const h = i + 2 < n ? hexValue(segment.charCodeAt(i + 1)) : -1;
        const l = i + 2 < n ? hexValue(segment.charCodeAt(i + 2)) : -1;
        if (h < 0 || l < 0) return { error: 'bad-escape' };
        bytes.push(h * 16 + l);
        i += 3;
      }
      let k = 0;
      while (k < bytes.length) {
        const b = bytes[k]!;
        const len = utf8Length(b);
        if (len === 0 || k + len > bytes.length || !validSequence(bytes, k, len)) return { error: 'bad-utf8' };
        if (b === 0) return { error: 'nul' };
        if ((b === 0x2f || b === 0x5c) && !allowEncodedSlash) return { error: 'encoded-slash' };
        if (len === 1 && UNRESERVED[b] === 1) {
          out += String.fromCharCode(b);
        } else {
          for (let j = 0; j < len; j++) {
            const v = bytes[k + j]!;
            out += '%' + HEX[v >> 4] + HEX[v & 15];
          }
        }
        k += len;
      }
      continue;
    }
    if (c >= 128 && allowNonAscii) {
      // Encode one code point (a well-formed surrogate pair counts as one).
      const cp = segment.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      if (cp >= 0xd800 && cp <= 0xdfff) return { error: 'invalid-char' }; // lone surrogate
      for (const v of encoder.encode(segment.slice(i, i + width))) out += '%' + HEX[v >> 4] + HEX[v & 15];
      i += width;
      continue;
    }
    return { error: 'invalid-char' };
  }
  return out;
}
