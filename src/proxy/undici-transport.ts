/**
 * A `FetchTransport` on undici, for Node hosts of the fetch handler and the runtime: bodies
 * byte for byte (no decompression), the outbound policy at connection time, the same pools as
 * the Node proxy (./upstream-agent.ts).
 */
import type { Agent, Dispatcher } from 'undici';
import { FetchResponseRelay } from './fetch-relay.js';
import type { FetchTransport } from './fetch-types.js';
import { closeAgent, createUpstreamAgent, type UpstreamOptions } from './upstream-agent.js';

export interface UndiciTransportOptions extends UpstreamOptions {
  /** Use this Agent instead of creating one. */
  agent?: Agent;
}

export interface UndiciTransport extends FetchTransport {
  readonly agent: Agent;
  close(graceMs?: number): Promise<void>;
}

/**
 * A `FetchTransport` on undici for Node hosts of the fetch handler: bodies byte for byte (no
 * decompression), the outbound policy at connection time, the same pools as the Node proxy.
 */
export function createUndiciTransport(options: UndiciTransportOptions = {}): UndiciTransport {
  const ownAgent = options.agent === undefined;
  const agent = options.agent ?? createUpstreamAgent(options);
  const transport = ((request, context) =>
    new Promise<Response>((resolve, reject) => {
      const body = request.body;
      agent.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers as Record<string, string | string[]>,
          body: (body ?? null) as Dispatcher.DispatchOptions['body'],
          headersTimeout: context.timeouts.headers,
          bodyTimeout: context.timeouts.bodyIdle,
        },
        new FetchResponseRelay(request.method, context.signal, resolve, reject),
      );
    })) as UndiciTransport;
  Object.defineProperty(transport, 'agent', { value: agent });
  transport.close = async (graceMs = 5_000) => {
    if (ownAgent) await closeAgent(agent, graceMs);
  };
  return transport;
}
