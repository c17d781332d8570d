/**
 * The editor's model (src/editor/model.ts, src/editor/fields.ts): the laws the forms rely on.
 * A table read into entries and written back is the same table (variant order kept, a lone
 * `{ target }` written as the string it means); moving a variant is a permutation that puts it
 * where asked; a field set and read back is what was set, and clearing it leaves no empty
 * objects behind; every issue lands on a field or on its variant; list fields round-trip.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateRoutes } from '../src/browser.js';
import { formatField, FORM_FIELDS, parseField } from '../src/editor/fields.js';
import { copyPattern, entriesFromTable, getPath, issueField, move, setPath, tableFromEntries } from '../src/editor/model.js';

const url = fc.webUrl({ validSchemes: ['http', 'https'] });
const variantObject = fc.record({ target: url, methods: fc.constantFrom(['GET'], ['POST', 'PUT']), name: fc.stringMatching(/^[a-z]{1,8}$/) }, { requiredKeys: ['target'] });
const value = fc.oneof(url, variantObject, fc.array(fc.oneof(url, variantObject), { minLength: 2, maxLength: 5 }));
const table = fc.dictionary(fc.stringMatching(/^\/[a-z]{1,6}(\/\*)?$/), value, { minKeys: 1, maxKeys: 6 });

describe('editor model', () => {
  it('entries of a table write back the same table', () => {
    fc.assert(
      fc.property(table, (t) => {
        const normal = JSON.parse(
          JSON.stringify(t, (_k, v: unknown) =>
            v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && 'target' in v ? (v as { target: unknown }).target : v,
          ),
        ) as unknown;
        expect(tableFromEntries(entriesFromTable(t))).toEqual(normal);
      }),
    );
  });

  it('keeps the ids of routes whose pattern did not change', () => {
    const before = entriesFromTable({ '/a': 'http://a', '/b': 'http://b' });
    const after = entriesFromTable({ '/b': 'http://b2', '/c': 'http://c' }, before);
    expect(after[0]!.id).toBe(before[1]!.id);
    expect(after[1]!.id).not.toBe(before[0]!.id);
  });

  it('a copy of a route gets a valid pattern of its own', () => {
    const entries = entriesFromTable({ '/u/:id': 'http://a', '/api/*': 'http://a', '/api/copy/*': 'http://a', '/': 'http://a' });
    expect(copyPattern(entries, '/u/:id')).toBe('/u/:id/copy');
    expect(copyPattern(entries, '/api/*')).toBe('/api/copy-2/*');
    expect(copyPattern(entries, '/')).toBe('/copy');
    expect(copyPattern(entries, '/*')).toBe('/copy/*');
  });

  it('move is a permutation that puts the item where asked', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 10 }), fc.nat(), fc.nat(), (items, a, b) => {
        const from = a % items.length;
        const to = b % items.length;
        const moved = move(items, from, to);
        expect([...moved].sort()).toEqual([...items].sort());
        expect(moved[to]).toBe(items[from]);
      }),
    );
  });

  it('a field set is read back, and clearing it removes the objects it leaves empty', () => {
    fc.assert(
      fc.property(fc.constantFrom(...[...FORM_FIELDS].filter((f) => f.includes('.'))), fc.string({ minLength: 1 }), (path, v) => {
        const set = setPath({ target: 'http://a' }, path, v);
        expect(getPath(set, path)).toBe(v);
        expect(setPath(set, path, undefined)).toEqual({ target: 'http://a' });
      }),
    );
  });

  it('list and pairs fields round-trip through their text', () => {
    for (const [kind, v] of [
      ['list', ['GET', 'POST']],
      ['statuses', ['reset', 503]],
      ['oneOrList', 'api.example.com'],
      ['oneOrList', ['a.example.com', '*.b.example.com']],
      ['pairs', { 'x-env': 'prod', 'x-b': 'a: b' }],
      ['duration', 250],
      ['duration', '15s'],
      ['json', { kty: 'EC', crv: 'P-256' }],
    ] as const) {
      expect(parseField(kind, formatField(kind, v))).toEqual(v);
    }
    expect(parseField('number', '')).toBeUndefined();
    expect(parseField('number', '3x')).toBe('3x'); // kept as typed: validation says what is wrong
  });

  it('places every issue of a table on a form field, its variant, or the pattern', () => {
    const result = validateRoutes({
      '/a/*': [{ methods: ['get'], target: 'ftp://x' }, { targets: ['http://a', { url: 'nope', weight: 0 }], retry: { attempts: 9 }, cahce: true }, 'http://b', 'http://c'],
      '/b/:id': 'http//x',
      bad: 'http://q',
      '/k': { target: 'http://a', auth: { type: 'apiKey', keys: ['plain'] }, rateLimit: { requests: -1, per: '1m' } },
    });
    const placed = [...result.errors, ...result.warnings].map((i) => [i.code, issueField(i)]);
    expect(placed).toEqual(
      expect.arrayContaining([
        ['target-bad-protocol', 'target'],
        ['methods-invalid', 'methods'],
        ['route-unknown-field', 'cahce'],
        ['weight-invalid', 'targets'],
        ['retry-invalid', 'retry.attempts'],
        ['variant-unreachable', 'variant'],
        ['target-invalid-url', 'target'],
        ['pattern-no-leading-slash', 'pattern'],
        ['api-key-not-hashed', 'auth.keys'],
        ['rate-limit-invalid', 'rateLimit.requests'],
      ]),
    );
    for (const [, field] of placed) expect(FORM_FIELDS.has(field!) || ['pattern', 'variant', 'variants', 'cahce'].includes(field!)).toBe(true);
  });
});
