/**
 * `auth: { type: "jwt" }` (SPEC 12), verified by `jose` (panva/jose: maintained, audited,
 * dependency-free, Web Crypto only, so the same code runs on Node and in fetch runtimes).
 *
 * - Algorithms: the route's list, or every asymmetric one; `none` and HS* are never on it, so
 *   an unsigned token or an HS256 token "signed" with the public key (the key-confusion attack)
 *   fails on `alg` before any key is used.
 * - Keys: `jwksUri` through `createRemoteJWKSet` (cached; a token with an unknown `kid` refetches
 *   at most once per 30 s: `cooldownDuration`), shared by every route naming that URI; or the
 *   inline public JWK through `createLocalJWKSet` (the key's own `alg`/`kty` decide).
 * - The claims named in `forwardClaims` go upstream as headers; client-sent copies of those
 *   headers are removed first, whether or not the token carries the claim.
 * - `jose` is ESM-only and loaded on first use, so tables without JWT auth never load it.
 */
import type { AuthConfig } from '../../table/route.js';
import { JWT_ALGORITHMS } from '../../validate/policies.js';
import { emitSafely } from '../../telemetry/events.js';
import { policyError } from '../answer.js';
import type { PolicyAnswer, PolicyStage } from '../types.js';

type JwtConfig = Extract<AuthConfig, { type: 'jwt' }>;
type Jose = typeof import('jose');
type KeySource = ReturnType<Jose['createRemoteJWKSet']>;

let josePromise: Promise<Jose> | undefined;
function loadJose(): Promise<Jose> {
  josePromise ??= import('jose');
  return josePromise;
}

/** Refetch of a JWKS on an unknown `kid`: at most once per this many ms (SPEC 12). */
export const JWKS_COOLDOWN_MS = 30_000;
/** A fetched JWKS is used for this long before it is fetched again. */
const JWKS_MAX_AGE_MS = 10 * 60_000;
const JWKS_TIMEOUT_MS = 5_000;

/** Remote key sets by URI: one cache per issuer, kept across table reloads; bounded. */
const remoteSets = new Map<string, KeySource>();
const MAX_REMOTE_SETS = 256;

function remoteSet(jose: Jose, uri: string): KeySource {
  let set = remoteSets.get(uri);
  if (set === undefined) {
    set = jose.createRemoteJWKSet(new URL(uri), { cooldownDuration: JWKS_COOLDOWN_MS, cacheMaxAge: JWKS_MAX_AGE_MS, timeoutDuration: JWKS_TIMEOUT_MS });
    if (remoteSets.size >= MAX_REMOTE_SETS) remoteSets.delete(remoteSets.keys().next().value!);
    remoteSets.set(uri, set);
  }
  return set;
}

/** Forgets cached remote key sets (tests; a host rotating every issuer at once). */
export function clearJwksCache(): void {
  remoteSets.clear();
}

/** jose error codes that mean "this token is not acceptable" (401); anything else is the key source failing. */
const TOKEN_ERRORS = new Set([
  'ERR_JWT_EXPIRED',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JWT_INVALID',
  'ERR_JWS_INVALID',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JWK_INVALID',
]);

/** A header value from a claim: strings as they are when printable ASCII, anything else as JSON, percent-encoded outside ASCII. */
function claimHeader(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[\x20-\x7e]*$/.test(text) ? text : encodeURI(text);
}

function bearer(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i.exec(header.trim());
  return m?.[1];
}

/**
 * The inline public JWK as a key resolver: imported for the token's `alg` (only an allowed,
 * asymmetric one gets here; a `kty` that does not fit the `alg` fails the import), once per alg.
 * Unlike a local JWKS it ignores `kid`: a route has exactly one key.
 */
function inlineKey(jose: Jose, jwk: Readonly<Record<string, unknown>>): KeySource {
  const imported = new Map<string, ReturnType<Jose['importJWK']>>();
  const resolve = (header: { alg?: string }) => {
    const alg = header.alg ?? '';
    let key = imported.get(alg);
    if (key === undefined) {
      key = jose.importJWK({ ...(jwk as object), alg } as never, alg);
      key.catch(() => imported.delete(alg));
      imported.set(alg, key);
    }
    return key;
  };
  return resolve as unknown as KeySource;
}

export function jwtStage(config: JwtConfig): PolicyStage {
  const algorithms = [...(config.algorithms ?? JWT_ALGORITHMS)];
  const forward = Object.entries(config.forwardClaims ?? {});
  let local: KeySource | undefined;
  const verifyOptions = {
    algorithms,
    ...(config.issuer !== undefined ? { issuer: config.issuer as string | string[] } : {}),
    ...(config.audience !== undefined ? { audience: config.audience as string | string[] } : {}),
    ...(config.clockTolerance !== undefined ? { clockTolerance: Math.round(config.clockTolerance / 1000) } : {}),
  };
  return async (ctx, env): Promise<PolicyAnswer | undefined> => {
    for (const [, header] of forward) ctx.removeHeaders.push(header);
    const refuse = (reason: string, error: boolean): PolicyAnswer => {
      emitSafely(env.events, { type: 'auth-failure', route: ctx.route, scheme: 'jwt', reason });
      // RFC 6750 section 3.1: no error code when the request carried no token at all.
      return policyError(401, 'unauthorized', ctx.pattern, { 'www-authenticate': error ? 'Bearer error="invalid_token"' : 'Bearer' });
    };
    const token = bearer(ctx.headers['authorization']);
    if (token === undefined) return refuse(ctx.headers['authorization'] === undefined ? 'missing' : 'malformed', ctx.headers['authorization'] !== undefined);
    const jose = await loadJose();
    let keys: KeySource;
    if (config.jwksUri !== undefined) keys = remoteSet(jose, config.jwksUri);
    else keys = local ??= inlineKey(jose, config.publicKey!);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jose.jwtVerify(token, keys, verifyOptions));
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && TOKEN_ERRORS.has(code)) return refuse(code, true);
      // The JWKS could not be fetched or parsed: the token cannot be checked, so it is refused
      // (never let through), as a server-side failure rather than the client's.
      emitSafely(env.events, { type: 'auth-failure', route: ctx.route, scheme: 'jwt', reason: typeof code === 'string' ? code : 'jwks-unavailable' });
      return policyError(502, 'auth-unavailable', ctx.pattern);
    }
    for (const [claim, header] of forward) {
      const v = claimHeader(payload[claim]);
      if (v !== undefined) ctx.setHeaders[header] = v;
    }
    ctx.claims = payload;
    ctx.identity = typeof payload.sub === 'string' ? 'sub:' + payload.sub : 'token:' + token;
    return undefined;
  };
}
