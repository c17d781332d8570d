/**
 * Durations and sizes in route objects (SPEC 10): a number, or a string with a unit.
 *
 * - Durations: whole milliseconds, or `"250ms"`, `"1.5s"`, `"2m"`, `"1h"`; the result must be a
 *   whole number of milliseconds, at most 2,147,483,647 (what Node's timers accept: a larger
 *   delay silently fires at once).
 * - Sizes: whole bytes, or `"512B"`, `"64KB"`, `"5MB"`, `"1GB"` (unit case ignored). KB is 1024
 *   bytes, as nginx and most gateways read `64k` in a buffer size.
 */

export const MAX_DURATION_MS = 2_147_483_647;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

const DURATION = /^(\d{1,12}(?:\.\d{1,6})?)(ms|s|m|h)$/;
const SIZE = /^(\d{1,15}(?:\.\d{1,6})?) ?(b|kb|mb|gb)$/i;

/** Milliseconds, or null when `value` is not a duration. Range checks are the caller's. */
export function parseDuration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null;
  if (typeof value !== 'string' || value.length > 32) return null;
  const m = DURATION.exec(value);
  if (!m) return null;
  const ms = Number(m[1]) * DURATION_UNITS[m[2]!]!;
  // `1.0005s` is not a whole number of milliseconds; rounding guards float noise only.
  const rounded = Math.round(ms);
  return Math.abs(ms - rounded) < 1e-6 ? rounded : null;
}

/** Bytes, or null when `value` is not a size. */
export function parseSize(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string' || value.length > 32) return null;
  const m = SIZE.exec(value);
  if (!m) return null;
  const bytes = Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!);
  return Number.isSafeInteger(bytes) ? bytes : null;
}
