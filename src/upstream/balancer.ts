/**
 * The load balancers of SPEC 11, over the targets a route's health state allows (`eligible`):
 * smooth weighted round-robin (nginx's algorithm), least-request by the power of two random
 * choices weighted by in-flight requests (Envoy's), weighted random, and consistent hashing
 * (./hash-ring.ts) that falls back to round-robin when the request carries no key. Each
 * `pick` is O(targets) at most and allocates nothing on the round-robin path.
 */
import type { LoadBalancer } from '../table/route.js';
import { HashRing } from './hash-ring.js';

/** What a balancer reads of the route's targets. */
export interface BalancedTarget {
  readonly url: string;
  readonly weight: number;
  /** Requests in flight to this target (least-request). */
  readonly inflight: number;
}

export interface Balancer {
  /**
   * An index into `targets` among those `eligible(i)` allows, or -1 when none is. `key` is the
   * request's hash key (hash balancers only; undefined: fall back to round-robin).
   */
  pick(targets: readonly BalancedTarget[], eligible: (i: number) => boolean, key: string | undefined): number;
}

/** nginx's smooth weighted round-robin: over any window of sum(weights) picks, each target gets exactly its weight. */
export class RoundRobin implements Balancer {
  private current: Float64Array;
  constructor(size: number) {
    this.current = new Float64Array(size);
  }
  pick(targets: readonly BalancedTarget[], eligible: (i: number) => boolean): number {
    if (this.current.length !== targets.length) this.current = new Float64Array(targets.length);
    const current = this.current;
    let best = -1;
    let total = 0;
    for (let i = 0; i < targets.length; i++) {
      if (!eligible(i)) continue;
      const w = targets[i]!.weight;
      current[i]! += w;
      total += w;
      if (best < 0 || current[i]! > current[best]!) best = i;
    }
    if (best >= 0) current[best]! -= total;
    return best;
  }
}

/** Weighted random choice among eligible targets. */
function weightedRandom(targets: readonly BalancedTarget[], eligible: (i: number) => boolean, random: () => number, skip = -1): number {
  let total = 0;
  for (let i = 0; i < targets.length; i++) if (i !== skip && eligible(i)) total += targets[i]!.weight;
  if (total === 0) return -1;
  let r = random() * total;
  let last = -1;
  for (let i = 0; i < targets.length; i++) {
    if (i === skip || !eligible(i)) continue;
    last = i;
    r -= targets[i]!.weight;
    if (r < 0) return i;
  }
  return last;
}

export class WeightedRandom implements Balancer {
  constructor(private readonly random: () => number) {}
  pick(targets: readonly BalancedTarget[], eligible: (i: number) => boolean): number {
    return weightedRandom(targets, eligible, this.random);
  }
}

/**
 * Power of two choices: two distinct targets drawn by weight, the one with fewer requests in
 * flight per unit of weight wins (ties to the first draw). A slow target accumulates requests
 * in flight and so loses most draws, without any latency measurement.
 */
export class LeastRequest implements Balancer {
  constructor(private readonly random: () => number) {}
  pick(targets: readonly BalancedTarget[], eligible: (i: number) => boolean): number {
    const a = weightedRandom(targets, eligible, this.random);
    if (a < 0) return -1;
    const b = weightedRandom(targets, eligible, this.random, a);
    if (b < 0) return a;
    const ta = targets[a]!;
    const tb = targets[b]!;
    return (tb.inflight + 1) / tb.weight < (ta.inflight + 1) / ta.weight ? b : a;
  }
}

export class ConsistentHash implements Balancer {
  private readonly ring: HashRing;
  private readonly fallback: RoundRobin;
  constructor(targets: readonly { readonly url: string; readonly weight: number }[]) {
    this.ring = new HashRing(targets);
    this.fallback = new RoundRobin(targets.length);
  }
  pick(targets: readonly BalancedTarget[], eligible: (i: number) => boolean, key: string | undefined): number {
    if (key === undefined) return this.fallback.pick(targets, eligible);
    return this.ring.lookup(key, eligible);
  }
}

export function createBalancer(config: LoadBalancer | undefined, targets: readonly { readonly url: string; readonly weight: number }[], random: () => number): Balancer {
  switch (config?.kind ?? 'round-robin') {
    case 'least-request':
      return new LeastRequest(random);
    case 'random':
      return new WeightedRandom(random);
    case 'hash':
      return new ConsistentHash(targets);
    default:
      return new RoundRobin(targets.length);
  }
}
