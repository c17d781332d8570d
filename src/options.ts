/** Limits that bound the work any single input can cause. Each is configurable. */
export interface Limits {
  /** Routes per table (validation error `too-many-routes`). */
  maxRoutes: number;
  /** Characters per pattern (validation error `pattern-too-long`). */
  maxPatternLength: number;
  /** Characters per target (validation error `target-too-long`). */
  maxTargetLength: number;
  /** Characters per request path; longer paths are answered 414. */
  maxPathLength: number;
  /** Segments per path or pattern; more are answered 414 / `pattern-too-many-segments`. */
  maxSegments: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxRoutes: 10_000,
  maxPatternLength: 1_024,
  maxTargetLength: 2_048,
  maxPathLength: 8_192,
  maxSegments: 256,
});

/** Options that change what a table means; validation and compilation take the same ones. */
export interface MatchOptions {
  /** Static text is compared case-sensitively (default true). ASCII letters only are folded. */
  caseSensitive?: boolean;
  /** `/docs` and `/docs/` are the same path (default false). */
  ignoreTrailingSlash?: boolean;
  /** Override any of the default limits. */
  limits?: Partial<Limits>;
}

export type BackendChoice = 'auto' | 'js' | 'native';

export interface CompileOptions extends MatchOptions {
  /** Which matcher serves: `auto` (default) prefers the native addon when it loads. */
  backend?: BackendChoice;
  /**
   * TypeScript backend: generate a matcher specialized to the table (default true). Where
   * the runtime forbids code generation from strings, the interpreter serves regardless.
   */
  codegen?: boolean;
  /**
   * TypeScript backend: lookups served by the interpreter before the generated matcher is
   * built (tiering; default `ROUTING_CORE_CODEGEN_AFTER`, else 1,024). 0 generates at compile
   * time. A whole number of lookups.
   */
  codegenAfter?: number;
}

export interface ResolvedMatchOptions {
  caseSensitive: boolean;
  ignoreTrailingSlash: boolean;
  limits: Limits;
}

/**
 * Resolves options against the defaults. A limit that is not a positive whole number (or
 * Infinity) is a programming error, reported at once: NaN would silently disable a check.
 */
export function resolveMatchOptions(options: MatchOptions = {}): ResolvedMatchOptions {
  const limits = { ...DEFAULT_LIMITS, ...stripUndefined(options.limits) };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !(value === Infinity || (Number.isInteger(value) && value > 0))) {
      throw new RangeError(`limits.${name} must be a positive whole number (or Infinity), not ${String(value)}`);
    }
  }
  return {
    caseSensitive: options.caseSensitive ?? true,
    ignoreTrailingSlash: options.ignoreTrailingSlash ?? false,
    limits,
  };
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (!o) return out;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
