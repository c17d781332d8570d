/**
 * The fast target-URL parser (src/target/http-url.ts) against WHATWG `new URL`: wherever the
 * fast path answers, its answer is `new URL`'s, on generated hostile targets built from the
 * pieces the URL parser treats specially; and it does answer for the common shapes, so
 * validation actually skips `new URL` for them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSimpleHttpUrl } from '../src/target/http-url.js';

function whatwg(text: string): Record<string, string> | null {
  try {
    const u = new URL(text);
    return { origin: u.origin, protocol: u.protocol, host: u.host, pathname: u.pathname, search: u.search, username: u.username, password: u.password };
  } catch {
    return null;
  }
}

function fast(text: string): Record<string, string> | null {
  const u = parseSimpleHttpUrl(text);
  return u === null ? null : { origin: u.origin, protocol: u.protocol, host: u.host, pathname: u.pathname, search: u.search, username: u.username, password: u.password };
}

/** Pieces the WHATWG parser rewrites, rejects or reads specially, plus ordinary text. */
const PIECES = [
  'http://',
  'https://',
  'HTTP://',
  'http:',
  'https:/',
  'ftp://',
  ' ',
  '\t',
  '\n',
  '\u0000',
  '\u00e9',
  '\u2028',
  'Ab',
  'a',
  'z',
  'svc',
  'xn--',
  'xn--nxasmq6b',
  'XN--',
  '-',
  '.',
  '..',
  '0',
  '1',
  '9',
  '00',
  '01',
  '127',
  '255',
  '256',
  '4294967295',
  '0x',
  '0X1f',
  'ff',
  ':',
  '80',
  '443',
  '8080',
  '65535',
  '65536',
  '000',
  '/',
  '//',
  '/.',
  '/..',
  '/./',
  '/../',
  '%2e',
  '%2E',
  '%2e%2E',
  '.%2e',
  '%',
  '%4',
  '%41',
  '%zz',
  '%20',
  '?',
  '??',
  '#',
  '@',
  'user:pw@',
  '\\',
  '[',
  ']',
  '[::1]',
  '|',
  '^',
  '`',
  '{',
  '}',
  '<',
  '>',
  '"',
  "'",
  '~',
  '!',
  '$',
  '&',
  '(',
  ')',
  '*',
  '+',
  ',',
  ';',
  '=',
  '_',
  'a'.repeat(63),
  'b'.repeat(64),
  '1.2.3.4',
  '1.2.3',
  '0.0.0.0',
  '1.2.3.04',
  '1.2.3.4.',
  'a.1',
  'a.1b',
  '1a.b',
  'api.example.com',
  'localhost',
];

const hostile = fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }).map((parts) => parts.join(''));
/** Mostly well-formed targets with a hostile piece spliced in somewhere. */
const nearlyValid = fc
  .tuple(
    fc.constantFrom('http://', 'https://'),
    fc.array(fc.constantFrom('a', 'svc', '1', '0', '255', '-', 'xn--', 'b'.repeat(64)), { minLength: 1, maxLength: 4 }).map((l) => l.join('.')),
    fc.option(fc.constantFrom(':80', ':443', ':8080', ':08080', ':65535', ':65536', ':', ':0'), { nil: '' }),
    fc.array(fc.constantFrom(...PIECES), { maxLength: 6 }).map((parts) => parts.join('')),
  )
  .map(([scheme, host, port, rest]) => scheme + host + port + rest);
/** Targets close to the common shape: the fast path's own territory, with its edges. */
const PATH_PIECES = ['/', '/', 'a', 'B', '-', '.', '..', '%41', '%2e', '%2F', ':id', '*', '@', '!', '~', '=', '&', "'", '?', '?', '(', ')', ',', ';', '+', '$'];
const friendly = fc
  .tuple(
    fc.constantFrom('http://', 'https://'),
    fc.array(fc.constantFrom('a', 'svc12', 'api-v2', '0', '10', '255', '256', 'example', 'com'), { minLength: 1, maxLength: 4 }).map((l) => l.join('.')),
    fc.constantFrom('', '', ':1', ':80', ':443', ':8080', ':65535'),
    fc.array(fc.constantFrom(...PATH_PIECES), { maxLength: 10 }).map((parts) => parts.join('')),
  )
  .map(([scheme, host, port, rest]) => scheme + host + port + rest);

describe('parseSimpleHttpUrl agrees with new URL', () => {
  it('on hostile generated text: wherever it answers, it answers as new URL does', () => {
    let answered = 0;
    fc.assert(
      fc.property(fc.oneof(hostile, nearlyValid, friendly), (text) => {
        const mine = fast(text);
        if (mine === null) return;
        answered++;
        expect(mine).toEqual(whatwg(text));
      }),
      { numRuns: 20_000 },
    );
    // The property must not hold vacuously: a good share of the generated text takes the fast path.
    expect(answered).toBeGreaterThan(500);
  });

  it('answers (and agrees) for the shapes real tables are made of', () => {
    const common = [
      'http://svc12.internal:8080',
      'https://api.example.com',
      'https://api.example.com/',
      'https://api.example.com/v1/users/:id/*',
      'http://127.0.0.1:3000/x?debug=1&a=b/c',
      'https://a-b.c-d.example/path%20with%2Fescapes/~x?q',
      'https://host:65535/a//b/.well-known/x',
      'http://localhost?',
    ];
    for (const text of common) {
      expect(fast(text), text).not.toBeNull();
      expect(fast(text), text).toEqual(whatwg(text));
    }
  });

  it('leaves to new URL what it would rewrite or reject', () => {
    const unusual = [
      'HTTP://a.example',
      'http://A.example',
      'http://a.example:80',
      'https://a.example:443/',
      'http://a.example:0080',
      'http://a.example:65536',
      'http://xn--nxasmq6b.example',
      'http://1.2.3.04',
      'http://0x7f.1',
      'http://a.example/a/../b',
      'http://a.example/a/%2e%2e/b',
      'http://a.example/a\\b',
      'http://user:pw@a.example',
      'http://a.example/#frag',
      "http://a.example/?q='x'",
      'http://a.example/%zz',
      'http://a.example/caf\u00e9',
      ' http://a.example',
      'http://[::1]:8080',
    ];
    for (const text of unusual) expect(fast(text), text).toBeNull();
  });
});
