/**
 * A Fastify plugin: requests the route table matches are proxied (streamed both ways, SPEC
 * section 8) from an `onRequest` hook, before Fastify parses a body; every other request goes
 * on to the app's own routes (and its own 404 handler). Closing the app closes the upstream
 * connections.
 *
 *     await app.register(createFastifyPlugin({ routes: { '/api/users/*': 'https://users.svc' } }));
 *
 * The hook applies to the whole app, whatever `prefix` the plugin is registered with (like a
 * plugin wrapped in fastify-plugin), and sees the full request path. The table is consulted
 * before Fastify's routes: a path both match is proxied. A path that cannot be routed (`%2F`,
 * `%00`, too long, too many segments) is answered 400/414 JSON here, as by every entry point.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createRouteForwarder, type RouteForwarder, type NodeAdapterOptions } from './node.js';

/** Options of `createFastifyPlugin`: the table and proxy options, and whether to proxy WebSockets. */
export interface FastifyPluginOptions extends NodeAdapterOptions {
  /**
   * Proxy WebSockets (any `Upgrade`) too: the plugin adds an 'upgrade' listener to
   * `fastify.server`. An upgrade no route takes is left to the server's other 'upgrade'
   * listeners if it has any (e.g. @fastify/websocket's), otherwise answered 404 on the socket
   * (Node stops sending upgrades to Fastify's routes once any 'upgrade' listener exists).
   * Default false.
   */
  websocket?: boolean;
}

/** The parts of a Fastify instance the plugin uses (structural, so no Fastify types are needed). */
export interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): unknown }, done: (err?: Error) => void) => void): unknown;
  addHook(name: 'onClose', hook: (instance: never) => Promise<void>): unknown;
  /** The Node server (needed only with `websocket: true`). */
  readonly server?: Pick<Server, 'on' | 'off' | 'listenerCount'>;
}

function registerUpgrades(fastify: FastifyInstanceLike, forwarder: RouteForwarder): void {
  const server = fastify.server;
  if (server === undefined) throw new TypeError("createFastifyPlugin: `websocket: true` needs the Fastify instance's `server` (fastify.server) to listen for upgrades");
  const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const others = server.listenerCount('upgrade') > 1;
    forwarder.upgrade(req, socket, head, others ? () => undefined : undefined);
  };
  server.on('upgrade', listener);
  fastify.addHook('onClose', async () => {
    server.off('upgrade', listener);
  });
}

function register(fastify: FastifyInstanceLike, forwarder: RouteForwarder, websocket: boolean): void {
  if (websocket) registerUpgrades(fastify, forwarder);
  fastify.addHook('onRequest', (request, reply, done) => {
    let handled: boolean;
    try {
      handled = forwarder.route(request.raw, reply.raw);
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    // The proxy owns the response from here: Fastify stops this request's lifecycle.
    if (handled) reply.hijack();
    done();
  });
  fastify.addHook('onClose', async () => {
    await forwarder.close();
  });
}

/**
 * The plugin's type: a Fastify plugin (its own options are ignored: the table was given to the
 * factory). The instance is typed loosely on purpose: Fastify's own generic `addHook`
 * overloads do not compare structurally, and this package does not depend on Fastify's types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FastifyPlugin = (fastify: any, options?: unknown) => Promise<void>;

/**
 * A Fastify plugin over the Node proxy: `await app.register(createFastifyPlugin({ routes }))`.
 * The table is compiled here, so an invalid one throws `RoutesValidationError` before the app
 * starts. Closing the app closes the upstream connections.
 */
export function createFastifyPlugin(options: FastifyPluginOptions): FastifyPlugin {
  const { websocket = false, ...rest } = options;
  const forwarder = createRouteForwarder(rest, 'createFastifyPlugin');
  const plugin = async (fastify: FastifyInstanceLike): Promise<void> => register(fastify, forwarder, websocket);
  // What fastify-plugin sets: the hook lives in the registering context (not an encapsulated
  // child), and the plugin has a name in Fastify's errors and `printPlugins()`.
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: '@alternatefutures/routing-core',
    [Symbol.for('plugin-meta')]: { name: '@alternatefutures/routing-core', fastify: '>=4' },
  });
}
