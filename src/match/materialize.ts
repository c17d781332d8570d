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

/**
 * `index` is `route.index`, passed by callers that have it (the router has it from the lookup):
 * the generated builder then reads everything it needs from one flat per-table array at that
 * index and never dereferences `route` (see `generateMatchBuilder`). Callers without it (the
 * tier's first generated call) leave it out.
 */
export type MatchBuilder = (route: CompiledRoute, path: string, offsets: Int32Array, index?: number) => RouteMatch;

/** Past this many distinct parameter shapes, the rarer shapes use `materialize`. */
const MAX_SHAPES = 256;

/** Per route in the generated builder's flat array: pattern, target, first variant, shape id. */
const STRIDE = 4;

/**
 * One match builder for the whole table: a switch on the route's parameter shape (its list of
 * parameter names and whether it has a catch-all), each case an object literal with fixed keys.
 * One function means one call target where `match` calls it (V8 can inline it), and one hidden
 * class per parameter shape instead of a dictionary grown key by key. Same slicing and decoding
 * as `materialize`, which serves where code generation is unavailable.
 *
 * What a match copies from its route (pattern, target, first variant) and the route's shape id
 * sit side by side in ONE flat array, STRIDE slots per route: building a match reads one or two
 * cache lines of it, where reading them from the route would touch the route object, its
 * `variants` array and that array's elements, three objects scattered over the heap (on a
 * table of 10,001 routes, each a cache miss: notes-lookup.md, "Session 25: the match result").
 */
function generateMatchBuilder(routes: readonly CompiledRoute[], decode: (value: string) => string, fallback: MatchBuilder): { build: MatchBuilder } | null {
  if (!codegenAvailable()) return null;
  const ids = new Map<string, number>();
  const cases: string[] = [];
  // Filled by push, so V8 keeps it a packed array (no hole checks on reads).
  const data: unknown[] = [];
  routes.forEach((route) => {
    const key = JSON.stringify([route.paramNames, route.catchAll]);
    let id = ids.get(key);
    if (id === undefined && ids.size < MAX_SHAPES) {
      id = ids.size;
      ids.set(key, id);
      const names = route.paramNames;
      const params = (decoded: boolean) =>
        `{ ${names.map((name, k) => `${JSON.stringify(name)}: ${decoded ? 'd(' : ''}path.slice(o[${2 * k}], o[${2 * k + 1}])${decoded ? ')' : ''}`).join(', ')} }`;
      const rest = route.catchAll ? `, remainder: path.slice(o[${2 * names.length}])` : '';
      const result = (decoded: boolean) => `return { pattern: t[k], target: t[k + 1], params: ${params(decoded)}${rest}, route: r, variant: t[k + 2] };`;
      // Several values: one search for '%' from the first value on (no value lies before o[0])
      // instead of one per value (each `indexOf` is a builtin call of ~60-90 instructions); only a
      // path that has a '%' there decodes value by value. GitHub table: ~100 fewer instructions per
      // mixed lookup, ~230 per parameter hit (bench/lookup-counts.mjs; notes-lookup.md Session 26).
      cases.push(names.length >= 2 ? `case ${id}: if (path.indexOf('%', o[0]) < 0) ${result(false)}\n${result(true)}` : `case ${id}: ${result(true)}`);
    }
    data.push(route.pattern, route.target, route.variants[0], id ?? -1);
  });
  const source = `"use strict";\nreturn function build(r, path, o, i) {\nconst k = (i === undefined ? r.index : i) * ${STRIDE};\nswitch (t[k + 3]) {\n${cases.join('\n')}\n}\nreturn fallback(r, path, o);\n};`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call -- code generation is the point; callers check codegenAvailable() first
  const build = new Function('d', 't', 'fallback', source)(decode, data, fallback) as MatchBuilder;
  return { build };
}
