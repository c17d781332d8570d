/**
 * The undici Agent every Node transport dispatches through: one keep-alive Pool per upstream
 * origin (idle ones dropped), upstream timeouts, and the outbound policy applied at connection
 * time when asked (./policy-connector.ts).
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { policyConnector, policyLookup } from './policy-connector.js';
import { resolveTimeouts, type TimeoutOptions } from './types.js';

/** How the proxy reaches upstreams. */
export interface UpstreamOptions {
  /** Refuse non-public upstream addresses (see `checkAddress`). Default false. */
  blockPrivateNetworks?: boolean;
  timeouts?: TimeoutOptions;
  /**
   * DNS resolution (same contract as `dns.lookup`). Default `dns.lookup`. The policy judges
   * every address it returns and the address each socket connects to.
   */
  lookup?: LookupFunction;
  /**
   * A custom socket factory (undici's connector contract), e.g. to reach upstreams through a
   * tunnel. The policy still judges the requested IP literal and the connected socket's address.
   */
  connect?: buildConnector.connector;
  /** Most connections per upstream origin. Default 128. */
  connectionsPerOrigin?: number;
  /** How long an idle keep-alive connection is kept (ms). Default 4,000 (undici's). */
  keepAliveTimeout?: number;
  /** TLS options for https upstreams (`ca`, `rejectUnauthorized`, ...). */
  tls?: buildConnector.BuildOptions;
}

/** The undici Agent the proxy dispatches through: a keep-alive Pool per upstream origin. */
export function createUpstreamAgent(options: UpstreamOptions = {}): Agent {
  const timeouts = resolveTimeouts(options.timeouts);
  const block = options.blockPrivateNetworks === true;
  let connector: buildConnector.connector;
  if (options.connect) {
    connector = options.connect;
  } else {
    const baseLookup = options.lookup ?? (dnsLookup as unknown as LookupFunction);
    connector = buildConnector({
      ...(options.tls ?? {}),
      timeout: timeouts.connect,
      lookup: block ? policyLookup(baseLookup) : baseLookup,
    } as buildConnector.BuildOptions);
  }
  return new Agent({
    connect: block ? policyConnector(connector) : connector,
    connections: options.connectionsPerOrigin ?? 128,
    keepAliveTimeout: options.keepAliveTimeout ?? 4_000,
    headersTimeout: timeouts.headers,
    bodyTimeout: timeouts.bodyIdle,
    pipelining: 1,
  });
}

/** Closes an Agent gracefully, destroying it if requests are still running after `graceMs`. */
export async function closeAgent(agent: Agent, graceMs = 5_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const result = await Promise.race([agent.close().then(() => 'closed' as const), grace]);
  clearTimeout(timer);
  if (result === 'timeout') await agent.destroy();
}
