/**
 * @alternatefutures/routing-core: route tables for serverless functions and gateways.
 * Everything of the portable entry (./browser.ts), plus what needs Node: the streaming proxy
 * and gateway on undici, the Node runtime router, the Fastify and Express adapters, and the
 * af CLI's helpers. The list is deliberate (docs/api.md; test/api-exports.test.ts pins it).
 */
export * from './browser.js';

// af CLI helpers: `--routes` parsing and af.config.* loading, shared with the `af` CLI.
// (jiti, for af.config.ts/js, is imported lazily: only when such a file is loaded.)
export { parseRoutesOption, RoutesOptionError } from './config/routes-option.js';
export { loadRoutesFromConfig, ConfigError, CONFIG_FILE_NAMES, type ConfigErrorCode, type ConfigRoutes } from './config/af-config.js';

// The Node gateway: streaming proxy, standalone gateway, undici transport for the fetch handler.
export { createNodeProxy, type NodeProxy, type NodeProxyOptions } from './proxy/node-proxy.js';
export { createGateway, type Gateway, type GatewayOptions } from './proxy/gateway.js';
export { createUndiciTransport, type UndiciTransport, type UndiciTransportOptions } from './proxy/undici-transport.js';
export type { UpstreamOptions } from './proxy/upstream-agent.js';
export type { UpgradeOptions } from './proxy/node-upgrade.js';

// Metrics and spans through the OpenTelemetry API (no-ops until the host installs an SDK).
export { createProxyObserver } from './telemetry/observer.js';
export { METRIC, DURATION_BUCKETS_SECONDS } from './telemetry/metric-names.js';

// The functions runtime on Node.
export { createNodeRuntimeRouter, type NodeRuntimeRouter, type NodeRuntimeRouterOptions } from './runtime/node.js';

// Node framework adapters.
export { createFastifyPlugin, type FastifyPlugin, type FastifyPluginOptions } from './adapters/fastify.js';
export { createExpressMiddleware, type ExpressMiddleware } from './adapters/express.js';
export type { NodeAdapterOptions } from './adapters/node.js';

// The route cache's bounds (Node: undici's cache interceptor, SPEC 12 `cache`).
export type { RouteCacheOptions } from './policies/cache/bounded-store.js';

// Scale-out (docs/scale-out.md): routes from Postgres with LISTEN/NOTIFY, rate limits in Redis; pg and ioredis load lazily.
export {
  createPostgresRouteSource,
  type PostgresRouteSource,
  type PostgresRouteSourceOptions,
  type PostgresRouteSourceStats,
  type InvalidationTarget,
} from './sources/postgres.js';
export type { PgNotification, PgPoolClientLike, PgPoolLike, PgQueryResult } from './sources/pg-types.js';
export type { RedisClientLike } from './stores/redis-client.js';
export { postgresMigrationSql, type MigrationOptions } from './sources/migration.js';
export { createRedisRateLimitStore, RateLimitStoreError, type RedisRateLimitStore, type RedisRateLimitStoreOptions } from './stores/redis.js';
