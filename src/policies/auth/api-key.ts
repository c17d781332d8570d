/**
 * `auth: { type: "apiKey" }` (SPEC 12): the presented key is hashed with SHA-256 and compared,
 * in constant time, with every stored hash; the credential never goes upstream.
 *
 * One implementation for Node and fetch runtimes: the hash is the environment's (`node:crypto`
 * on the Node proxy, `crypto.subtle` elsewhere), and the comparison is an XOR-accumulating loop over fixed 32-byte digests that visits every stored
 * key without an early exit, so neither the position of a match nor the length of a common
 * prefix shows in the timing (what `crypto.timingSafeEqual` gives, without a Node import in a
 * module the fetch runtime loads). Comparing digests rather than keys also hides the key length.
 */
import type { AuthConfig } from '../../table/route.js';
import { firstValue } from '../../pipeline/headers.js';
import { emitSafely } from '../../telemetry/events.js';
import { policyError } from '../answer.js';
import type { PolicyAnswer, PolicyContext, PolicyEnvironment, PolicyStage } from '../types.js';
import { removeQueryParam, queryParam } from './query.js';

type ApiKeyConfig = Extract<AuthConfig, { type: 'apiKey' }>;

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return s;
}

const encoder = new TextEncoder();

/** SHA-256 of a string's UTF-8 bytes. */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

/** The index of the stored digest equal to `digest`, or -1; time depends only on the number of keys. */
export function findDigest(digest: Uint8Array, keys: readonly Uint8Array[]): number {
  let found = -1;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    let diff = key.length ^ digest.length;
    for (let i = 0; i < 32; i++) diff |= (key[i]! ^ digest[i]!) | 0;
    // Branch-free select: `found` takes k when diff is 0, keeps its value otherwise.
    const same = ((diff - 1) >>> 31) & 1;
    found = same ? k : found;
  }
  return found;
}

/**
 * `findDigest` for a digest given as a binary string (one char per byte, what `crypto.hash`
 * returns with 'binary'): the same loop without the 32-byte array the string would be copied
 * into per request. A separate function, so each loop stays monomorphic.
 */
export function findBinaryDigest(digest: string, keys: readonly Uint8Array[]): number {
  let found = -1;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    let diff = key.length ^ digest.length;
    // charCodeAt past the end is NaN, and `NaN | 0` is 0: a short string still differs by its length.
    for (let i = 0; i < 32; i++) diff |= (key[i]! ^ digest.charCodeAt(i)) | 0;
    const same = ((diff - 1) >>> 31) & 1;
    found = same ? k : found;
  }
  return found;
}

export function apiKeyStage(config: ApiKeyConfig): PolicyStage {
  const keys = config.keys.map(hexToBytes);
  // The identity strings are built once: a request only picks one (cache partition, rate-limit key).
  const identities = keys.map((k) => 'key:' + toHex(k));
  const { name } = config;
  const inHeader = config.in === 'header';
  const refuse = (ctx: PolicyContext, env: PolicyEnvironment, reason: string): PolicyAnswer => {
    emitSafely(env.events, { type: 'auth-failure', route: ctx.route, scheme: 'apiKey', reason });
    return policyError(401, 'unauthorized', ctx.pattern);
  };
  const check = (ctx: PolicyContext, env: PolicyEnvironment, digest: Uint8Array | string): PolicyAnswer | undefined => {
    const index = typeof digest === 'string' ? findBinaryDigest(digest, keys) : findDigest(digest, keys);
    if (index < 0) return refuse(ctx, env, 'invalid');
    ctx.identity = identities[index]!;
    return undefined;
  };
  return (ctx, env) => {
    let presented: string | undefined;
    if (inHeader) {
      const value = ctx.headers[name];
      // Two copies of the header are ambiguous (which one would the upstream read?): refused.
      presented = typeof value === 'string' ? value : undefined;
      ctx.removeHeaders.push(name);
    } else {
      presented = queryParam(ctx.query, name);
      ctx.query = removeQueryParam(ctx.query, name);
    }
    if (presented === undefined || presented === '') return refuse(ctx, env, firstValue(ctx.headers[name]) === undefined ? 'missing' : 'ambiguous');
    if (presented.length > 4096) return refuse(ctx, env, 'invalid');
    const digest = env.sha256(presented);
    // The Node proxy hashes synchronously: no promise, no closure per request.
    return digest instanceof Promise ? digest.then((d) => check(ctx, env, d)) : check(ctx, env, digest);
  };
}
