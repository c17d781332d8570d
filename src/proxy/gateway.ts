/**
 * The gateway contract (the `af-routes serve` CLI codes against exactly this): a standalone
 * Node gateway with no function code behind it, so a request no route takes is answered 404
 * (or 405 with `Allow`) JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LookupFunction } from 'node:net';
import type { Router } from '../match/types.js';
import type { EventSink } from '../telemetry/events.js';
import { createNodeProxy } from './node-proxy.js';
import type { AccessLogEntry, TimeoutOptions } from './types.js';

export interface GatewayOptions {
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
  /** Routing events (retries, refusals, cache results); see src/telemetry/events.ts. */
  events?: EventSink;
}

export interface Gateway {
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Waits for in-flight requests (at most `graceMs`, default 5 s), then closes every upstream connection. */
  close(graceMs?: number): Promise<void>;
}

/** A standalone gateway over `createNodeProxy`. */
export function createGateway(options: GatewayOptions): Gateway {
  const proxy = createNodeProxy(options);
  return {
    handler: (req, res) => proxy.handler(req, res),
    close: (graceMs) => proxy.close(graceMs),
  };
}
