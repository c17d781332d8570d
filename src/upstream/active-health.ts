/**
 * Active health checks (SPEC 11, opt-in): each target of a route is probed at `path` every
 * `interval` (jittered by +-10%, the first probe at a random point of the first interval so
 * that routes and processes do not probe in step), a probe failing on timeout, error or a
 * status outside `expectStatus`. `unhealthyThreshold` failures in a row take the target out,
 * `healthyThreshold` successes bring it back. Timers are unref'd (they never keep a process
 * alive) and stop on `stop()` (the router was replaced, or the proxy closed). Probes go
 * through the proxy's own `Prober`, so they obey the outbound policy.
 */
import type { HealthCheckConfig } from '../table/route.js';
import type { TargetState } from './target-state.js';

export type ActiveConfig = NonNullable<HealthCheckConfig['active']>;

/**
 * Sends one probe: GET `url`, resolving with the status, rejecting on any failure; must give up
 * by `timeoutMs` and when `signal` aborts. The Node proxy probes through its undici Agent, the
 * fetch handler through its transport.
 */
export type Prober = (url: string, timeoutMs: number, signal: AbortSignal) => Promise<number>;

/** The probe URL: the target's origin and the check's path (the target's own path is not used). */
export function probeUrl(targetUrl: string, path: string): string {
  const u = new URL(targetUrl);
  return u.origin + path;
}

function expected(status: number, ranges: ActiveConfig['expectStatus']): boolean {
  for (const [lo, hi] of ranges) if (status >= lo && status <= hi) return true;
  return false;
}

export interface ActiveCheckHooks {
  /** The verdict on a target changed. */
  onChange(target: TargetState, healthy: boolean): void;
  random(): number;
}

export class ActiveChecks {
  private readonly timers = new Map<TargetState, ReturnType<typeof setTimeout>>();
  private readonly aborts = new Set<AbortController>();
  private stopped = false;

  constructor(
    private config: ActiveConfig,
    private readonly prober: Prober,
    private readonly hooks: ActiveCheckHooks,
  ) {}

  /** Starts probing `target` (no-op when it already is). */
  watch(target: TargetState): void {
    if (this.stopped || this.timers.has(target)) return;
    this.schedule(target, this.hooks.random() * this.config.interval);
  }

  /** Stops probing a target that left the route. */
  unwatch(target: TargetState): void {
    const t = this.timers.get(target);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(target);
  }

  /** New settings (a reload changed them): the next probes use them. */
  reconfigure(config: ActiveConfig): void {
    this.config = config;
  }

  get watching(): number {
    return this.timers.size;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const a of this.aborts) a.abort();
    this.aborts.clear();
  }

  private schedule(target: TargetState, delay: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => void this.probe(target), Math.max(1, Math.round(delay)));
    (timer as { unref?: () => void }).unref?.();
    this.timers.set(target, timer);
  }

  private async probe(target: TargetState): Promise<void> {
    const config = this.config;
    const abort = new AbortController();
    this.aborts.add(abort);
    const timer = setTimeout(() => abort.abort(), config.timeout);
    (timer as { unref?: () => void }).unref?.();
    let ok: boolean;
    try {
      ok = expected(await this.prober(probeUrl(target.url, config.path), config.timeout, abort.signal), config.expectStatus);
    } catch {
      ok = false;
    } finally {
      clearTimeout(timer);
      this.aborts.delete(abort);
    }
    if (this.stopped || !this.timers.has(target)) return;
    if (ok) {
      target.activeFailures = 0;
      target.activeSuccesses++;
      if (!target.activeHealthy && target.activeSuccesses >= config.healthyThreshold) {
        target.activeHealthy = true;
        this.hooks.onChange(target, true);
      }
    } else {
      target.activeSuccesses = 0;
      target.activeFailures++;
      if (target.activeHealthy && target.activeFailures >= config.unhealthyThreshold) {
        target.activeHealthy = false;
        this.hooks.onChange(target, false);
      }
    }
    this.schedule(target, config.interval * (0.9 + 0.2 * this.hooks.random()));
  }
}
