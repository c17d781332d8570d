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
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRouteForwarder, type RouteForwarder, type NodeAdapterOptions } from './node.js';

/** The parts of a Fastify instance the plugin uses (structural, so no Fastify types are needed). */
export interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): unknown }, done: (err?: Error) => void) => void): unknown;
  addHook(name: 'onClose', hook: (instance: never) => Promise<void>): unknown;
}

function register(fastify: FastifyInstanceLike, forwarder: RouteForwarder): void {
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
export function createFastifyPlugin(options: NodeAdapterOptions): FastifyPlugin {
  const forwarder = createRouteForwarder(options, 'createFastifyPlugin');
  const plugin = async (fastify: FastifyInstanceLike): Promise<void> => register(fastify, forwarder);
  // What fastify-plugin sets: the hook lives in the registering context (not an encapsulated
  // child), and the plugin has a name in Fastify's errors and `printPlugins()`.
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: '@alternatefutures/routing-core',
    [Symbol.for('plugin-meta')]: { name: '@alternatefutures/routing-core', fastify: '>=4' },
  });
}
