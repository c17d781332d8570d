/**
 * A Fastify plugin: requests the route table matches are proxied (streamed both ways, SPEC
 * section 8) from an `onRequest` hook, before Fastify parses a body; every other request goes
 * on to the app's own routes (and its own 404 handler). Closing the app closes the upstream
 * connections.
 *
 *     await app.register(fastifyRoutingPlugin, { routes: { '/api/users/*': 'https://users.svc' } });
 *
 * The hook applies to the whole app, whatever `prefix` the plugin is registered with (like a
 * plugin wrapped in fastify-plugin), and sees the full request path. The table is consulted
 * before Fastify's routes: a path both match is proxied.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRouteForwarder, type RoutingAdapterOptions } from './node.js';

/** The parts of a Fastify instance the plugin uses (structural, so no Fastify types are needed). */
export interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: (request: { raw: IncomingMessage }, reply: { raw: ServerResponse; hijack(): unknown }, done: (err?: Error) => void) => void): unknown;
  addHook(name: 'onClose', hook: (instance: never) => Promise<void>): unknown;
}

export type FastifyRoutingOptions = RoutingAdapterOptions;

async function plugin(fastify: FastifyInstanceLike, options: FastifyRoutingOptions): Promise<void> {
  const forwarder = createRouteForwarder(options, 'fastifyRoutingPlugin');
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

// What fastify-plugin sets: the hook lives in the registering context (not an encapsulated
// child), and the plugin has a name in Fastify's errors and `printPlugins()`.
Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@alternatefutures/routing-core',
  [Symbol.for('plugin-meta')]: { name: '@alternatefutures/routing-core', fastify: '>=4' },
});

/**
 * The plugin's type: an async Fastify plugin taking `FastifyRoutingOptions`. The instance is
 * typed loosely on purpose: Fastify's own generic `addHook` overloads do not compare
 * structurally, and this package does not depend on Fastify's types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FastifyRoutingPlugin = (fastify: any, options: FastifyRoutingOptions) => Promise<void>;

/** The Fastify plugin: `app.register(fastifyRoutingPlugin, { routes })`. */
export const fastifyRoutingPlugin: FastifyRoutingPlugin = plugin;
