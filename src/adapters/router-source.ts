/**
 * What every adapter takes to know its table: `routes` (compiled once, when the adapter is
 * created, so an invalid table fails the app's start-up, not a request) or `router` (a
 * compiled router, or a getter called per request to swap tables without a restart).
 * Node-free: the Hono adapter runs on edge runtimes too.
 */
import { compile } from '../match/router.js';
import type { Router } from '../match/types.js';
import type { CompileOptions } from '../options.js';
import type { RouterSource } from '../proxy/types.js';

/** The table options every adapter shares. */
export interface AdapterRoutesOptions {
  /**
   * The route table (SPEC section 1), compiled once with `compileOptions`; an invalid table
   * throws `RoutesValidationError` when the adapter is created, listing every problem.
   */
  routes?: unknown;
  /** Options for compiling `routes` (case sensitivity, trailing slash, limits, backend). */
  compileOptions?: CompileOptions;
  /** Or a compiled router, or a getter called per request (to swap tables without a restart). */
  router?: Router | (() => Router);
}

/** The adapter's router source; throws a TypeError naming the adapter unless exactly one of `routes` and `router` is given. */
export function adapterRouter(options: AdapterRoutesOptions, who: string): RouterSource {
  if ((options.routes === undefined) === (options.router === undefined)) {
    throw new TypeError(`${who}: pass exactly one of \`routes\` (a route table) and \`router\` (a compiled router or a getter)`);
  }
  return options.router ?? compile(options.routes, options.compileOptions);
}
