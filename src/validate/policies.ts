/**
 * SPEC 12 fields of a variant: `auth`, `rateLimit`, `cache`, `requestHeaders`,
 * `responseHeaders`, validated and normalized.
 *
 * Decisions where SPEC is silent (docs/route-objects.md):
 * - apiKey: `in` defaults to "header", `name` to "x-api-key"; keys are stored as lower-case
 *   hex without the `sha256:` prefix. A message never repeats a plain key.
 * - jwt: exactly one of `jwksUri` and `publicKey`; a `publicKey` holding private parts (`d`,
 *   `p`, `q`, ...) or a symmetric key (`kty: "oct"`) is refused; `algorithms` defaults to the
 *   asymmetric ones the key type allows (chosen by the verifier).
 * - rateLimit: `key` defaults to "ip"; `jwt:<claim>` needs `auth.type` "jwt" on the same variant.
 * - cache: `false` means no cache; `methods` are a subset of GET and HEAD.
 * - header rules: values hold no CR, LF or NUL (header injection); at most 64 names per rule.
 */
import type { AuthConfig, CacheConfig, HeaderRules, PolicyConfig, RateLimitConfig } from '../table/route.js';
import { checkKnown, duration, fail, headerName, httpUrl, isPlainObject, list, show, size, sub, wholeNumber, type VariantContext } from './context.js';

export const POLICY_FIELDS = ['auth', 'rateLimit', 'cache', 'requestHeaders', 'responseHeaders'] as const;

/** SPEC 8's hop-by-hop headers, plus the two the proxy owns: none may be set, added or removed by a rule. */
export const FORBIDDEN_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** Asymmetric JWS algorithms (RFC 7518, RFC 8037) that `jose` verifies. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

const HASH_HINT = "Store only the key's SHA-256: run `printf %s 'YOUR-KEY' | sha256sum` and write \"sha256:<the 64 hex digits>\"";

