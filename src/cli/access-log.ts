/**
 * The access log of `af-routes serve` (`--access-log off|text|json`). JSON lines go through
 * pino with its asynchronous destination (sonic-boom): the request path only serializes an
 * object into a buffer, and the write to stdout happens off it, batched. pino loads only when
 * JSON is asked for. In JSON mode the command's own messages (listening, reloads) become JSON
 * lines too, so stdout stays one format a log collector can parse.
 *
 * Batching is what keeps a line cheap (bench/results/notes-observability.md): without a
 * minimum length sonic-boom starts a write (a thread-pool round trip and a syscall) for almost
 * every line, which cost more CPU than building the line. Lines wait until ~3 KB are buffered,
 * or at most FLUSH_MS; the command's own messages are flushed at once.
 */
import type { AccessLogEntry } from '../proxy/index.js';
import type { Io } from './commands.js';
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
 * promptly. Writes start earlier, as soon as MIN_WRITE bytes are buffered.
 */
export const FLUSH_MS = 200;
/**
 * One write per ~3 KB of lines (15 to 20 of them), each write at most PIPE_BUF (4,096 bytes on
 * Linux) of whole lines: with `--workers N` every worker writes to the same stdout, and a
 * pipe keeps writes of that size whole, so two workers' lines never interleave mid-line.
 */
const MIN_WRITE = 3072;
const MAX_WRITE = 4096;

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

export async function createAccessLog(mode: AccessLogMode, io: Io): Promise<AccessLog> {
  if (mode === 'off') return { onRequest: undefined, io, flush() {} };
  if (mode === 'text') return { onRequest: (entry) => io.out(formatAccessLog(entry)), io, flush() {} };
  const { pino } = await import('pino');
  // sync: false: writes are queued and made by sonic-boom off the request path, batched
  // (MIN_WRITE), and at least every FLUSH_MS (its periodic flush timer is unref'd).
  const destination = pino.destination({ dest: 1, sync: false, minLength: MIN_WRITE, maxWrite: MAX_WRITE, periodicFlush: FLUSH_MS });
  const logger = pino(
    {
      // No pid/hostname on every line: a collector knows where it reads from.
      base: null,
      timestamp: isoTimeCached(),
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const flushSoon = (): void => {
    try {
      destination.flush();
    } catch {
      // Destroyed (the process is exiting): nothing to write to.
    }
  };
  return {
    onRequest: (entry) => logger.info(accessLogRecord(entry)),
    io: {
      // The command's own messages (listening, reloads, drain) are rare and awaited by whoever
      // reads stdout: written at once, with whatever lines are buffered before them.
      out: (text) => {
        logger.info({ msg: text });
        flushSoon();
      },
      err: (text) => io.err(text),
    },
    flush() {
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
