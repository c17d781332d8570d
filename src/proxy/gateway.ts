/**
 * The gateway contract (the `af-routes serve` CLI codes against exactly this): a standalone
 * Node gateway with no function code behind it, so a request no route takes is answered 404
 * (or 405 with `Allow`) JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Router } from '../match/types.js';
import type { EventSink } from '../telemetry/events.js';
import { createNodeProxy } from './node-proxy.js';
import type { PolicyHostOptions } from '../pipeline/policies.js';
import type { RouteCacheOptions } from '../policies/cache/bounded-store.js';
import type { AccessLogEntry, TimeoutOptions } from './types.js';
import type { UpstreamRegistry } from '../upstream/registry.js';

/** With the per-route policies' host options (SPEC 12: trusted proxies, rate-limit store, clock, forward-auth fetch). */
export interface GatewayOptions extends PolicyHostOptions {
  /** The table, or a getter called per request so a host can swap tables on reload. */
  router: Router | (() => Router);
  /** Refuse non-public upstream addresses (502 `outbound-blocked`). Default false. */
  blockPrivateNetworks?: boolean;
  /** Show the forwarded URL in error bodies. Default false. */
  exposeTargets?: boolean;
  timeouts?: TimeoutOptions;
  /** Called once per request with its access-log entry. */
  onRequest?: (entry: AccessLogEntry) => void;
  /** Custom DNS resolution (tests, split-horizon DNS). Default `dns.lookup`. */
  lookup?: LookupFunction;
  /** Routing events: retries, ejections, target health, rate-limit refusals, cache results, auth failures (src/telemetry/events.ts). */
  events?: EventSink;
  /** Longest silence (ms, both directions) on a WebSocket or other upgraded connection. Default 60,000; 0: none. */
  upgradeIdleTimeout?: number;
  /** Bounds of the route cache shared by every cached route. */
  cache?: RouteCacheOptions;
}

export interface Gateway {
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Balancer and health state of multi-target routes; `attach` a new table to start its active checks at once. */
  readonly upstreams: UpstreamRegistry;
  /** The server's 'upgrade' listener (WebSockets): `server.on('upgrade', gateway.upgrade)`. */
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Closes upgraded connections, waits for in-flight requests (at most `graceMs`, default 5 s), then closes every upstream connection. */
  close(graceMs?: number): Promise<void>;
}

/** A standalone gateway over `createNodeProxy`. */
export function createGateway(options: GatewayOptions): Gateway {
  const proxy = createNodeProxy(options);
  return {
    handler: (req, res) => proxy.handler(req, res),
    upstreams: proxy.upstreams,
    upgrade: (req, socket, head) => proxy.upgrade(req, socket, head),
    close: (graceMs) => proxy.close(graceMs),
  };
}
