/**
 * One JSON access-log line: the bytes pino writes for `logger.info(accessLogRecord(e))` with
 * `serve`'s logger options (`{"level":"info","time":...,<fields>}` and a newline), made by
 * concatenation. test/access-log-line.test.ts checks the two agree for generated entries.
 *
 * Why not pino's serializer, nor one `JSON.stringify` of the record: pino's generic serializer
 * (a `for...in`, a concatenation per field) and then `JSON.stringify` (V8's serializer walks the
 * object's properties in C++ and checks every character of every string for escapes) were the
 * largest costs of the JSON log, ~10k instructions per line under callgrind
 * (bench/results/notes-observability.md, "Session 23"). Here the strings a route table bounds
 * (route, name, target, method) are quoted once and remembered, only the path is checked per
 * request, and numbers are appended: the durations, rounded to microseconds, without a
 * floating-point print.
 */
import type { AccessLogEntry } from '../proxy/index.js';

/**
 * The JSON string literal of `s`, as `JSON.stringify(s)` writes it. Strings with nothing to
 * escape (nearly all: paths, names, URLs) are quoted directly; any quote, backslash, control
 * character or surrogate sends the string to `JSON.stringify` (which also escapes a lone
 * surrogate, so the line stays valid UTF-8).
 */
export function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

/**
 * Quoted strings remembered by value: a table's route patterns, names and targets, and the
 * methods (Node's parser accepts only the known set). Bounded all the same: past LIMIT distinct
 * strings (a table reloaded many times over) it starts again empty.
 */
class QuotedStrings {
  private static readonly LIMIT = 4_096;
  private readonly quoted = new Map<string, string>();

  get(s: string): string {
    let q = this.quoted.get(s);
    if (q === undefined) {
      if (this.quoted.size >= QuotedStrings.LIMIT) this.quoted.clear();
      this.quoted.set(s, (q = jsonString(s)));
    }
    return q;
  }
}

const quoted = new QuotedStrings();

/** A number as JSON writes it (`null` for NaN and the infinities; -0 as `0`). */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? '' + n : 'null';
}

/** Milliseconds in a whole number of thousandths below this print as digits (about 31 years). */
const EXACT_THOUSANDTHS = 1e15;

/**
 * `Math.round(ms * 1000) / 1000` as JSON writes it. For a whole number k of thousandths in
 * [0, 1e15) the shortest decimal of the double nearest k / 1000 is k / 1000 written out with
 * its trailing zeros dropped (doubles there are far closer together than 0.001, so no shorter
 * decimal reads back as the same double): built from two integers, not by the floating-point
 * print. Anything else (negative, NaN, huge) goes through the number print.
 */
export function jsonMillis(ms: number): string {
  const k = Math.round(ms * 1000);
  if (!(k >= 0 && k < EXACT_THOUSANDTHS)) return jsonNumber(k / 1000);
  const whole = Math.floor(k / 1000);
  const frac = k - whole * 1000;
  if (frac === 0) return '' + whole;
  if (frac % 100 === 0) return whole + '.' + frac / 100;
  if (frac % 10 === 0) return whole + (frac < 100 ? '.0' : '.') + frac / 10;
  return whole + (frac < 10 ? '.00' : frac < 100 ? '.0' : '.') + frac;
}

/**
 * What a route's requests share: `,"route":…,"name":…,"variant":…,"target":…`, made once per
 * (route, name, variant, target) and remembered under the name (a name's few variants and
 * targets in a short list), as the line's concatenations were a cost of their own: each `+`
 * is a string allocated and later copied again into the batch.
 */
class RouteFragments {
  private static readonly LIMIT = 4_096;
  private readonly byName = new Map<string, { route: string; variant: number; target: string; text: string }[]>();

  get(route: string, name: string, variant: number, target: string): string {
    let list = this.byName.get(name);
    if (list === undefined) {
      if (this.byName.size >= RouteFragments.LIMIT) this.byName.clear();
      this.byName.set(name, (list = []));
    }
    for (const f of list) if (f.route === route && f.variant === variant && f.target === target) return f.text;
    const text = ',"route":' + quoted.get(route) + ',"name":' + quoted.get(name) + ',"variant":' + jsonNumber(variant) + ',"target":' + quoted.get(target);
    // A name's variants and targets are few; past 16 the oldest goes.
    if (list.length >= 16) list.shift();
    list.push({ route, variant, target, text });
    return text;
  }
}

const routeFragments = new RouteFragments();

/** `,"status":S,"upstreamStatus":U,"attempts":1` by S * 1000 + U: a few statuses make all of them. */
const statusFragments = new Map<number, string>();

function statusFragment(status: number, upstreamStatus: number): string {
  // Three-digit integers only (anything else is printed each time).
  if (!(Number.isInteger(status) && Number.isInteger(upstreamStatus) && status >= 100 && status <= 999 && upstreamStatus >= 100 && upstreamStatus <= 999))
    return ',"status":' + jsonNumber(status) + ',"upstreamStatus":' + jsonNumber(upstreamStatus) + ',"attempts":1';
  const key = status * 1000 + upstreamStatus;
  let text = statusFragments.get(key);
  if (text === undefined) statusFragments.set(key, (text = ',"status":' + status + ',"upstreamStatus":' + upstreamStatus + ',"attempts":1'));
  return text;
}

/**
 * The line for `e` at `time`, an ISO 8601 instant (`isoNowCached`: nothing in it to escape).
 * Fields in the record's order (./access-log.ts `accessLogRecord`); an undefined one is left
 * out, as pino does.
 */
export function accessLogLine(time: string, e: AccessLogEntry): string {
  let line = '{"level":"info","time":"' + time + '","method":' + quoted.get(e.method) + ',"path":' + jsonString(e.path);
  // A request a route took and sent upstream: the route's fields as one remembered fragment.
  if (e.route !== null && e.name !== undefined && e.variant !== undefined && e.target !== undefined) line += routeFragments.get(e.route, e.name, e.variant, e.target);
  else {
    line += ',"route":' + (e.route === null ? 'null' : quoted.get(e.route));
    if (e.name !== undefined) line += ',"name":' + quoted.get(e.name);
    if (e.variant !== undefined) line += ',"variant":' + jsonNumber(e.variant);
    if (e.target !== undefined) line += ',"target":' + quoted.get(e.target);
  }
  if (e.upstreamStatus !== undefined && e.attempts === 1) line += statusFragment(e.status, e.upstreamStatus);
  else {
    line += ',"status":' + jsonNumber(e.status);
    if (e.upstreamStatus !== undefined) line += ',"upstreamStatus":' + jsonNumber(e.upstreamStatus);
    if (e.attempts !== undefined) line += ',"attempts":' + jsonNumber(e.attempts);
  }
  line += ',"ms":' + jsonMillis(e.ms);
  if (e.upstreamMs !== undefined) line += ',"upstreamMs":' + jsonMillis(e.upstreamMs);
  if (e.bytesIn !== undefined) line += e.bytesIn === 0 ? ',"bytesIn":0' : ',"bytesIn":' + jsonNumber(e.bytesIn);
  if (e.bytesOut !== undefined) line += ',"bytesOut":' + jsonNumber(e.bytesOut);
  if (e.error !== undefined) line += ',"error":' + quoted.get(e.error);
  return line + '}\n';
}
