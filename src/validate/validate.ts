/**
 * The one validator (SPEC sections 7 and 10-12), shared by backend, CLI and runtime. `compile`
 * uses the same analysis, so a table validates under some options exactly when it compiles
 * under them (test/validity-independent.test.ts checks both against rules of its own).
 *
 * A string value keeps the legacy path exactly (its issues and their order are unchanged); a
 * route object or an array of variants goes through src/validate/route-value.ts.
 */
import type { CompiledRoute, CompiledTarget, RouteVariant } from '../table/route.js';
import { resolveMatchOptions, type MatchOptions, type ResolvedMatchOptions } from '../options.js';
import { parseTarget, unusedParams, type TemplateCache } from './target.js';
import { createRegexBudget } from '../regex/linear.js';
import { isPlainObject } from './context.js';
import { error, RoutesValidationError, type RouteIssue } from './issues.js';
import { canonicalPattern, parsePattern } from './pattern.js';
import { parseRouteValue } from './route-value.js';
import { giveShapeIndex, takeShapeIndex, type ShapeIndex } from './shapes.js';

export interface ValidationResult {
  valid: boolean;
  /** Every problem, in table order, then conflicts and limits. */
  errors: RouteIssue[];
  warnings: RouteIssue[];
}

export interface Analysis extends ValidationResult {
  /** The routes that parsed, in table order (complete only when `valid`). */
  routes: CompiledRoute[];
}

export function analyzeRoutes(input: unknown, resolved: ResolvedMatchOptions): Analysis {
  const byShape = takeShapeIndex();
  try {
    return analyze(input, resolved, byShape);
  } catch (cause) {
    // Only hostile objects get here (a getter that throws, a revoked proxy): still an answer.
    const reason = cause instanceof Error ? cause.message : String(cause);
    return {
      valid: false,
      errors: [
        error('routes-not-object', 'Routes must be an object mapping path patterns to target URLs', {
          hint: `Pass plain JSON data; reading the routes failed: ${reason}`,
        }),
      ],
      warnings: [],
      routes: [],
    };
  } finally {
    giveShapeIndex(byShape);
  }
}