export function parsePolicies(ctx: VariantContext, obj: Record<string, unknown>): PolicyConfig {
  const out: { -readonly [K in keyof PolicyConfig]: PolicyConfig[K] } = {};
  if (obj.auth !== undefined) out.auth = auth(ctx, obj.auth);
  if (obj.rateLimit !== undefined) out.rateLimit = rateLimit(ctx, obj.rateLimit, obj.auth);
  if (obj.cache !== undefined && obj.cache !== false) out.cache = cache(ctx, obj.cache);
  if (obj.requestHeaders !== undefined) out.requestHeaders = headerRules(ctx, 'requestHeaders', obj.requestHeaders);
  if (obj.responseHeaders !== undefined) out.responseHeaders = headerRules(ctx, 'responseHeaders', obj.responseHeaders);
  for (const k of Object.keys(out) as (keyof PolicyConfig)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** The members a public JWK of each type needs (RFC 7518 section 6, RFC 8037). */
const JWK_MEMBERS: Record<string, string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };

/** JWK members are strings or lists of strings (RFC 7517): no nesting to walk, bounded size. */
function jwkShapeOk(key: Record<string, unknown>): boolean {
  const entries = Object.entries(key);
  if (entries.length > 32) return false;
  const text = (v: unknown) => typeof v === 'string' && v.length <= 16_384;
  if (!entries.every(([, v]) => text(v) || (Array.isArray(v) && v.length <= 16 && v.every(text)))) return false;
  return JWK_MEMBERS[key.kty as string]!.every((m) => typeof key[m] === 'string');
}

function stringOrList(ctx: VariantContext, field: string, value: unknown): string | string[] | undefined {
  if (typeof value === 'string' && value !== '' && value.length <= 2048) return value;
  if (Array.isArray(value) && value.length >= 1 && value.length <= 32 && value.every((v) => typeof v === 'string' && v !== '' && v.length <= 2048)) return value as string[];
  fail(ctx, 'auth-invalid', field, `must be a non-empty string or a list of 1 to 32 of them, not ${show(value)}`, 'Write "https://issuer.example.com/"');
  return undefined;
}

function headerList(ctx: VariantContext, field: string, value: unknown): string[] | undefined {
  if (value === undefined) return [];
  const items = list(ctx, 'auth-invalid', field, value, 0, 64, 'header names');
  if (!items) return undefined;
  const names = items.map((h, i) => headerName(ctx, 'auth-invalid', `${field}[${i}]`, h));
  return names.every((n) => n !== undefined) ? (names as string[]) : undefined;
}

function auth(ctx: VariantContext, value: unknown): AuthConfig | undefined {
  const types = ['apiKey', 'jwt', 'forward'];
  if (!isPlainObject(value) || typeof value.type !== 'string' || !types.includes(value.type)) {
    const t = isPlainObject(value) ? value.type : undefined;
    fail(
      ctx,
      'auth-invalid',
      isPlainObject(value) ? 'auth.type' : 'auth',
      `must be an object whose "type" is "apiKey", "jwt" or "forward"${isPlainObject(value) ? `, not ${show(t)}` : `, not ${show(value)}`}`,
      'Write { "type": "apiKey", "keys": ["sha256:..."] }',
    );
    return undefined;
  }
  if (value.type === 'apiKey') {
    if (!checkKnown(ctx, value, ['type', 'in', 'name', 'keys'], 'auth')) return undefined;
    let ok = true;
    const where = value.in === undefined ? 'header' : value.in;
    if (where !== 'header' && where !== 'query') {
      fail(ctx, 'auth-invalid', 'auth.in', `must be "header" or "query", not ${show(value.in)}`, 'Write "header" (recommended: query strings end up in logs)');
      ok = false;
    }
    let name: string | undefined = 'x-api-key';
    if (value.name !== undefined) {
      if (where === 'query') {
        name = typeof value.name === 'string' && value.name !== '' && value.name.length <= 256 ? value.name : undefined;
        if (name === undefined) fail(ctx, 'auth-invalid', 'auth.name', `must be a query parameter name, not ${show(value.name)}`, 'Write "api_key"');
      } else name = headerName(ctx, 'auth-invalid', 'auth.name', value.name);
    }
    const items = list(ctx, 'auth-invalid', 'auth.keys', value.keys, 1, 1000, 'key hashes ("sha256:<64 hex>")');
    const keys: string[] = [];
    items?.forEach((k, i) => {
      const m = typeof k === 'string' ? /^sha256:([0-9a-fA-F]{64})$/.exec(k) : null;
      if (m) keys.push(m[1]!.toLowerCase());
      else {
        ok = false;
        // Never echo the value: it may be a plain secret.
        fail(ctx, 'api-key-not-hashed', `auth.keys[${i}]`, 'is not a SHA-256 hash written "sha256:<64 hex digits>"; plain keys are never stored in a table', HASH_HINT);
      }
    });
    if (!ok || !items || name === undefined) return undefined;
    return { type: 'apiKey', in: where as 'header' | 'query', name, keys };
  }
  if (value.type === 'jwt') {
    if (!checkKnown(ctx, value, ['type', 'issuer', 'audience', 'jwksUri', 'publicKey', 'algorithms', 'clockTolerance', 'forwardClaims'], 'auth')) return undefined;
    let ok = true;
    const out: { -readonly [K in keyof Extract<AuthConfig, { type: 'jwt' }>]: Extract<AuthConfig, { type: 'jwt' }>[K] } = { type: 'jwt' };
    if (value.issuer !== undefined) ok = (out.issuer = stringOrList(ctx, 'auth.issuer', value.issuer)) !== undefined && ok;
    if (value.audience !== undefined) ok = (out.audience = stringOrList(ctx, 'auth.audience', value.audience)) !== undefined && ok;
    if ((value.jwksUri === undefined) === (value.publicKey === undefined)) {
      fail(
        ctx,
        'auth-invalid',
        'auth',
        `needs exactly one of "jwksUri" and "publicKey"${value.jwksUri !== undefined ? ', not both' : ''}`,
        'Write "jwksUri": "https://issuer.example.com/.well-known/jwks.json", or "publicKey": a JWK',
      );
      ok = false;
    } else if (value.jwksUri !== undefined) {
      ok = (out.jwksUri = httpUrl(ctx, 'auth-invalid', 'auth.jwksUri', value.jwksUri)) !== undefined && ok;
    } else {
      const key = value.publicKey;
      if (!isPlainObject(key) || typeof key.kty !== 'string' || !['RSA', 'EC', 'OKP'].includes(key.kty)) {
        fail(
          ctx,
          key !== null && isPlainObject(key) && key.kty === 'oct' ? 'jwt-algorithm-refused' : 'auth-invalid',
          'auth.publicKey',
          `must be a public JWK with "kty" "RSA", "EC" or "OKP"${isPlainObject(key) && key.kty === 'oct' ? ' (symmetric keys are refused)' : ''}`,
          'Paste the issuer\'s public key as a JWK object, or use "jwksUri"',
        );
        ok = false;
      } else if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((p) => p in key)) {
        fail(
          ctx,
          'auth-invalid',
          'auth.publicKey',
          'holds private key material',
          'Remove the private parts ("d", "p", "q", "dp", "dq", "qi"): a route table holds only the public key, and rotate the exposed key',
        );
        ok = false;
      } else if (!jwkShapeOk(key)) {
        fail(
          ctx,
          'auth-invalid',
          'auth.publicKey',
          `is not a ${key.kty} public JWK: it needs ${JWK_MEMBERS[key.kty]!.map((m) => `"${m}"`).join(', ')}, and every member is a string or a list of strings (at most 32 members)`,
          'Paste the JWK exactly as the issuer publishes it (RFC 7517)',
        );
        ok = false;
      } else out.publicKey = key;
    }
    if (value.algorithms !== undefined) {
      const items = list(ctx, 'auth-invalid', 'auth.algorithms', value.algorithms, 1, JWT_ALGORITHMS.length, 'algorithm names');
      const algs: string[] = [];
      items?.forEach((a, i) => {
        if (typeof a === 'string' && (JWT_ALGORITHMS as readonly string[]).includes(a)) {
          if (!algs.includes(a)) algs.push(a);
        } else if (typeof a === 'string' && (/^none$/i.test(a) || /^HS\d+$/i.test(a))) {
          ok = false;
          fail(
            ctx,
            'jwt-algorithm-refused',
            `auth.algorithms[${i}]`,
            `"${a}" is refused: ${/^none$/i.test(a) ? 'an unsigned token proves nothing' : 'a symmetric algorithm would need the signing secret in the table'}`,
            `Use an asymmetric algorithm: ${JWT_ALGORITHMS.join(', ')}`,
          );
        } else {
          ok = false;
          fail(ctx, 'auth-invalid', `auth.algorithms[${i}]`, `must be one of ${JWT_ALGORITHMS.join(', ')}, not ${show(a)}`, 'Write ["RS256"]');
        }
      });
      if (items) out.algorithms = algs;
      else ok = false;
    }
    if (value.clockTolerance !== undefined) ok = (out.clockTolerance = duration(ctx, 'auth.clockTolerance', value.clockTolerance, 0)) !== undefined && ok;
    if (value.forwardClaims !== undefined) {
      const fc = value.forwardClaims;
      if (!isPlainObject(fc) || Object.keys(fc).length > 64) {
        fail(ctx, 'auth-invalid', 'auth.forwardClaims', `must be an object of claim -> header name (at most 64), not ${show(fc)}`, 'Write { "sub": "x-user-id" }');
        ok = false;
      } else {
        const claims: Record<string, string> = Object.create(null) as Record<string, string>;
        for (const [claim, header] of Object.entries(fc)) {
          const h = headerName(ctx, 'auth-invalid', `auth.forwardClaims.${claim.slice(0, 64)}`, header);
          if (h === undefined) ok = false;
          else if (FORBIDDEN_HEADERS.has(h)) {
            ok = false;
            fail(
              ctx,
              'header-forbidden',
              `auth.forwardClaims.${claim.slice(0, 64)}`,
              `forwards into "${h}", which the proxy owns`,
              'Forward the claim into a header of your own, such as "x-user-id"',
            );
          } else claims[claim] = h;
        }
        out.forwardClaims = claims;
      }
    }
    return ok ? out : undefined;
  }
  if (!checkKnown(ctx, value, ['type', 'url', 'requestHeaders', 'responseHeaders'], 'auth')) return undefined;
  const url = httpUrl(ctx, 'auth-invalid', 'auth.url', value.url);
  const requestHeaders = headerList(ctx, 'auth.requestHeaders', value.requestHeaders);
  const responseHeaders = headerList(ctx, 'auth.responseHeaders', value.responseHeaders);
  if (url === undefined || requestHeaders === undefined || responseHeaders === undefined) return undefined;
  return { type: 'forward', url, requestHeaders, responseHeaders };
}

