/** The Functions runtime integration (SPEC section 9). */
export { RouterCache, type LoadedRoutes, type RouterCacheOptions, type RouterCacheStats } from './cache.js';
export { createRuntimeRouter, type RuntimeAccessLogEntry, type RuntimeRouter, type RuntimeRouterOptions } from './router.js';
export { createNodeRuntimeRouter, type NodeRuntimeRouter, type NodeRuntimeRouterOptions } from './node.js';