function analyze(input: unknown, resolved: ResolvedMatchOptions, byShape: ShapeIndex): Analysis {
  const errors: RouteIssue[] = [];
  const warnings: RouteIssue[] = [];
  const routes: CompiledRoute[] = [];
  if (input === null || input === undefined) return { valid: true, errors, warnings, routes };
  if (!isPlainObject(input)) {
    errors.push(
      error('routes-not-object', 'Routes must be an object mapping path patterns to target URLs', {
        hint: 'Pass an object such as { "/api/*": "https://api.example.com" }',
      }),
    );
    return { valid: false, errors, warnings, routes };
  }
  // Keys, then each value read once: `Object.entries` made a [key, value] array per route.
  const keys = Object.keys(input);
  if (keys.length === 0) {
    errors.push(error('routes-empty', 'Routes object cannot be empty', { hint: 'Add a route, or pass null for no routes' }));
    return { valid: false, errors, warnings, routes };
  }
  if (keys.length > resolved.limits.maxRoutes) {
    errors.push(
      error('too-many-routes', `Routes object has ${keys.length} routes; the limit is ${resolved.limits.maxRoutes}`, {
        hint: 'Merge routes with parameters or catch-alls, or raise limits.maxRoutes',
      }),
    );
    return { valid: false, errors, warnings, routes };
  }
  // Entry numbers are route indices: a shape is added exactly when its route is kept.
  byShape.reset(keys.length);
  const names = new Map<string, string>();
  const regexBudget = createRegexBudget();
  const templates: TemplateCache = new Map();
  /*
   * Routes to the same placeholder-free target share its template (src/validate/target.ts), so
   * they share its one-entry target list too: one list per upstream, not per route. Keyed by
   * the target text, with exactly the targets `templates` caches: a route naming one of them
   * skips `parseTarget` (one Map lookup, and no result object, instead of two and one).
   */
  const targetLists = new Map<string, CompiledTarget[]>();
  const table = input as Record<string, unknown>;
  for (let k = 0; k < keys.length; k++) {
    const pattern = keys[k]!;
    const value = table[pattern];
    const parsed = parsePattern(pattern, resolved, regexBudget);
    let variants: RouteVariant[];
    let target: string;
    if (typeof value === 'string') {
      // The legacy form, exactly as before: a bad pattern hides its target's problems.
      if (Array.isArray(parsed)) {
        errors.push(...parsed);
        continue;
      }
      let targets = targetLists.get(value);
      if (targets !== undefined) {
        // What `parseTarget` answers for a cached template: only this warning depends on the pattern.
        const unused = unusedParams(pattern, value, parsed, null);
        if (unused !== null) warnings.push(unused);
      } else {
        const t = parseTarget(value, pattern, parsed, resolved.limits.maxTargetLength, templates);
        if (Array.isArray(t)) {
          errors.push(...t);
          continue;
        }
        // Most targets warn about nothing: no spread (an iterator per route) for an empty list.
        for (let w = 0; w < t.warnings.length; w++) warnings.push(t.warnings[w]!);
        targets = [{ url: value, weight: 1, template: t.template }];
        if (templates.get(value) === t.template) targetLists.set(value, targets);
      }
      target = value;
      variants = [stringVariant(pattern, value, targets)];
    } else {
      if (Array.isArray(parsed)) errors.push(...parsed);
      const r = parseRouteValue(pattern, value, Array.isArray(parsed) ? null : parsed, resolved.limits.maxTargetLength, regexBudget);
      errors.push(...r.errors);
      warnings.push(...r.warnings);
      if (Array.isArray(parsed) || r.errors.length > 0) continue;
      variants = r.variants;
      target = variants[0]!.target;
      const before = errors.length;
      for (const v of variants) {
        const earlier = names.get(v.name);
        if (earlier !== undefined) {
          errors.push(
            error('name-duplicate', `Route "${pattern}"${Array.isArray(value) ? ` #${v.index + 1}` : ''}: name "${v.name}" is also the name of route "${earlier}"`, {
              pattern,
              variant: v.index,
              field: 'name',
              hint: 'Give every route its own name: names key metrics, logs and the editor',
            }),
          );
        } else names.set(v.name, pattern);
      }
      if (errors.length > before) continue;
    }
    const same = byShape.add(parsed.shape);
    if (same >= 0) {
      const earlier = routes[same]!.pattern;
      errors.push(
        error('conflict', `Path patterns "${earlier}" and "${pattern}" have the same shape, so "${pattern}" could never win`, {
          pattern,
          target,
          conflictsWith: earlier,
          hint: 'Remove one of them, or make them differ in a static segment',
        }),
      );
      continue;
    }
    routes.push({
      index: routes.length,
      pattern,
      canonical: canonicalPattern(parsed),
      target,
      paramNames: parsed.paramNames,
      catchAll: parsed.catchAll,
      shape: parsed.shape,
      template: variants[0]!.targets[0]!.template,
      variants,
    });
  }
  return { valid: errors.length === 0, errors, warnings, routes };
}

/** A string value: one variant without conditions, named after its pattern. */
function stringVariant(pattern: string, target: string, targets: CompiledTarget[]): RouteVariant {
  return {
    index: 0,
    name: pattern,
    target,
    targets,
    methods: null,
    host: null,
    headers: null,
    query: null,
    upstream: NO_UPSTREAM,
    policies: NO_POLICIES,
  };
}

// Shared by every string route (frozen: readonly by type, and never one route's to change).
const NO_UPSTREAM: RouteVariant['upstream'] = Object.freeze({});
const NO_POLICIES: RouteVariant['policies'] = Object.freeze({});

/** Every problem of a route table (never throws, whatever value it is given). */
export function validateRoutes(input: unknown, options: MatchOptions = {}): ValidationResult {
  const { valid, errors, warnings } = analyzeRoutes(input, resolveMatchOptions(options));
  return { valid, errors, warnings };
}

/** Throws a `RoutesValidationError` carrying every issue when the table is invalid. */
export function assertValidRoutes(input: unknown, options: MatchOptions = {}): void {
  const result = validateRoutes(input, options);
  if (!result.valid) throw new RoutesValidationError(result.errors, result.warnings);
}
