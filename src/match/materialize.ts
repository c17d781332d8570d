/**
 * Turns a backend's answer (route index + capture offsets) into a `RouteMatch`. Shared by
 * both backends, so they cannot differ in how values are sliced or decoded.
 */
import { generateMatchBuilder } from './codegen.js';
import type { CompiledRoute, RouteMatch } from './types.js';

/** Parameter values are percent-decoded; a value that cannot be decoded stays as sent. */
export function decodeParam(value: string): string {
  if (value.indexOf('%') < 0) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function materialize(route: CompiledRoute, path: string, offsets: Int32Array): RouteMatch {
  const names = route.paramNames;
  const params: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) params[names[i]!] = decodeParam(path.slice(offsets[2 * i], offsets[2 * i + 1]));
  if (route.catchAll) {
    return { pattern: route.pattern, target: route.target, params, remainder: path.slice(offsets[2 * names.length]), route, variant: route.variants[0]! };
  }
  return { pattern: route.pattern, target: route.target, params, route, variant: route.variants[0]! };
}

/** The table's match builder: generated where code generation is allowed, else `materialize`. */
export function matchBuilder(routes: readonly CompiledRoute[], codegen: boolean): (route: CompiledRoute, path: string, offsets: Int32Array) => RouteMatch {
  const generated = codegen ? generateMatchBuilder(routes, decodeParam, materialize) : null;
  return generated?.build ?? materialize;
}
