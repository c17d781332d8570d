/** `af-routes serve` and `explain` show which policies a route has (src/cli/format.ts). */
import { describe, expect, it } from 'vitest';
import { formatExplanation, formatTable, policySummary } from '../src/cli/format.js';
import { compile, explain } from '../src/index.js';

const key = 'sha256:' + 'a'.repeat(64);
const router = compile(
  {
    '/api/*': { target: 'https://api.test', auth: { type: 'apiKey', keys: [key] }, rateLimit: { requests: 100, per: '1m', burst: 150 }, cache: { ttl: '30s' } },
    '/multi/*': [{ methods: ['GET'], target: 'https://a.test', cache: true }, 'https://b.test'],
    '/plain/*': 'https://plain.test',
  } as never,
  { backend: 'js' },
);

describe('policy summaries in the CLI', () => {
  it('summarizes every policy compactly', () => {
    expect(policySummary(router.routes[0]!.variants[0]!.policies)).toBe('auth=apiKey rateLimit=100/1m burst 150(ip) cache(ttl 30s)');
    expect(policySummary(router.routes[2]!.variants[0]!.policies)).toBe('');
  });

  it('shows them in the table serve prints, per variant, and nothing for plain routes', () => {
    const text = formatTable(router.routes);
    expect(text).toMatch(/\/api\/\*\s+->\s+https:\/\/api\.test \{auth=apiKey rateLimit=100\/1m burst 150\(ip\) cache\(ttl 30s\)\}/);
    // Each variant with its conditions, target and policies; variants separated by `|`.
    expect(text).toContain('[GET] https://a.test {cache}  |  https://b.test');
    expect(text).toMatch(/https:\/\/plain\.test$/m);
  });

  it("shows the winning variant's policies in explain", () => {
    expect(formatExplanation(explain(router, '/api/x'))).toContain('policies:   auth=apiKey');
    expect(formatExplanation(explain(router, '/plain/x'))).not.toContain('policies:');
  });
});
