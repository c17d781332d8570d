/**
 * The JSON access-log line (src/cli/access-log.ts `accessLogLine`) is made without pino's
 * serializer, for speed: the law is that it is byte for byte the line pino writes for the same
 * entry with `serve`'s logger options, for any entry (any strings, numbers, optional fields).
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { accessLogLine, accessLogRecord, isoNowCached, isoTimeCached } from '../src/cli/access-log.js';
import type { AccessLogEntry } from '../src/proxy/index.js';

const TIME = '2026-11-29T15:00:00.123Z';

/** What pino writes for `entry` with the options of `createAccessLog('json')`, at TIME. */
function viaPino(entry: AccessLogEntry): string {
  let out = '';
  const logger = pino({ base: null, timestamp: isoTimeCached(() => TIME), formatters: { level: (label) => ({ level: label }) } }, { write: (s: string) => (out += s) });
  logger.info(accessLogRecord(entry));
  return out;
}

// Well-formed strings (pino on Node < 25 leaves a lone surrogate unescaped: see below).
const text = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ minLength: 101, maxLength: 150 }),
  fc.constantFrom('a"b', 'c\\d', 'tab\there', 'nl\n', '\u0000'),
);
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1.0005, 2.5e-7));
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const entry: fc.Arbitrary<AccessLogEntry> = fc
  .record({
    method: text,
    path: text,
    route: fc.option(text, { nil: null }),
    status: number,
    ms: number,
    name: optional(text),
    variant: optional(number),
    target: optional(text),
    upstreamStatus: optional(number),
    attempts: optional(number),
    upstreamMs: optional(number),
    bytesIn: optional(number),
    bytesOut: optional(number),
    error: optional(text),
  })
  .map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as AccessLogEntry);

describe('accessLogLine', () => {
  it('is the line pino writes for the same entry', () => {
    fc.assert(
      fc.property(entry, (e) => {
        expect(accessLogLine(TIME, e)).toBe(viaPino(e));
      }),
      { numRuns: 500 },
    );
  });

  it('a typical proxied request', () => {
    const e: AccessLogEntry = {
      method: 'GET',
      path: '/api/a?x=1',
      route: '/api/*',
      name: '/api/*',
      variant: 0,
      target: 'http://127.0.0.1:9',
      status: 200,
      upstreamStatus: 200,
      attempts: 1,
      ms: 1.23456,
      upstreamMs: 0.98765,
      bytesIn: 0,
      bytesOut: 2,
    };
    expect(accessLogLine(TIME, e)).toBe(
      `{"level":"info","time":"${TIME}","method":"GET","path":"/api/a?x=1","route":"/api/*","name":"/api/*","variant":0,"target":"http://127.0.0.1:9","status":200,"upstreamStatus":200,"attempts":1,"ms":1.235,"upstreamMs":0.988,"bytesIn":0,"bytesOut":2}\n`,
    );
  });

  it('escapes a lone surrogate (valid JSON that reads back the same string)', () => {
    const e: AccessLogEntry = { method: 'GET', path: '/x', route: 'bad\ud800name', status: 200, ms: 1 };
    const line = accessLogLine(TIME, e);
    expect(line).toContain('\\ud800');
    expect(JSON.parse(line).route).toBe('bad\ud800name');
  });
});

describe('isoNowCached', () => {
  it('is the ISO time of now', () => {
    const now = isoNowCached();
    const before = Date.now();
    const t = Date.parse(now());
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});

describe('isoNowCached at any instant', () => {
  it('is Date.prototype.toISOString of the same instant', () => {
    const realNow = Date.now;
    try {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: -8.64e15, max: 8.64e15 }), { minLength: 1, maxLength: 20 }), (instants) => {
          const now = isoNowCached();
          for (const t of instants) {
            Date.now = () => t;
            expect(now()).toBe(new Date(t).toISOString());
          }
        }),
      );
    } finally {
      Date.now = realNow;
    }
  });
});
