/**
 * @alternatefutures/routing-core: route tables for serverless functions and gateways.
 * Every public type and function is exported from here.
 */
// Everything that runs without Node (the portable `./browser` entry): core, validation,
// normalization, target URLs, JSON Schema, the fetch-standard proxy and runtime router.
export * from './browser.js';

// af CLI helpers: `--routes` parsing and af.config.* loading, shared with the `af` CLI.
// (jiti, for af.config.ts/js, is imported lazily: only when such a file is loaded.)
export { parseRoutesOption, RoutesOptionError } from './config/routes-option.js';
export { loadRoutesFromConfig, ConfigError, CONFIG_FILE_NAMES, type ConfigErrorCode, type ConfigRoutes } from './config/af-config.js';

// proxy & runtime
export * from './proxy/index.js';
export * from './runtime/index.js';

// schema & adapters (issue 6): the route table's JSON Schema (also `./schema.json`), and the
// gateway adapters, a Fastify plugin and an Express middleware over the proxy (src/adapters/).
export { fastifyRoutingPlugin, type FastifyRoutingPlugin, type FastifyRoutingOptions, type FastifyInstanceLike } from './adapters/fastify.js';
export { expressRoutingMiddleware, type ExpressRoutingMiddleware } from './adapters/express.js';
export type { RoutingAdapterOptions } from './adapters/node.js';
