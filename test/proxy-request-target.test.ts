/**
 * buildProxyRequest keeps its last target's constants (Host, the template without its origin)
 * between requests (issue 18: the per-request work): whatever order requests to different
 * targets come in, its url, origin, path and Host must be what buildForwardUrl and the target's
 * origin give for that request alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildForwardUrl } from '../src/target/url.js';
import { compile, type RouteMatch } from '../src/index.js';
import { buildProxyRequest } from '../src/pipeline/upstream-request.js';

const router = compile(
  {
    '/api/*': 'https://users.svc:8443/v2',
    '/files/*': 'http://files.svc/root?tenant=a',
    '/u/:id/posts/:post': 'http://posts.svc:8080/users/:id/p/:post',
    '/plain': 'http://plain.svc/fixed/path',
    '/bare/*': 'http://bare.svc',
  },
  { backend: 'js' },
);

const PATHS = ['/api/users/1', '/api', '/files/a/b.txt', '/u/7/posts/9', '/u/%C3%A9/posts/x%20y', '/plain', '/bare/x', '/bare'];

describe('buildProxyRequest with per-target constants', () => {
  it('gives every request the url, origin, path and Host of its own target, in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom('', 'q=1', 'a=b&c=d')), { minLength: 1, maxLength: 12 }), (requests) => {
        for (const [path, query] of requests) {
          const match: RouteMatch = router.match(path)!;
          const template = match.variant.targets[0]!.template;
          const url = buildForwardUrl(match, query, template);
          const r = buildProxyRequest(match, { method: 'GET', query, headers: ['Host', 'client.example'] });
          expect(r.url).toBe(url);
          expect(r.origin).toBe(template.origin);
          expect(r.path).toBe(url.slice(template.origin.length));
          expect(r.path.startsWith('/')).toBe(true);
          expect(r.host).toBe(new URL(template.origin).host);
          expect(r.headers['host']).toBe(r.host);
        }
      }),
      { numRuns: 300 },
    );
  });
});
