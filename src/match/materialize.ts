/**
 * Turns a backend's answer (route index + capture offsets) into a `RouteMatch`. Shared by
 * both backends, so they cannot differ in how values are sliced or decoded. Where code
 * generation is allowed, one builder is generated per table (below); `materialize` is the
 * same thing written generically.
 */
import { codegenAvailable } from './codegen-available.js';
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
export function matchBuilder(routes: readonly CompiledRoute[], codegen: boolean): MatchBuilder {
  const generated = codegen ? generateMatchBuilder(routes, decodeParam, materialize) : null;
  return generated?.build ?? materialize;
}

export type MatchBuilder = (route: CompiledRoute, path: string, offsets: Int32Array) => RouteMatch;

/** Past this many distinct parameter shapes, the rarer shapes use `materialize`. */
const MAX_SHAPES = 256;

/**
 * One match builder for the whole table: a switch on the route's parameter shape (its list of
 * parameter names and whether it has a catch-all), each case an object literal with fixed keys.
 * One function means one call target where `match` calls it (V8 can inline it), and one hidden
 * class per parameter shape instead of a dictionary grown key by key. Same slicing and decoding
 * as `materialize`, which serves where code generation is unavailable.
 */
function generateMatchBuilder(routes: readonly CompiledRoute[], decode: (value: string) => string, fallback: MatchBuilder): { build: MatchBuilder; shapeOf: Int32Array } | null {
  if (!codegenAvailable()) return null;
  const ids = new Map<string, number>();
  const cases: string[] = [];
  const shapeOf = new Int32Array(routes.length).fill(-1);
  routes.forEach((route, i) => {
    const key = JSON.stringify([route.paramNames, route.catchAll]);
    let id = ids.get(key);
    if (id === undefined) {
      if (ids.size >= MAX_SHAPES) return;
      id = ids.size;
      ids.set(key, id);
      const names = route.paramNames;
      const params = names.map((name, k) => `${JSON.stringify(name)}: d(path.slice(o[${2 * k}], o[${2 * k + 1}]))`).join(', ');
      const rest = route.catchAll ? `, remainder: path.slice(o[${2 * names.length}])` : '';
      cases.push(`case ${id}: return { pattern: r.pattern, target: r.target, params: { ${params} }${rest}, route: r, variant: r.variants[0] };`);
    }
    shapeOf[i] = id;
  });
  const source = `"use strict";\nreturn function build(r, path, o) {\nswitch (s[r.index]) {\n${cases.join('\n')}\n}\nreturn fallback(r, path, o);\n};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call -- code generation is the point; callers check codegenAvailable() first
  const build = new Function('d', 's', 'fallback', source)(decode, shapeOf, fallback) as MatchBuilder;
  return { build, shapeOf };
}
