/**
 * Routes that name the same target share one parsed template (src/validate/target.ts): the
 * law is that a table's issues are exactly those its routes get one by one, in table order,
 * and each route's template equals the one it gets alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { expectIssuesOfEachRouteAlone } from './helpers.js';

const PATTERNS = ['/a', '/a/:id', '/a/:id/b/:x', '/b/*', '/c/:id/*', '/:p', '/d/:id/e', '/*'];
const TARGETS = [
  'http://svc.internal:8080',
  'https://api.example.com/v1',
  'https://api.example.com/v1/:id',
  'https://api.example.com/v1/:id/*',
  'https://user:pw@api.example.com',
  'https://api.example.com/x?y=1',
  'HTTPS://API.example.com',
  'https://api.example.com/#frag',
];

describe('shared targets validate as they do alone', () => {
  it('issues of a table = issues of each route alone, in order; templates equal', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.constantFrom(...PATTERNS), { minLength: 1 }), fc.array(fc.constantFrom(...TARGETS), { minLength: 8, maxLength: 8 }), (patterns, targets) => {
        const { table, valid } = expectIssuesOfEachRouteAlone(patterns, targets);
        if (!valid) return;
        const router = compile(table);
        patterns.forEach((p, i) => {
          const own = compile({ [p]: targets[i]! });
          expect(router.routes[i]!.template).toEqual(own.routes[0]!.template);
        });
      }),
      { numRuns: 300 },
    );
  });
});
