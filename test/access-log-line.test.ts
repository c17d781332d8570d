/**
 * The JSON access-log line (src/cli/access-log-line.ts `accessLogLine`) is made without pino's
 * serializer, for speed: the law is that it is byte for byte the line pino writes for the same
 * entry with `serve`'s logger options, for any entry (any strings, numbers, optional fields).
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { accessLogRecord, isoNowCached, isoTimeCached } from '../src/cli/access-log.js';
import { accessLogLine, jsonMillis, jsonString } from '../src/cli/access-log-line.js';
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
// Durations as a gateway measures them (sub-millisecond to minutes) as well as any double.
const duration = fc.double({ min: 0, max: 1e6, noNaN: true });
const number = fc.oneof(fc.integer(), fc.double(), duration, fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1.0005, 2.5e-7, 0.0005, 0.0015, 999.9995));
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

  it('is the line pino writes for proxied requests of a few routes, repeated (remembered fragments)', () => {
    const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
    const proxied: fc.Arbitrary<AccessLogEntry> = fc.record({
      method: pick('GET', 'POST', 'DELETE'),
      path: fc.oneof(pick('/api/a', '/users/1?x="q"'), text),
      route: pick('/api/*', '/users/:id', 'r"q'),
      name: pick('/api/*', 'users', 'n\\b'),
      variant: pick(0, 1, 2),
      target: pick('http://127.0.0.1:9', 'http://[::1]:8080/base', 'http://h\u0001:1'),
      status: fc.oneof(pick(200, 404, 502, 99, 1000, 200.5), number),
      upstreamStatus: fc.oneof(pick(200, 503, 100, 999), number),
      attempts: fc.oneof(fc.constant(1), number),
      ms: fc.oneof(duration, number),
      upstreamMs: duration,
      bytesIn: fc.oneof(pick(0, -0, 5), number),
      bytesOut: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(proxied, { minLength: 1, maxLength: 20 }), (entries) => {
        for (const e of [...entries, ...entries]) expect(accessLogLine(TIME, e)).toBe(viaPino(e));
      }),
      { numRuns: 200 },
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

  it('is the same line again for the same entry (route, name and target quoted once, then remembered)', () => {
    const e: AccessLogEntry = { method: 'GET', path: '/a', route: '/a', name: 'a "quoted" name', variant: 0, target: 'http://h:1', status: 200, ms: 2 };
    const first = accessLogLine(TIME, e);
    expect(accessLogLine(TIME, { ...e })).toBe(first);
    expect(first).toBe(viaPino(e));
  });

  it('stays right past the bound on remembered strings (a table reloaded with ever new routes)', () => {
    for (let i = 0; i < 5_000; i++) {
      const e: AccessLogEntry = { method: 'GET', path: `/r${i}`, route: `/r${i}/*`, name: `route ${i}`, target: `http://h:${i}`, status: 200, ms: i / 7 };
      expect(JSON.parse(accessLogLine(TIME, e))).toMatchObject({ route: `/r${i}/*`, name: `route ${i}`, target: `http://h:${i}`, ms: Math.round((i / 7) * 1000) / 1000 });
    }
  });

  it('escapes a lone surrogate (valid JSON that reads back the same string)', () => {
    const e: AccessLogEntry = { method: 'GET', path: '/x', route: 'bad\ud800name', status: 200, ms: 1 };
    const line = accessLogLine(TIME, e);
    expect(line).toContain('\\ud800');
    expect(JSON.parse(line).route).toBe('bad\ud800name');
  });
});

describe('jsonString', () => {
  it('is JSON.stringify of any string (lone surrogates, controls, quotes included)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()), (s) => {
        expect(jsonString(s)).toBe(JSON.stringify(s));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('jsonMillis', () => {
  const viaJson = (ms: number) => JSON.stringify(Math.round(ms * 1000) / 1000);
  it('is how JSON writes the duration rounded to microseconds, for any double', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), duration, fc.double({ min: 0, max: 1e13 })), (ms) => {
        expect(jsonMillis(ms)).toBe(viaJson(ms));
      }),
      { numRuns: 5000 },
    );
  });

  it('for every whole number of microseconds, near and at the edge of the digit path', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.nat({ max: 10_000_000 }), fc.integer({ min: 1e15 - 1e6, max: 1e15 + 1e6 }), fc.maxSafeNat()),
        fc.double({ min: -0.4999, max: 0.4999, noNaN: true }),
        (k, jitter) => {
          const ms = (k + jitter) / 1000;
          expect(jsonMillis(ms)).toBe(viaJson(ms));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('writes trailing-zero thousandths, -0 and the non-finite as JSON does', () => {
    for (const ms of [0, -0, 0.0004, -0.0004, 0.001, 0.01, 0.1, 0.05, 0.5, 1, 1.2, 1.23, 1.234, 10.01, 100.1, 2.0005, NaN, Infinity, -Infinity, -1.5, 1e15, 1e21])
      expect(jsonMillis(ms)).toBe(viaJson(ms));
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
