/**
 * `UpstreamRegistry`: the per-process upstream state a proxy owns (SPEC 11): one
 * `RouteUpstream` per route variant (by name) per scope (a function id in the runtime, '' for
 * a gateway). When a scope's router is replaced (a hot reload, a runtime reload after its
 * TTL), the state is carried over by route name and target URL, so targets that stay keep
 * their health; routes that left are disposed (their active checks stop). `release(scope)`
 * (a runtime cache eviction) and `close()` stop everything.
 */
import type { Router } from '../match/types.js';
import type { RouteVariant } from '../table/route.js';
import type { EventSink } from '../telemetry/events.js';
import type { Prober } from './active-health.js';
export type { Prober } from './active-health.js';
import { RouteUpstream, type RouteUpstreamDeps } from './route-upstream.js';

export interface UpstreamRegistryOptions {
  events?: EventSink | undefined;
  /** Sends active health probes; without one, active checks are off. */
  prober?: Prober | undefined;
  /** Clock in ms (tests). Default `Date.now`. */
  now?: () => number;
  /** Random numbers in [0, 1) (tests). Default `Math.random`. */
  random?: () => number;
}

interface Scope {
  router: Router;
  routes: Map<string, RouteUpstream>;
}

/** Whether a variant needs shared state at all: more than one target, or active checks. */
export function needsState(variant: RouteVariant): boolean {
  return variant.targets.length > 1 || variant.upstream.healthCheck?.active !== undefined;
}

/**
 * The public face of the registry: hosts create one to share between a Node proxy and a fetch
 * handler, attach a router early (so active checks start before the first request), release
 * a scope, close. The pipeline reaches the state behind it through `registryState`.
 */
export interface UpstreamRegistry {
  /** Makes `router` the scope's table now (active checks start); state carries over by route name and target URL. */
  attach(router: Router, scope?: string): void;
  /** Forgets a scope (a function left the runtime's cache): its active checks stop. */
  release(scope: string): void;
  /** Stops every active check; requests still balance afterwards. */
  close(): void;
  /** Targets being actively probed across every scope. */
  readonly probing: number;
}

/** A registry for the upstream state of routes (SPEC 11): see `UpstreamRegistry`. */
export function createUpstreamRegistry(options: UpstreamRegistryOptions = {}): UpstreamRegistry {
  return new RegistryState(options);
}

/** The state behind a registry a host passed in (one made by `createUpstreamRegistry`). */
export function registryState(registry: UpstreamRegistry): RegistryState {
  if (registry instanceof RegistryState) return registry;
  throw new TypeError('upstreams: pass a registry made by createUpstreamRegistry()');
}

export class RegistryState implements UpstreamRegistry {
  private readonly scopes = new Map<string, Scope>();
  private readonly deps: RouteUpstreamDeps;
  private closed = false;

  constructor(options: UpstreamRegistryOptions = {}) {
    this.deps = { events: options.events, prober: options.prober, now: options.now ?? Date.now, random: options.random ?? Math.random };
  }

  /**
   * Makes `router` the scope's table: state carries over by route name and target URL, and
   * active checks start for every route that asks for them. Called by `route` on the first
   * request a new router serves; a host may call it earlier so checks start at once.
   */
  attach(router: Router, scope = ''): void {
    const old = this.scopes.get(scope);
    if (old?.router === router) return;
    const routes = new Map<string, RouteUpstream>();
    for (const route of router.routes) {
      for (const variant of route.variants) {
        if (!needsState(variant)) continue;
        const kept = old?.routes.get(variant.name);
        if (kept !== undefined && !this.closed) {
          kept.update(variant);
          routes.set(variant.name, kept);
        } else {
          const created = new RouteUpstream(variant.name, variant, this.deps);
          if (this.closed) created.dispose();
          routes.set(variant.name, created);
        }
      }
    }
    if (old !== undefined) for (const [name, r] of old.routes) if (routes.get(name) !== r) r.dispose();
    this.scopes.set(scope, { router, routes });
  }

  /** The state of `variant` of `router` (attaching the router first if it is new to the scope). */
  route(router: Router, variant: RouteVariant, scope = ''): RouteUpstream {
    let s = this.scopes.get(scope);
    if (s === undefined || s.router !== router) {
      this.attach(router, scope);
      s = this.scopes.get(scope)!;
    }
    let r = s.routes.get(variant.name);
    if (r === undefined || r.config !== variant) {
      // A variant from another router than the scope's current one (a request that started before a reload).
      r = new RouteUpstream(variant.name, variant, { ...this.deps, prober: undefined });
    }
    return r;
  }

  /** Forgets a scope (its router left the runtime's cache): its active checks stop. */
  release(scope: string): void {
    const s = this.scopes.get(scope);
    if (s === undefined) return;
    for (const r of s.routes.values()) r.dispose();
    this.scopes.delete(scope);
  }

  /** Stops every timer; later requests still balance, without active checks. */
  close(): void {
    this.closed = true;
    for (const scope of [...this.scopes.keys()]) this.release(scope);
  }

  /** Targets being actively probed across every scope (tests, diagnostics). */
  get probing(): number {
    let n = 0;
    for (const s of this.scopes.values()) for (const r of s.routes.values()) n += r.probing;
    return n;
  }
}
