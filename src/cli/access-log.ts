/**
 * The access log of `af-routes serve` (`--access-log off|text|json`). JSON lines go through
 * pino with its asynchronous destination (sonic-boom): the request path only serializes an
 * object into a buffer, and the write to stdout happens off it, batched. pino loads only when
 * JSON is asked for. In JSON mode the command's own messages (listening, reloads) become JSON
 * lines too, so stdout stays one format a log collector can parse.
 *
 * Batching is what keeps a line cheap (bench/results/notes-observability.md): unbatched,
 * sonic-boom starts a write (a thread-pool round trip and a syscall) for almost every line,
 * which cost more CPU than building the line. Lines wait in ./access-log-batch.ts until a
 * batch is buffered, or at most FLUSH_MS; the command's own messages are flushed at once.
 */
import type { AccessLogEntry } from '../proxy/index.js';
import type { Io } from './commands.js';
import { LineBatcher, type BatchTarget } from './access-log-batch.js';
import { accessLogLine } from './access-log-line.js';
import { formatAccessLog } from './gateway-server.js';

export type AccessLogMode = 'off' | 'text' | 'json';

export const ACCESS_LOG_MODES: readonly AccessLogMode[] = ['off', 'text', 'json'];

export interface AccessLog {
  /** The proxy's `onRequest`, or undefined when the log is off. */
  readonly onRequest: ((entry: AccessLogEntry) => void) | undefined;
  /** Where the command's own messages go (JSON lines in JSON mode). */
  readonly io: Io;
  /**
   * Hands what is buffered to the (asynchronous, in-order) writer. A process that then ends
   * on its own writes it all; one about to `process.exit` awaits `drain` first.
   */
  flush(): void;
  /** Resolves once everything logged so far is written (or after DRAIN_TIMEOUT_MS). */
  drain(): Promise<void>;
}

/** The most `drain` waits for stdout to take the last lines (a reader that stopped reading). */
export const DRAIN_TIMEOUT_MS = 2_000;

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/**
 * The most a line waits in the buffer: a quiet gateway's lines still reach the collector
 * promptly. Writes start earlier, as soon as a batch (BATCH) is buffered.
 */
export const FLUSH_MS = 200;
/**
 * Write sizes (bytes): a write starts once `min` bytes of lines are buffered, and carries at
 * most `max` bytes of whole lines. One process alone on stdout batches ~12 KB (50 to 60
 * lines a write). Cluster workers share stdout, and a pipe keeps a write whole only up to
 * PIPE_BUF (4,096 bytes on Linux): their writes stay under it, so two workers' lines never
 * interleave mid-line.
 */
const BATCH = { alone: { min: 12_288, max: 16_384 }, shared: { min: 3_072, max: 4_096 } };

/**
 * The fields of one JSON access-log line, in a stable order (`time` is added by the logger):
 * what pino would write, and what ./access-log-line.ts writes without pino, field for field.
 * One object literal of a fixed shape; pino leaves out the fields that are undefined.
 */
export function accessLogRecord(e: AccessLogEntry): Record<string, unknown> {
  return {
    method: e.method,
    path: e.path,
    route: e.route,
    name: e.name,
    variant: e.variant,
    target: e.target,
    status: e.status,
    upstreamStatus: e.upstreamStatus,
    attempts: e.attempts,
    ms: round(e.ms),
    upstreamMs: e.upstreamMs === undefined ? undefined : round(e.upstreamMs),
    bytesIn: e.bytesIn,
    bytesOut: e.bytesOut,
    error: e.error,
  };
}

/**
 * The current time as ISO 8601. `toISOString` runs once per second (a Date and a formatted
 * print each time); within the second only the milliseconds change.
 */