function rateLimit(ctx: VariantContext, value: unknown, authValue: unknown): RateLimitConfig | undefined {
  if (!isPlainObject(value)) {
    fail(ctx, 'rate-limit-invalid', 'rateLimit', `must be an object, not ${show(value)}`, 'Write { "requests": 100, "per": "1m" }');
    return undefined;
  }
  if (!checkKnown(ctx, value, ['requests', 'per', 'burst', 'key'], 'rateLimit')) return undefined;
  const requests = wholeNumber(ctx, 'rate-limit-invalid', 'rateLimit.requests', value.requests, 1, 1_000_000_000);
  const per =
    value.per === undefined
      ? (fail(ctx, 'rate-limit-invalid', 'rateLimit.per', 'is missing', 'Write "per": "1s", "1m" or "1h"'), undefined)
      : duration(ctx, 'rateLimit.per', value.per);
  const burst = value.burst === undefined ? requests : wholeNumber(ctx, 'rate-limit-invalid', 'rateLimit.burst', value.burst, 1, 1_000_000_000);
  let key: RateLimitConfig['key'] | undefined = 'ip';
  if (value.key !== undefined) {
    const k = value.key;
    const m = typeof k === 'string' ? /^(header|jwt):(.{1,256})$/s.exec(k) : null;
    if (k === 'ip' || k === 'route') key = k;
    else if (m?.[1] === 'header') {
      const h = headerName(ctx, 'rate-limit-invalid', 'rateLimit.key', m[2]);
      key = h === undefined ? undefined : `header:${h}`;
    } else if (m?.[1] === 'jwt') {
      key = `jwt:${m[2]!}`;
      if (!isPlainObject(authValue) || authValue.type !== 'jwt') {
        fail(ctx, 'rate-limit-invalid', 'rateLimit.key', `"${m[0]}" needs "auth": { "type": "jwt", ... } on the same route`, 'Add JWT auth to the route, or key on "ip"');
        key = undefined;
      }
    } else {
      fail(ctx, 'rate-limit-invalid', 'rateLimit.key', `must be "ip", "route", "header:<name>" or "jwt:<claim>", not ${show(k)}`, 'Write "ip"');
      key = undefined;
    }
  }
  if (requests === undefined || per === undefined || burst === undefined || key === undefined) return undefined;
  return { requests, per, burst, key };
}

