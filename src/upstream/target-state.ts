/**
 * The live state of one target of one route (SPEC 11): requests in flight (least-request),
 * passive outlier detection (consecutive failures, ejections that grow with each one) and the
 * active checks' verdict. Kept by route name and target URL, so a hot reload that keeps a
 * target keeps its state.
 */
import type { CompiledTarget } from '../table/route.js';

/** The longest ejection, and how long a target must stay in rotation before its ejection count starts over. */
export const MAX_EJECTION_MS = 300_000;

export class TargetState {
  inflight = 0;
  /** Failures in a row (passive). */
  failures = 0;
  /** Ejections so far (the next one lasts baseEjection x (this + 1), at most 300 s). */
  ejections = 0;
  /** When the current ejection ends (ms on the registry's clock); 0 when the target is in rotation. */
  ejectedUntil = 0;
  /** When the last ejection ended, for the decay of `ejections`. */
  lastReturn = 0;
  /** The active checks' verdict (healthy until they say otherwise). */
  activeHealthy = true;
  activeSuccesses = 0;
  activeFailures = 0;

  constructor(public target: CompiledTarget) {}

  get url(): string {
    return this.target.url;
  }
  get weight(): number {
    return this.target.weight;
  }
  get ejected(): boolean {
    return this.ejectedUntil !== 0;
  }
}
