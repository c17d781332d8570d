/**
 * HTTP dates (RFC 9110 section 5.6.7) read exactly as undici 7 reads them
 * (lib/util/date.js `parseHttpDate`), so `Date`, `Expires` and `Last-Modified` decide the same
 * way on every transport: IMF-fixdate, RFC 850 and asctime only, every field range-checked and
 * the weekday required to match the date. Anything else is "no date" (undefined), never the
 * looser `Date.parse`, which accepts ISO strings and local-time forms a cache must ignore.
 * Pure: no Node built-ins.
 */

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const DAY = '(0[1-9]|[1-3][0-9])';
const TIME = '([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])';
// Sunday, 06-Nov-94 08:49:37 GMT
const RFC850 = new RegExp(`^(${LONG_WEEKDAYS.join('|')}), ${DAY}-(${MONTHS.join('|')})-([0-9]{2}) ${TIME} GMT$`);
// Sun Nov  6 08:49:37 1994 (undici does not check the two time separators: any character passes)
const ASCTIME = new RegExp(`^(${WEEKDAYS.join('|')}) (${MONTHS.join('|')}) ( [1-9]|[1-3][0-9]) ([01][0-9]|2[0-3])[\\s\\S]([0-5][0-9])[\\s\\S]([0-5][0-9]) ([0-9]{4})$`);

/** The date as written, or undefined when a field is out of range or the weekday is wrong (undici's `makeDate`). */
function makeDate(year: number, month: number, day: number, hour: number, minute: number, second: number, weekday: number): number | undefined {
  const d = new Date(Date.UTC(year, month, day, hour, minute, second));
  // Date.UTC reads years 0-99 as 1900-1999.
  if (year >= 0 && year <= 99) d.setUTCFullYear(year);
  return d.getUTCFullYear() === year &&
    d.getUTCMonth() === month &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute &&
    d.getUTCSeconds() === second &&
    d.getUTCDay() === weekday
    ? d.getTime()
    : undefined;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** The three letters of a weekday or month as one number (char codes), to its index. */
const threeLetters = (s: string, at: number): number => (s.charCodeAt(at) << 16) | (s.charCodeAt(at + 1) << 8) | s.charCodeAt(at + 2);
const WEEKDAY_INDEX = new Map(WEEKDAYS.map((w, i) => [threeLetters(w, 0), i]));
const MONTH_INDEX = new Map(MONTHS.map((m, i) => [threeLetters(m, 0), i]));

/** A digit's value, or -1. */
function digit(s: string, at: number): number {
  const c = s.charCodeAt(at) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/**
 * IMF-fixdate, the form every current server sends (`Date` on each response), read without a
 * regex match or a Date object: a miss reads one per response. Same acceptance as undici's
 * `parseImfDate` and `makeDate` (the property test compares the whole parser with undici's).
 */
function imfFixdate(v: string): number | undefined {
  if (v.charCodeAt(3) !== 44 || v[4] !== ' ' || v[7] !== ' ' || v[11] !== ' ' || v[16] !== ' ' || v[19] !== ':' || v[22] !== ':' || !v.endsWith(' GMT')) return undefined;
  const weekday = WEEKDAY_INDEX.get(threeLetters(v, 0));
  const month = MONTH_INDEX.get(threeLetters(v, 8));
  const d1 = digit(v, 5),
    d2 = digit(v, 6);
  const y1 = digit(v, 12),
    y2 = digit(v, 13),
    y3 = digit(v, 14),
    y4 = digit(v, 15);
  const h1 = digit(v, 17),
    h2 = digit(v, 18),
    m1 = digit(v, 20),
    m2 = digit(v, 21),
    s1 = digit(v, 23),
    s2 = digit(v, 24);
  if (weekday === undefined || month === undefined || d1 < 0 || d1 > 3 || d2 < 0 || y1 < 0 || y2 < 0 || y3 < 0 || y4 < 0) return undefined;
  if (h1 < 0 || h1 > 2 || h2 < 0 || (h1 === 2 && h2 > 3) || m1 < 0 || m1 > 5 || m2 < 0 || s1 < 0 || s1 > 5 || s2 < 0) return undefined;
  const day = d1 * 10 + d2;
  const year = y1 * 1000 + y2 * 100 + y3 * 10 + y4;
  // Years 0-99 are read as 1900-1999 by Date.UTC: makeDate handles them.
  if (year < 100) return makeDate(year, month, day, h1 * 10 + h2, m1 * 10 + m2, s1 * 10 + s2, weekday);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day === 0 || day > (month === 1 && leap ? 29 : DAYS_IN_MONTH[month]!)) return undefined;
  const t = Date.UTC(year, month, day, h1 * 10 + h2, m1 * 10 + m2, s1 * 10 + s2);
  // 1970-01-01 was a Thursday (4).
  return (((Math.floor(t / 86_400_000) + 4) % 7) + 7) % 7 === weekday ? t : undefined;
}

/** The last IMF-fixdate-length string read, and what it read as (a pure function's last result). */
let lastFixdate = '';
let lastFixdateValue: number | undefined;

/** Milliseconds since the epoch, or undefined when `value` is not an HTTP date undici accepts. */
export function parseHttpDate(value: string): number | undefined {
  if (value.length === 29) {
    // An upstream's `Date` changes once a second: every miss within it reads the same 29
    // characters (a string compare instead of the parse and `Date.UTC`, ~1k instructions).
    if (value === lastFixdate) return lastFixdateValue;
    const t = imfFixdate(value);
    lastFixdate = value;
    lastFixdateValue = t;
    return t;
  }
  let m = RFC850.exec(value);
  if (m !== null) {
    const yy = Number(m[4]);
    return makeDate(yy < 70 ? 2000 + yy : 1900 + yy, MONTHS.indexOf(m[3]!), Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]), LONG_WEEKDAYS.indexOf(m[1]!));
  }
  m = ASCTIME.exec(value);
  if (m !== null) return makeDate(Number(m[7]), MONTHS.indexOf(m[2]!), Number(m[3]!.trim()), Number(m[4]), Number(m[5]), Number(m[6]), WEEKDAYS.indexOf(m[1]!));
  return undefined;
}