export function isoNowCached(): () => string {
  let lastMs = Number.NaN;
  let lastSecond = Number.NaN;
  let prefix = '';
  let text = '';
  return () => {
    const now = Date.now();
    if (now === lastMs) return text;
    lastMs = now;
    // (Before 1970 `%` is negative: the milliseconds are counted from the second below.)
    const ms = ((now % 1000) + 1000) % 1000;
    const second = now - ms;
    if (second !== lastSecond) {
      lastSecond = second;
      // `YYYY-MM-DDTHH:mm:ss.` (or a six-digit year's form): everything but `sssZ`.
      prefix = new Date(second).toISOString().slice(0, -4);
    }
    text = prefix + (ms < 10 ? '00' : ms < 100 ? '0' : '') + ms + 'Z';
    return text;
  };
}

/** pino's `timestamp`: `,"time":"<ISO 8601>"` (pino's `isoTime` formats a Date for every line). */
export function isoTimeCached(now: () => string = isoNowCached()): () => string {
  return () => `,"time":"${now()}"`;
}

export async function createAccessLog(mode: AccessLogMode, io: Io, opts: { sharedStdout?: boolean } = {}): Promise<AccessLog> {
  const synchronous = { flush() {}, drain: () => Promise.resolve() };
  if (mode === 'off') return { onRequest: undefined, io, ...synchronous };
  if (mode === 'text') return { onRequest: (entry) => io.out(formatAccessLog(entry)), io, ...synchronous };
  const { pino } = await import('pino');
  // sync: false: sonic-boom makes the writes off the request path (the libuv pool), each of a
  // whole batch the batcher hands it, encoded (minLength 0: it starts a write as soon as it has one).
  const batch = opts.sharedStdout === true ? BATCH.shared : BATCH.alone;
  const destination = pino.destination({ dest: 1, sync: false, maxWrite: batch.max, contentMode: 'buffer' });
  // Bytes handed to sonic-boom and bytes it has written: what `drain` waits for. (Its
  // `flushSync` is no way to end: with a write in flight it writes what is queued behind that
  // write first, out of order.)
  let handed = 0;
  let written = 0;
  destination.on('write', (n: number) => (written += n));
  // In buffer mode its `write` takes a Buffer (its types declare only the string mode's).
  const sink = destination as unknown as BatchTarget;
  const lines = new LineBatcher(
    {
      write: (bytes) => {
        handed += bytes.length;
        sink.write(bytes);
      },
    },
    batch.min,
    batch.max,
  );
  // A quiet gateway's lines still go out within FLUSH_MS; unref'd, so it never keeps the process up.
  setInterval(() => lines.flush(), FLUSH_MS).unref();
  const now = isoNowCached();
  const logger = pino(
    {
      // No pid/hostname on every line: a collector knows where it reads from.
      base: null,
      timestamp: isoTimeCached(now),
      formatters: { level: (label) => ({ level: label }) },
    },
    lines,
  );
  return {
    // The command's messages go through pino; access lines are pino's lines made directly (accessLogLine).
    onRequest: (entry) => lines.write(accessLogLine(now(), entry)),
    io: {
      // The command's own messages (listening, reloads, drain) are rare and awaited by whoever
      // reads stdout: written at once, with whatever lines are buffered before them.
      out: (text) => {
        logger.info({ msg: text });
        lines.flush();
      },
      err: (text) => io.err(text),
    },
    flush() {
      lines.flush();
    },
    async drain() {
      lines.flush();
      if (written >= handed) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          destination.off('drain', check);
          destination.off('error', done);
          resolve();
        };
        const check = (): void => {
          if (written >= handed) done();
        };
        const timer = setTimeout(done, DRAIN_TIMEOUT_MS);
        destination.on('drain', check);
        // stdout closed: nothing more will be written.
        destination.on('error', done);
      });
    },
  };
}

/** `--access-log` as given, or the default: JSON in production mode, text otherwise. */
export function accessLogMode(value: string | undefined, production: boolean): AccessLogMode {
  if (value === undefined) return production ? 'json' : 'text';
  if ((ACCESS_LOG_MODES as readonly string[]).includes(value)) return value as AccessLogMode;
  throw new TypeError(`--access-log must be off, text or json, not "${value}"`);
}
