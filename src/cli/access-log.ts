/**
 * The access log of `af-routes serve` (`--access-log off|text|json`). JSON lines go through
 * pino with its asynchronous destination (sonic-boom): the request path only serializes an
 * object into a buffer, and the write to stdout happens off it, batched. pino loads only when
 * JSON is asked for. In JSON mode the command's own messages (listening, reloads) become JSON
 * lines too, so stdout stays one format a log collector can parse.
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

/** The fields of one JSON access-log line, in a stable order (`time` is added by the logger). */
export function accessLogRecord(e: AccessLogEntry): Record<string, unknown> {
  const r: Record<string, unknown> = { method: e.method, path: e.path, route: e.route };
  if (e.name !== undefined) r['name'] = e.name;
  if (e.variant !== undefined) r['variant'] = e.variant;
  if (e.target !== undefined) r['target'] = e.target;
  r['status'] = e.status;
  if (e.upstreamStatus !== undefined) r['upstreamStatus'] = e.upstreamStatus;
  if (e.attempts !== undefined) r['attempts'] = e.attempts;
  r['ms'] = round(e.ms);
  if (e.upstreamMs !== undefined) r['upstreamMs'] = round(e.upstreamMs);
  if (e.bytesIn !== undefined) r['bytesIn'] = e.bytesIn;
  if (e.bytesOut !== undefined) r['bytesOut'] = e.bytesOut;
  if (e.error !== undefined) r['error'] = e.error;
  return r;
}

export async function createAccessLog(mode: AccessLogMode, io: Io): Promise<AccessLog> {
  if (mode === 'off') return { onRequest: undefined, io, flush() {} };
  if (mode === 'text') return { onRequest: (entry) => io.out(formatAccessLog(entry)), io, flush() {} };
  const { pino } = await import('pino');
  // sync: false: writes are queued and flushed by sonic-boom as the fd accepts them.
  const destination = pino.destination({ dest: 1, sync: false });
  const logger = pino(
    {
      // No pid/hostname on every line: a collector knows where it reads from.
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    onRequest: (entry) => logger.info(accessLogRecord(entry)),
    io: {
      out: (text) => logger.info({ msg: text }),
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
