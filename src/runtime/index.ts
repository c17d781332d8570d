/** The Functions runtime integration (SPEC section 9): the folder's barrel, for the public entries. */
export type { LoadedRoutes, RouterCacheOptions, RouterCacheStats } from './cache.js';
export { createRuntimeRouter, type RuntimeAccessLogEntry, type RuntimeRouter, type RuntimeRouterOptions } from './router.js';
export { createNodeRuntimeRouter, type NodeRuntimeRouter, type NodeRuntimeRouterOptions } from './node.js';
