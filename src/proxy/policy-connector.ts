/**
 * The outbound policy (SPEC section 8) at connection time, for Node: a DNS lookup that only
 * yields allowed addresses, and a connector that judges an IP-literal host before connecting
 * and the socket's remote address after (so DNS rebinding cannot slip past the lookup).
 */
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { buildConnector } from 'undici';
import { checkAddress, OutboundBlockedError } from './policy.js';

function blockedAddressError(address: string): OutboundBlockedError {
  return new OutboundBlockedError(address, checkAddress(address).class);
}

/** Wraps a lookup so that it only ever yields addresses the policy allows. */
export function policyLookup(base: LookupFunction): LookupFunction {
  return ((hostname: string, options: LookupOptions, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    base(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      if (Array.isArray(address)) {
        const allowed = address.filter((a) => checkAddress(a.address).allowed);
        if (allowed.length === 0) return callback(blockedAddressError(address[0]?.address ?? hostname) as NodeJS.ErrnoException, []);
        return callback(null, allowed);
      }
      if (!checkAddress(address).allowed) return callback(blockedAddressError(address) as NodeJS.ErrnoException, '', family);
      callback(null, address, family);
    });
  }) as LookupFunction;
}

/**
 * Wraps a connector with the policy: an IP-literal host is judged before connecting, and the
 * connected socket's remote address after (covering every path DNS can take).
 */
export function policyConnector(base: buildConnector.connector): buildConnector.connector {
  return (options, callback) => {
    if (isIP(options.hostname) !== 0 && !checkAddress(options.hostname).allowed) {
      callback(blockedAddressError(options.hostname), null);
      return;
    }
    base(options, (err, socket) => {
      if (err !== null) return callback(err, null);
      const remote = (socket as Socket).remoteAddress;
      if (remote === undefined || !checkAddress(remote).allowed) {
        socket.destroy();
        return callback(blockedAddressError(remote ?? options.hostname), null);
      }
      callback(null, socket);
    });
  };
}
