/**
 * The Redis client the store makes from a URL: ioredis, loaded when a store is created (an
 * optional peer dependency), configured to fail fast rather than queue: with Redis down a
 * command rejects at once, and a command with no answer within `timeoutMs` rejects, so a
 * request never waits on the rate limiter beyond that.
 */

/** The client calls the store makes; an ioredis `Redis` fits. */
export interface RedisClientLike {
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

interface IoRedisOptions {
  enableOfflineQueue: boolean;
  maxRetriesPerRequest: number;
  commandTimeout: number;
  connectTimeout: number;
  retryStrategy: (times: number) => number;
  lazyConnect: boolean;
}

type IoRedisCtor = new (
  url: string,
  options: IoRedisOptions,
) => RedisClientLike & {
  on(event: 'error', l: (err: Error) => void): unknown;
  once(event: 'ready', l: () => void): unknown;
  status: string;
};

export async function createRedisClient(url: string, options: { timeoutMs: number; onError: (err: unknown) => void }): Promise<RedisClientLike> {
  if (!/^rediss?:\/\//.test(url)) throw new TypeError(`The Redis URL must start with redis:// or rediss://, got ${JSON.stringify(url)}`);
  let mod: { default?: IoRedisCtor | { Redis?: IoRedisCtor }; Redis?: IoRedisCtor };
  try {
    mod = (await import('ioredis')) as unknown as typeof mod;
  } catch (err) {
    throw new Error(`The Redis rate-limit store needs the "ioredis" package: npm install ioredis. (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  const Redis = mod.Redis ?? (typeof mod.default === 'function' ? mod.default : mod.default?.Redis);
  if (Redis === undefined) throw new Error('The "ioredis" package loaded, but it has no Redis export: is it ioredis 5 or later?');
  const client = new Redis(url, {
    // Not connected: reject now (the caller fails open) instead of queueing until Redis returns.
    enableOfflineQueue: false,
    // A connection lost mid-command fails that command rather than resending it later.
    maxRetriesPerRequest: 0,
    commandTimeout: options.timeoutMs,
    connectTimeout: Math.max(1_000, options.timeoutMs * 4),
    // Reconnect forever: 50 ms, doubling, at most 2 s apart.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    lazyConnect: false,
  });
  // Without a listener ioredis prints every connection error; with one, the host decides.
  client.on('error', (err) => options.onError(err));
  // Without an offline queue a command sent before the connection is ready fails: wait for it,
  // but not for long: a Redis that is down at start only means requests pass unlimited until it is up.
  const connectTimeout = Math.max(1_000, options.timeoutMs * 4);
  if (client.status !== 'ready') {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise<void>((resolve) => client.once('ready', resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, connectTimeout)))]);
    clearTimeout(timer);
  }
  return client;
}
