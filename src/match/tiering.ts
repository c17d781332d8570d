/**
 * Tiered code generation: a compiled table is served by the generic code first (the tree
 * interpreter, the generic match builder `materialize`) and gets its generated code only once
 * it has served `codegenAfter()` lookups, as V8 itself tiers up hot functions.
 *
 * Why: generating and compiling the specialized lookup costs more than the whole rest of
 * compile() (1,000 routes: ~6 ms to validate and build the tree, 40+ ms CPU to generate the
 * lookup and have V8 parse and compile it; bench/results/notes-compile.md, session 23). A
 * router compiled only to be validated, listed or explained, or one that serves a handful of
 * requests, never pays that; one that serves traffic pays it once, early, on the lookup that
 * crosses the threshold.
 *
 * The swap is invisible: the interpreter and the generated code implement one walk (the
 * agreement and property tests run both, and test/tiering.test.ts crosses the threshold
 * mid-sequence), they share the offsets buffer and the segment memo, and the swap happens only
 * between lookups, never while one is under way on the same matcher (a condition's function
 * can look a path up on the router mid-walk: that inner lookup never swaps).
 *
 * `router.engine` names the engine chosen for the table ('generated' when the tree fits the
 * generator), which serves every lookup after the first `codegenAfter()`; before that the
 * interpreter serves, with the same answers.
 */
import { materialize, matchBuilder, type MatchBuilder } from './materialize.js';
import type { CompiledRoute } from './types.js';

/**
 * Lookups served before the generated code is built. Measured (notes-compile.md, session 23;
 * `bench/floors-compile.mjs --tier-up`): building it costs the lookup that crosses the threshold
 * 7-16 ms CPU (GitHub, gateway tables) to 30-50 ms (1,000 tenant routes), and V8 then spends
 * seconds of background CPU optimizing the generated functions, repaid only after millions of
 * lookups. A larger threshold would only postpone that bill and keep short-lived servers and
 * benchmark warm-ups on the interpreter; 1,024 keeps the generic tier short (well under a
 * millisecond of extra lookup time) while a router that serves a few lookups (tests, CLI
 * commands, validation, `explain`) never generates.
 */
export const DEFAULT_CODEGEN_AFTER = 1_024;

/**
 * The threshold for a router compiled now: the `codegenAfter` option, else
 * ROUTING_CORE_CODEGEN_AFTER (a whole number >= 0; 0 generates at compile time, as before
 * tiering), else DEFAULT_CODEGEN_AFTER.
 */
export function codegenAfter(option?: number): number {
  if (option !== undefined) {
    if (typeof option !== 'number' || !Number.isSafeInteger(option) || option < 0) {
      throw new RangeError(`codegenAfter must be a whole number of lookups (0 = generate at compile time), not ${String(option)}`);
    }
    return option;
  }
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.ROUTING_CORE_CODEGEN_AFTER;
  if (value === undefined || value === '') return DEFAULT_CODEGEN_AFTER;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || !/^\d+$/.test(value.trim())) {
    throw new Error(`ROUTING_CORE_CODEGEN_AFTER must be a whole number of lookups (0 = generate at compile time), not "${value}"`);
  }
  return n;
}

/**
 * Counts the uses of the generic tier and builds the generated one when they reach the
 * threshold (`due`). `make` runs at most once, in `generate`, which the owner calls only between
 * uses (see the re-entrancy rule above); its result is null when there is nothing to generate.
 */
export class Tier<T> {
  private left: number;
  private make: (() => T | null) | null;

  constructor(after: number, make: () => T | null) {
    this.left = after;
    this.make = make;
  }

  /** True once the threshold is reached (the next `generate` builds the generated tier). */
  due(): boolean {
    return --this.left < 0;
  }

  /** Builds the generated tier (once; null when there is nothing to generate). */
  generate(): T | null {
    const make = this.make;
    this.make = null;
    return make === null ? null : make();
  }
}

/**
 * The router's match builder in two tiers: `materialize` (generic, same slicing and decoding)
 * for the first `after` matches, then the generated one, handed to `install` so later matches
 * call it directly. `after` 0 generates it now. Generation cannot fail for a validated table
 * (`matchBuilder` falls back to `materialize`), so nothing compile() reports moves to a match.
 */
export function tieredBuilder(routes: readonly CompiledRoute[], codegen: boolean, after: number, install: (build: MatchBuilder) => void): MatchBuilder {
  if (!codegen) return materialize;
  if (after <= 0) return matchBuilder(routes, true);
  const tier = new Tier(after, () => matchBuilder(routes, true));
  return function buildTiered(route, path, offsets) {
    if (!tier.due()) return materialize(route, path, offsets);
    const built = tier.generate() ?? materialize;
    install(built);
    return built(route, path, offsets);
  };
}
