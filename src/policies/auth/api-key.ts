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

/**
 * Whether two strings are equal, in a time that depends on `presented`'s length only: no early
 * exit at the first differing character, and the stored string's length shows only in the
 * result (`charCodeAt` past its end is NaN, and `NaN | 0` is 0; the lengths are XORed in).
 */
export function sameKey(presented: string, stored: string): boolean {
  let diff = presented.length ^ stored.length;
  for (let i = 0; i < presented.length; i++) diff |= presented.charCodeAt(i) ^ (stored.charCodeAt(i) | 0);
  return diff === 0;
}

/** What a connection's last accepted key was: the presented string and its stored key's index. */
interface Accepted {
  presented: string;
  index: number;
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
  /**
   * Per client connection (`ctx.connection`, Node's HTTP/1 socket), the key this stage last
   * accepted on it: a connection's next request presenting the same string (what a keep-alive
   * client does) is that key again, without hashing it (SHA-256 was ~2.5k of the ~22k
   * instructions a request with apiKey + rateLimit costs over a plain one). Why this leaks
   * nothing (bench/results/notes-policies.md, session 26): only a key that passed the digest
   * comparison is kept, so the shortcut is taken only for a presented key that is valid, which
   * the 200 answer says anyway; the comparison with the kept key (`sameKey`) takes a time set by
   * the presented key's length, not by how much of it matches; a connection shared by several
   * clients (a pooling front proxy) shows a client only whether its own key equals the one used
   * before it, which it already knows when it is its own and learns with a 200 otherwise. Kept
   * per stage (a table reload builds a new stage: rotated keys are not remembered) in a
   * WeakMap, so a closed connection's entry goes with the socket: at most one per open connection.
   */
  const accepted = new WeakMap<object, Accepted>();
  const check = (ctx: PolicyContext, env: PolicyEnvironment, digest: Uint8Array | string, presented: string): PolicyAnswer | undefined => {
    const index = typeof digest === 'string' ? findBinaryDigest(digest, keys) : findDigest(digest, keys);
    if (index < 0) return refuse(ctx, env, 'invalid');
    ctx.identity = identities[index]!;
    const connection = ctx.connection;
    if (connection !== undefined) {
      const last = accepted.get(connection);
      if (last === undefined) accepted.set(connection, { presented, index });
      else {
        last.presented = presented;
        last.index = index;
      }
    }
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
    const connection = ctx.connection;
    if (connection !== undefined) {
      const last = accepted.get(connection);
      if (last !== undefined && sameKey(presented, last.presented)) {
        ctx.identity = identities[last.index]!;
        return undefined;
      }
    }
    const digest = env.sha256(presented);
    // The Node proxy hashes synchronously: no promise, no closure per request.
    return digest instanceof Promise ? digest.then((d) => check(ctx, env, d, presented)) : check(ctx, env, digest, presented);
  };
}
