/**
 * Passive health (SPEC 11 outlier detection), on whenever a route has 2+ targets: a target is
 * ejected after `consecutiveFailures` failures in a row for `baseEjection` times the number of
 * its ejections (at most 300 s), never beyond `maxEjectedPercent` of the route's targets at
 * once. The caller judges what a failure is (connect error, reset, timeout, 502/503/504).
 *
 * Decisions where SPEC is silent (docs/upstreams.md): at least one target may be ejected when
 * `maxEjectedPercent` > 0 (else 50% of 3 targets would protect none); the ejection count starts
 * over once a target has stayed in rotation for 300 s; a returning target starts with a clean
 * failure count.
 */
import type { HealthCheckConfig } from '../table/route.js';
import { MAX_EJECTION_MS, type TargetState } from './target-state.js';

export type PassiveConfig = NonNullable<HealthCheckConfig['passive']>;

export const DEFAULT_PASSIVE: PassiveConfig = Object.freeze({ consecutiveFailures: 5, baseEjection: 30_000, maxEjectedPercent: 50 });

/** How many of `n` targets may be out at once. */
export function maxEjected(n: number, percent: number): number {
  if (percent <= 0) return 0;
  return Math.max(1, Math.floor((n * percent) / 100));
}

const NONE_BACK: readonly TargetState[] = Object.freeze([]);

/** Ends ejections that are over; returns the targets that came back (a shared empty list when none: called on every pick). */
export function releaseEjections(targets: readonly TargetState[], now: number): readonly TargetState[] {
  let back: TargetState[] | undefined;
  for (const t of targets) {
    if (t.ejectedUntil !== 0 && now >= t.ejectedUntil) {
      t.ejectedUntil = 0;
      t.lastReturn = now;
      t.failures = 0;
      (back ??= []).push(t);
    }
  }
  return back ?? NONE_BACK;
}

/** Counts a success: the failure streak ends. */
export function recordSuccess(t: TargetState): void {
  t.failures = 0;
}

/**
 * Counts a failure; ejects the target when its streak reaches the threshold and the route may
 * lose one more target. Returns the ejection's length in ms, or 0 when the target stays.
 */
export function recordFailure(t: TargetState, all: readonly TargetState[], config: PassiveConfig, now: number): number {
  t.failures++;
  if (t.ejected || t.failures < config.consecutiveFailures) return 0;
  let out = 0;
  for (const x of all) if (x.ejected) out++;
  if (out >= maxEjected(all.length, config.maxEjectedPercent)) return 0;
  if (t.lastReturn !== 0 && now - t.lastReturn >= MAX_EJECTION_MS) t.ejections = 0;
  t.ejections++;
  const forMs = Math.min(config.baseEjection * t.ejections, MAX_EJECTION_MS);
  // A zero-length ejection still takes the target out until the next pick looks at the clock.
  t.ejectedUntil = now + Math.max(forMs, 1);
  return forMs;
}
