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
// Sun, 06 Nov 1994 08:49:37 GMT
const IMF = new RegExp(`^(${WEEKDAYS.join('|')}), ${DAY} (${MONTHS.join('|')}) ([0-9]{4}) ${TIME} GMT$`);
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

/** Milliseconds since the epoch, or undefined when `value` is not an HTTP date undici accepts. */
export function parseHttpDate(value: string): number | undefined {
  let m = IMF.exec(value);
  if (m !== null) return makeDate(Number(m[4]), MONTHS.indexOf(m[3]!), Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]), WEEKDAYS.indexOf(m[1]!));
  m = RFC850.exec(value);
  if (m !== null) {
    const yy = Number(m[4]);
    return makeDate(yy < 70 ? 2000 + yy : 1900 + yy, MONTHS.indexOf(m[3]!), Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]), LONG_WEEKDAYS.indexOf(m[1]!));
  }
  m = ASCTIME.exec(value);
  if (m !== null) return makeDate(Number(m[7]), MONTHS.indexOf(m[2]!), Number(m[3]!.trim()), Number(m[4]), Number(m[5]), Number(m[6]), WEEKDAYS.indexOf(m[1]!));
  return undefined;
}
