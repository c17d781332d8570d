/**
 * A LISTEN connection that stays up: one client held out of the pool, LISTENing on a channel;
 * when it is lost (server restart, network, a heartbeat that gets no answer) it is destroyed
 * and a new one is made, with exponential backoff and jitter. Every time LISTEN is (re)established
 * `onListening` runs: notifications sent while no connection listened are lost, so the owner
 * must treat everything it cached as stale.
 */
import { quoteIdentifier } from './identifiers.js';
import type { PgPoolClientLike, PgPoolLike } from './pg-types.js';

export interface ListenerOptions {
  pool: PgPoolLike;
  channel: string;
  onNotification: (payload: string) => void;
  onListening: (reconnected: boolean) => void;
  onError: (err: unknown) => void;
  /** First wait after a failure (ms). */
  backoffInitialMs: number;
  /** Longest wait between attempts (ms). */
  backoffMaxMs: number;
  /** A `SELECT 1` this often finds a connection that died silently (ms; 0: none). */
  heartbeatMs: number;
}

export class PgListener {
  private closed = false;
  /** Resolves when `close()` is called: every wait races it. */
  private readonly closing: Promise<undefined>;
  private signalClose!: () => void;
  private connected = false;
  private waiters: Array<() => void> = [];
  private client: PgPoolClientLike | null = null;
  private readonly done: Promise<void>;
  /** Connections made (1 after the first success) and attempts that failed. */
  readonly counters = { connections: 0, failures: 0 };

  constructor(private readonly options: ListenerOptions) {
    this.closing = new Promise((resolve) => {
      this.signalClose = () => resolve(undefined);
    });
    this.done = this.run();
  }

  get listening(): boolean {
    return this.connected;
  }

  /** Resolves once a LISTEN is in place (at once if it is). */
  whenListening(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.signalClose();
    await this.done;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits `ms`, or less if closed meanwhile. */
  private async sleep(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.closing]);
    clearTimeout(timer);
  }

  private backoff(attempt: number): number {
    const { backoffInitialMs, backoffMaxMs } = this.options;
    const ceiling = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(attempt, 20));
    // Full jitter over the upper half: many instances that lost Postgres together do not all come back at once.
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private async run(): Promise<void> {
    let failures = 0;
    let everConnected = false;
    while (!this.closed) {
      let client: PgPoolClientLike | null = null;
      let lostWith: Error | undefined;
      try {
        const connecting = this.options.pool.connect();
        const first = await Promise.race([connecting, this.closing]);
        if (first === undefined) {
          // Closed while connecting: the connection, when it comes, is not kept.
          connecting.then(
            (c) => c.release(true),
            () => {},
          );
          break;
        }
        client = first;
        this.client = client;
        const lost = new Promise<Error>((resolve) => {
          // A listener stays attached for the client's whole life: an 'error' with none crashes the process.
          client!.on('error', (err) => resolve(err));
          client!.on('end', () => resolve(new Error('The LISTEN connection ended')));
        });
        client.on('notification', (message) => {
          if (message.channel === this.options.channel) this.options.onNotification(message.payload ?? '');
        });
        await client.query(`LISTEN ${quoteIdentifier(this.options.channel)}`);
        if (this.closed) break;
        this.connected = true;
        this.counters.connections++;
        failures = 0;
        for (const w of this.waiters.splice(0)) w();
        this.options.onListening(everConnected);
        everConnected = true;
        lostWith = await Promise.race([lost, this.heartbeat(client), this.closing]);
        if (lostWith !== undefined) this.options.onError(lostWith);
      } catch (err) {
        lostWith = err instanceof Error ? err : new Error(String(err));
        this.counters.failures++;
        this.options.onError(err);
      } finally {
        this.connected = false;
        this.client = null;
        // Never back into the pool: its session has LISTEN on (or is broken).
        if (client !== null) {
          try {
            client.release(lostWith ?? true);
          } catch {
            /* already gone */
          }
        }
      }
      if (this.closed) break;
      await this.sleep(this.backoff(failures++));
    }
  }

  /** Resolves with an error when a `SELECT 1` does not come back within `heartbeatMs`. */
  private async heartbeat(client: PgPoolClientLike): Promise<Error> {
    const ms = this.options.heartbeatMs;
    if (!(ms > 0)) return new Promise<Error>(() => {}); // never
    for (;;) {
      await this.sleep(ms);
      if (this.closed || this.client !== client) return new Promise<Error>(() => {});
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<Error>((resolve) => {
        timer = setTimeout(() => resolve(new Error(`The LISTEN connection did not answer a heartbeat within ${ms} ms`)), ms);
      });
      const answer = client.query('SELECT 1').then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
      const result = await Promise.race([answer, timeout]);
      clearTimeout(timer);
      if (result !== undefined) return result;
    }
  }
}