const CACHE_DEFAULTS: CacheConfig = { methods: ['GET', 'HEAD'], maxEntrySize: 1024 * 1024 };

function cache(ctx: VariantContext, value: unknown): CacheConfig | undefined {
  if (value === true) return { methods: [...CACHE_DEFAULTS.methods], maxEntrySize: CACHE_DEFAULTS.maxEntrySize };
  if (!isPlainObject(value)) {
    fail(ctx, 'cache-invalid', 'cache', `must be true, false or an object, not ${show(value)}`, 'Write true, or { "ttl": "60s", "maxEntrySize": "1MB" }');
    return undefined;
  }
  if (!checkKnown(ctx, value, ['ttl', 'methods', 'maxEntrySize'], 'cache')) return undefined;
  let ok = true;
  const ttl = value.ttl === undefined ? undefined : duration(ctx, 'cache.ttl', value.ttl);
  if (value.ttl !== undefined && ttl === undefined) ok = false;
  let methods: string[] = [...CACHE_DEFAULTS.methods];
  if (value.methods !== undefined) {
    const items = list(ctx, 'cache-invalid', 'cache.methods', value.methods, 1, 2, 'methods ("GET", "HEAD")');
    methods = [];
    if (!items) ok = false;
    items?.forEach((m, i) => {
      if (m === 'GET' || m === 'HEAD') {
        if (!methods.includes(m)) methods.push(m);
      } else {
        ok = false;
        fail(ctx, 'cache-invalid', `cache.methods[${i}]`, `must be "GET" or "HEAD", not ${show(m)}`, 'Only GET and HEAD responses are cached (RFC 9111)');
      }
    });
  }
  const maxEntrySize = value.maxEntrySize === undefined ? CACHE_DEFAULTS.maxEntrySize : size(ctx, 'cache.maxEntrySize', value.maxEntrySize, 1);
  if (!ok || maxEntrySize === undefined) return undefined;
  return ttl === undefined ? { methods, maxEntrySize } : { ttl, methods, maxEntrySize };
}

