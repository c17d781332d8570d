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
import { LineBatcher } from './access-log-batch.js';
import { formatAccessLog } from './gateway-server.js';

export type AccessLogMode = 'off' | 'text' | 'json';

export const ACCESS_LOG_MODES: readonly AccessLogMode[] = ['off', 'text', 'json'];

export interface AccessLog {
  /** The proxy's `onRequest`, or undefined when the log is off. */
  readonly onRequest: ((entry: AccessLogEntry) => void) | undefined;
  /** Where the command's own messages go (JSON lines in JSON mode). */
  readonly io: Io;
  /** Writes out what is buffered (before exit). */
  flush(): void;
}

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
 * The fields of one JSON access-log line, in a stable order (`time` is added by the logger).
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
 * pino's `timestamp`: `,"time":"<ISO 8601>"`, formatted once per millisecond (pino's
 * `isoTime` formats a Date for every line; under load several lines share a millisecond).
 */
export function isoTimeCached(): () => string {
  let last = -1;
  let text = '';
  return () => {
    const now = Date.now();
    if (now !== last) {
      last = now;
      text = `,"time":"${new Date(now).toISOString()}"`;
    }
    return text;
  };
}

export async function createAccessLog(mode: AccessLogMode, io: Io, opts: { sharedStdout?: boolean } = {}): Promise<AccessLog> {
  if (mode === 'off') return { onRequest: undefined, io, flush() {} };
  if (mode === 'text') return { onRequest: (entry) => io.out(formatAccessLog(entry)), io, flush() {} };
  const { pino } = await import('pino');
  // sync: false: sonic-boom makes the writes off the request path (the libuv pool), each of a
  // whole batch the batcher hands it (minLength 0: it starts a write as soon as it has one).
  const batch = opts.sharedStdout === true ? BATCH.shared : BATCH.alone;
  const destination = pino.destination({ dest: 1, sync: false, maxWrite: batch.max });
  const lines = new LineBatcher(destination, batch.min, batch.max);
  // A quiet gateway's lines still go out within FLUSH_MS; unref'd, so it never keeps the process up.
  setInterval(() => lines.flush(), FLUSH_MS).unref();
  const logger = pino(
    {
      // No pid/hostname on every line: a collector knows where it reads from.
      base: null,
      timestamp: isoTimeCached(),
      formatters: { level: (label) => ({ level: label }) },
    },
    lines,
  );
  return {
    onRequest: (entry) => logger.info(accessLogRecord(entry)),
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
      try {
        destination.flushSync();
      } catch {
        // Nothing buffered, or stdout already closed.
      }
    },
  };
}

/** `--access-log` as given, or the default: JSON in production mode, text otherwise. */
export function accessLogMode(value: string | undefined, production: boolean): AccessLogMode {
  if (value === undefined) return production ? 'json' : 'text';
  if ((ACCESS_LOG_MODES as readonly string[]).includes(value)) return value as AccessLogMode;
  throw new TypeError(`--access-log must be off, text or json, not "${value}"`);
}
