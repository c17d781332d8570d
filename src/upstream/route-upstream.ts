/**
 * The upstream state of one route variant in one process (SPEC 11): its targets' state, its
 * balancer, passive health and active checks, shared by every request the route serves.
 * `pick` chooses a target among those in rotation (not ejected, not failing active checks),
 * preferring ones a request has not tried yet; when health leaves none, all are used (the
 * panic rule: never fail closed on health alone).
 */
import type { RouteVariant } from '../table/route.js';
import { emitSafely, type EventSink } from '../telemetry/events.js';
import { ActiveChecks, type Prober } from './active-health.js';
import { createBalancer, type Balancer } from './balancer.js';
import { DEFAULT_PASSIVE, recordFailure, recordSuccess, releaseEjections, type PassiveConfig } from './passive-health.js';
import { TargetState } from './target-state.js';

export interface RouteUpstreamDeps {
  events?: EventSink | undefined;
  prober?: Prober | undefined;
  now: () => number;
  random: () => number;
}

/** How an attempt ended, for health: `neutral` (the client left, the deadline cut it) counts neither way. */
export type AttemptOutcome = 'success' | 'failure' | 'neutral';

export class RouteUpstream {
  targets: TargetState[] = [];
  private balancer!: Balancer;
  private passive: PassiveConfig | null = null;
  private active: ActiveChecks | null = null;
  private variant!: RouteVariant;
  private disposed = false;

  constructor(
    readonly name: string,
    variant: RouteVariant,
    private readonly deps: RouteUpstreamDeps,
    previous?: ReadonlyMap<string, TargetState>,
  ) {
    this.update(variant, previous);
  }

  /** The variant this state now serves. */
  get config(): RouteVariant {
    return this.variant;
  }

  /**
   * Serves `variant` from now on (a reload): targets whose URL stays keep their state, the
   * others are dropped, the balancer starts over, active checks follow the new settings.
   */
  update(variant: RouteVariant, previous: ReadonlyMap<string, TargetState> = this.byUrl()): void {
    this.variant = variant;
    const next: TargetState[] = [];
    for (const t of variant.targets) {
      const kept = previous.get(t.url);
      if (kept !== undefined && !next.includes(kept)) {
        kept.target = t;
        next.push(kept);
      } else next.push(new TargetState(t));
    }
    const gone = this.targets.filter((t) => !next.includes(t));
    this.targets = next;
    this.balancer = createBalancer(variant.upstream.loadBalancer, next, this.deps.random);
    this.passive = next.length >= 2 ? (variant.upstream.healthCheck?.passive ?? DEFAULT_PASSIVE) : null;
    const activeConfig = variant.upstream.healthCheck?.active;
    if (activeConfig === undefined || this.deps.prober === undefined || this.disposed) {
      this.active?.stop();
      this.active = null;
      for (const t of next) t.activeHealthy = true;
    } else {
      this.active ??= new ActiveChecks(activeConfig, this.deps.prober, {
        random: this.deps.random,
        onChange: (t, healthy) => this.health(t, healthy, 'active'),
      });
      this.active.reconfigure(activeConfig);
      for (const t of gone) this.active.unwatch(t);
      for (const t of next) this.active.watch(t);
    }
  }

  private byUrl(): Map<string, TargetState> {
    return new Map(this.targets.map((t) => [t.url, t]));
  }

  /** Targets being probed (tests, diagnostics). */
  get probing(): number {
    return this.active?.watching ?? 0;
  }

  private health(t: TargetState, healthy: boolean, source: 'passive' | 'active'): void {
    emitSafely(this.deps.events, { type: 'health', route: this.name, target: t.url, healthy, source });
  }

  /** Whether the target is in rotation as far as health knows (ejections are released first by `pick`). */
  inRotation(i: number): boolean {
    const t = this.targets[i]!;
    return !t.ejected && t.activeHealthy;
  }

  /**
   * The target for a request: an index into `targets`. `key` is the hash key (hash balancers);
   * `tried` holds indexes this request already used, avoided while another target is in rotation.
   */
  pick(key: string | undefined, tried?: ReadonlySet<number>): number {
    const targets = this.targets;
    if (targets.length === 1) return 0;
    let ejected = false;
    for (let i = 0; i < targets.length; i++) if (targets[i]!.ejectedUntil !== 0) ejected = true;
    // The clock is read only when an ejection may be over (the usual pick has none to release).
    if (ejected && this.passive !== null) for (const t of releaseEjections(targets, this.deps.now())) this.health(t, true, 'passive');
    let healthy = 0;
    let fresh = 0;
    for (let i = 0; i < targets.length; i++) {
      if (!this.inRotation(i)) continue;
      healthy++;
      if (tried === undefined || !tried.has(i)) fresh++;
    }
    // Every target in rotation and none tried (the usual first attempt): one shared predicate.
    if (healthy === targets.length && fresh === healthy) return this.balanced(key, this.everyTarget);
    let eligible: (i: number) => boolean;
    if (healthy === 0) {
      // Panic: every target is out; use them all rather than fail on health alone.
      eligible = tried !== undefined && tried.size < targets.length ? (i) => !tried.has(i) : () => true;
    } else if (fresh > 0 && tried !== undefined && tried.size > 0) {
      eligible = (i) => this.inRotation(i) && !tried.has(i);
    } else {
      eligible = (i) => this.inRotation(i);
    }
    return this.balanced(key, eligible);
  }

  private readonly everyTarget = (): boolean => true;

  private balanced(key: string | undefined, eligible: (i: number) => boolean): number {
    const i = this.balancer.pick(this.targets, eligible, key);
    return i >= 0 ? i : 0;
  }

  /** An attempt to target `i` starts. */
  begin(i: number): TargetState {
    const t = this.targets[i]!;
    t.inflight++;
    return t;
  }

  /** An attempt that `begin` returned `t` for has its outcome (headers arrived, or it failed). */
  end(t: TargetState, outcome: AttemptOutcome): void {
    if (t.inflight > 0) t.inflight--;
    if (outcome === 'neutral' || this.passive === null || !this.targets.includes(t)) return;
    if (outcome === 'success') {
      recordSuccess(t);
      return;
    }
    const forMs = recordFailure(t, this.targets, this.passive, this.deps.now());
    if (forMs > 0) {
      emitSafely(this.deps.events, { type: 'ejection', route: this.name, target: t.url, forMs });
      this.health(t, false, 'passive');
    }
  }

  /** Stops active checks for good (router replaced without this route, or proxy closed). */
  dispose(): void {
    this.disposed = true;
    this.active?.stop();
    this.active = null;
  }
}