/** A header value: no CR, LF or NUL (they would split or end the header), at most 8 KB. */
const HEADER_VALUE = /^[^\r\n\0]{0,8192}$/;

function headerRules(ctx: VariantContext, field: 'requestHeaders' | 'responseHeaders', value: unknown): HeaderRules | undefined {
  if (!isPlainObject(value)) {
    fail(
      ctx,
      'header-rules-invalid',
      field,
      `must be an object with "set", "add" and/or "remove", not ${show(value)}`,
      'Write { "set": { "x-env": "prod" }, "remove": ["x-powered-by"] }',
    );
    return undefined;
  }
  if (!checkKnown(ctx, value, ['set', 'add', 'remove'], field)) return undefined;
  let ok = true;
  const name = (at: string, raw: unknown): string | undefined => {
    const h = headerName(ctx, 'header-rules-invalid', at, raw);
    if (h !== undefined && FORBIDDEN_HEADERS.has(h)) {
      fail(
        ctx,
        'header-forbidden',
        at,
        `"${h}" cannot be set, added or removed: ${h === 'host' || h === 'content-length' ? 'the proxy sets it' : 'it is a hop-by-hop header'}`,
        'Leave it to the proxy; use another header name',
      );
      return undefined;
    }
    return h;
  };
  const values = (key: 'set' | 'add'): Record<string, string> => {
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    const v = value[key];
    if (v === undefined) return out;
    if (!isPlainObject(v) || Object.keys(v).length > 64) {
      ok = false;
      fail(ctx, 'header-rules-invalid', sub(field, key), `must be an object of header name -> value (at most 64), not ${show(v)}`, `Write { "${key}": { "x-env": "prod" } }`);
      return out;
    }
    for (const [raw, text] of Object.entries(v)) {
      const at = `${field}.${key}[${JSON.stringify(raw.slice(0, 64))}]`;
      const h = name(at, raw);
      if (typeof text !== 'string' || !HEADER_VALUE.test(text)) {
        ok = false;
        fail(
          ctx,
          'header-rules-invalid',
          at,
          `must be a header value (a string of at most 8192 characters without CR, LF or NUL), not ${show(text)}`,
          'Write the value as a string on one line',
        );
      } else if (h === undefined) ok = false;
      else out[h] = text;
    }
    return out;
  };
  const set = values('set');
  const add = values('add');
  let remove: string[] = [];
  if (value.remove !== undefined) {
    const items = list(ctx, 'header-rules-invalid', sub(field, 'remove'), value.remove, 0, 64, 'header names');
    if (!items) ok = false;
    remove = (items ?? []).map((r, i) => name(`${field}.remove[${i}]`, r) ?? ((ok = false), ''));
  }
  return ok ? { set, add, remove } : undefined;
}
