/**
 * Routes with the same parameter names share one frozen list of them (src/validate/pattern.ts),
 * and `params-unused` warnings reuse their texts by that list (src/validate/target.ts). The law:
 * every route's names, and every warning, are what the route gets alone; routes with equal names
 * hold the same list, which nothing can change.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { expectIssuesOfEachRouteAlone } from './helpers.js';

// More distinct name lists than either cache keeps (8 lists, 4 hints), in any order.
const NAMES = ['id', 'order', 'x', 'y', 'z', 'w', 'v', 'u', 'a0', 'b1'];
// Each pattern starts with its own static segment: no two conflict, so each route's issues are its own.
const patterns = fc
  .uniqueArray(fc.tuple(fc.nat(99), fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 3 }), fc.boolean(), fc.boolean()), {
    minLength: 1,
    maxLength: 40,
    selector: ([n]) => n,
  })
  .map((list) => list.map(([n, names, anonymous, rest]) => `/p${n}` + names.map((name) => `/s/:${name}`).join('') + (anonymous ? '/*/k' : '') + (rest ? '/*' : '')));
const target = fc.constantFrom('http://a.internal', 'http://a.internal/:id', 'http://a.internal/:x/*', 'http://b.internal');

describe('shared parameter lists', () => {
  it('names and warnings are the route alone; equal names share one frozen list', () => {
    fc.assert(
      fc.property(patterns, fc.array(target, { minLength: 40, maxLength: 40 }), (patterns, targets) => {
        const { table, valid } = expectIssuesOfEachRouteAlone(patterns, targets);
        if (!valid) return;
        const routes = compile(table).routes;
        routes.forEach((route, i) => {
          expect(route.paramNames).toEqual(compile({ [patterns[i]!]: targets[i]! }).routes[0]!.paramNames);
          expect(Object.isFrozen(route.paramNames)).toBe(true);
          // Shared while the list is among the last 8 distinct ones: consecutive equal lists always are.
          if (i > 0 && JSON.stringify(routes[i - 1]!.paramNames) === JSON.stringify(route.paramNames)) expect(route.paramNames).toBe(routes[i - 1]!.paramNames);
        });
      }),
      { numRuns: 200 },
    );
  });
});
