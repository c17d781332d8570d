/**
 * The route table's JSON Schema (src/schema/routes.ts) against the validator: on generated
 * tables (fast-check) the schema accepts every table the validator accepts, and a table the
 * schema accepts fails the validator only for a rule no schema can express (conflicts,
 * placeholders the pattern does not capture, URL host rules, RE2 syntax, relations inside a
 * route value; the text after a `:name(REGEX)` constraint; lengths of text outside the BMP,
 * which JSON Schema counts in code points and JavaScript in UTF-16 units). Tables mix the
 * legacy strings with route objects and arrays of variants (test/route-object-arbitraries.ts).
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as portable from '../src/browser.js';
import { createRoutesJsonSchema, routesJsonSchema, validateRoutes, type IssueCode, type Limits, type RouteIssue } from '../src/index.js';
import { RELATIONAL_CODES, routeValueArb } from './route-object-arbitraries.js';

/** Rules no schema can state: relations between values, RE2 syntax, URL host rules. */
const INEXPRESSIBLE = RELATIONAL_CODES;
/** Codes about a pattern's text: after a `:name(` constraint, the schema leaves that text to the validator. */
const PATTERN_CODES = new Set<IssueCode>([
  'param-name-invalid',
  'param-name-duplicate',
  'wildcard-misplaced',
  'pattern-invalid-character',
  'pattern-invalid-escape',
  'pattern-dot-segment',
  'pattern-too-many-segments',
  'regex-invalid',
  'regex-too-long',
]);
const CONSTRAINT = /\/:[A-Za-z_][A-Za-z0-9_]*\(/;
const LENGTH_CODES = new Set<IssueCode>(['pattern-too-long', 'target-too-long', 'too-many-routes', 'pattern-too-many-segments']);
const ASTRAL = /[\uD800-\uDBFF][\uDC00-\uDFFF]/;

function validatorFor(limits: Partial<Limits> = {}, unicodeRegExp = true) {
  const ajv = new Ajv2020({ allErrors: true, strict: true, unicodeRegExp });
  return ajv.compile(createRoutesJsonSchema(limits));
}

// ---- generators: every rule of the validator, valid and broken, near each other ----------

const VALID_SEGMENTS = [
  // static text, escapes and raw non-ASCII
  'api',
  'v1',
  'Users',
  'x.json',
  'abc:run',
  'a:b',
  '...',
  '.a',
  'a.',
  '%2E%2E%2E',
  'café',
  '%C3%A9',
  '%c3%a9',
  '%7e',
  '%41',
  '%2A',
  '%3Ax',
  '%3F',
  '%E0%A0%80',
  '%EF%BF%BF',
  '%F0%90%80%80',
  '%F4%8F%BF%BF',
  '😀',
  '\u00a0',
  '\uffff',
  '!$&\'()+,;=@[]^`{|}~"<>',
  '',
  // parameters (few names, so duplicates happen) and wildcards
  ':a',
  ':b',
  ':_x9',
  ':__proto__x',
  '*',
  '*',
  // constrained parameters (SPEC 10.2): a REGEX may hold "/" and parentheses
  ':c([0-9]+)',
  ':d([^/]+)',
  ':e((a|b)/c)',
  ':a([a-z]{2,})',
];
const BROKEN_SEGMENTS = [
  ':',
  ':9x',
  ':a-b',
  ':__proto__',
  '*x',
  'a*',
  '**',
  // dot segments
  '.',
  '..',
  '%2e',
  '.%2E',
  '%2E.',
  '%2e%2e',
  // broken escapes and forbidden characters
  '%',
  '%G1',
  '%4',
  'a%',
  '%C3',
  '%C3%28',
  '%C3a%A9',
  '%ED%A0%80',
  '%F4%90%80%80',
  '%C0%AF',
  '%E0%9F%BF',
  '%F5%80%80%80',
  '%80',
  '%00',
  '%2F',
  '%2f',
  '%5C',
  '%5c',
  'a b',
  'a\tb',
  'a\\b',
  'a?b',
  '?',
  'a#b',
  '#',
  '\u0000',
  '\u001f',
  '\u007f',
  '\ud800',
  'x\udc00',
  '\udbff',
];
const segmentArb = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...VALID_SEGMENTS) }, { weight: 1, arbitrary: fc.constantFrom(...BROKEN_SEGMENTS) });

const patternArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('/', '/', '/', '/', '/', '/', '/', '/', '//', '', 'x', ' /'),
    fc.array(segmentArb, { maxLength: 6 }),
    fc.constantFrom('', '', '', '/', '//'),
    fc.nat({ max: 3 }),
  )
  .map(([lead, segs, trail, repeat]) => {
    const body = segs.join('/');
    // Sometimes long: repeats push patterns across the length and segment limits.
    const long = repeat === 3 && body.length > 0 ? Array.from({ length: 12 }, () => body).join('/') : body;
    return lead + long + trail;
  });

const VALID_TARGETS = ['https://a.com', 'http://a.com/base', 'http://a.com/base/', 'https://a.com?q=1', 'https://a.com/%3Ax', 'https://a.com/😀'];
const TARGETS: unknown[] = [
  'https://a.com',
  'http://a.com/base',
  'http://a.com/base/',
  'HTTPS://A.COM',
  'hTTp://a.com',
  'http:a.com',
  'https:/a.com',
  'https:\\\\a.com',
  ' https://a.com',
  '\u0000https://a.com',
  '\thttps://a.com',
  'ht\ttps://a.com',
  'https\n://a.com',
  'https://a.com ',
  'https:',
  'https://',
  'http://?x',
  'https://@',
  'https://exa mple.com',
  'https://[::1]:8080/x',
  'https://xn--caf-dma.com/',
  'ftp://a.com',
  'ws://a.com',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'a.com',
  '//a.com',
  '',
  'httpx://a.com',
  'https//a.com',
  'https://a.com/#x',
  'https://a.com#',
  '#https://a.com',
  'https://u:p@a.com',
  'https://a.com?q=1',
  'https://a.com/😀',
  'https://a.com/\ud800',
  'https://a.com/:a',
  'https://a.com/:b/*',
  'https://a.com/*',
  'https://a.com/x/:zz',
  'https://a.com/%3Ax',
  'https://a.com/:_x9',
  1,
  0,
  null,
  true,
  {},
  [],
  { url: 'https://a.com' },
  ['https://a.com'],
];

const targetArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...VALID_TARGETS) },
  { weight: 4, arbitrary: fc.constantFrom(...TARGETS) },
  // long targets, across the length limit
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('https://a.com/', 'https://a.com/😀'), fc.nat({ max: 60 })).map(([t, n]) => t + 'p'.repeat(n)) },
);

/** A JSON value as a route table: mostly objects, sometimes anything else JSON can hold. */
const tableArb: fc.Arbitrary<unknown> = fc
  .oneof(
    { weight: 12, arbitrary: fc.dictionary(patternArb, routeValueArb(targetArb), { maxKeys: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], ['/a'], 'routes', '', 0, 42, true, false, {}) },
  )
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown); // exactly what JSON.parse gives (own __proto__ keys included)

function hasAstral(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value === 'string' && ASTRAL.test(value);
  return Object.entries(value).some(([k, v]) => ASTRAL.test(k) || hasAstral(v));
}

/** The two directions of agreement, for one table under one set of limits. */
function agree(table: unknown, schemaValid: boolean, limits: Partial<Limits>): void {
  const verdict = validateRoutes(table, { limits });
  const codes = verdict.errors.map((e) => e.code);
  // A table the validator accepts always passes the schema (an editor never flags a good table).
  if (verdict.valid) expect(schemaValid, `schema rejects a valid table ${JSON.stringify(table)}`).toBe(true);
  // A table the schema accepts fails the validator only for rules no schema can express.
  if (schemaValid) {
    const allowed = (issue: RouteIssue) =>
      INEXPRESSIBLE.has(issue.code) ||
      (LENGTH_CODES.has(issue.code) && hasAstral(table)) ||
      (PATTERN_CODES.has(issue.code) && issue.pattern !== undefined && CONSTRAINT.test(issue.pattern));
    expect(
      verdict.errors.filter((i) => !allowed(i)).map((i) => `${i.code} ${i.field ?? ''}`),
      `schema accepts ${JSON.stringify(table)}`,
    ).toEqual([]);
  }
  expect(codes.length > 0).toBe(!verdict.valid);
}

describe('route table JSON Schema', () => {
  it('is a valid draft 2020-12 schema, published as ./schema.json in sync with the code', () => {
    const ajv = new Ajv2020({ strict: true });
    expect(ajv.validateSchema(routesJsonSchema)).toBe(true);
    expect(routesJsonSchema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const published = JSON.parse(readFileSync(new URL('../src/schema/routes.schema.json', import.meta.url), 'utf8'));
    expect(published, 'src/schema/routes.schema.json is stale: run `npm run build:schema`').toEqual(createRoutesJsonSchema());
    expect(Object.isFrozen(routesJsonSchema)).toBe(true);
    expect(portable.routesJsonSchema).toBe(routesJsonSchema);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports['./schema.json']).toBe('./src/schema/routes.schema.json');
    expect(pkg.files).toContain('src/schema/routes.schema.json');
  });

  it('accepts the SPEC tables and rejects each expressible problem at its own keyword', () => {
    const validate = validatorFor();
    const ok: unknown[] = [
      null,
      { '/api/users/*': 'https://users-service.com', '/api/products/*': 'https://products-service.com', '/*': 'https://default.com' },
      { '/users/:id/*': 'https://u.svc/v2/:id/*', '/login': 'https://a.svc/auth/login', '/v1/abc:run': 'http://c', '/café': 'https://x', '/f/*/x/*/y': 'https://b' },
    ];
    for (const table of ok) {
      expect(validateRoutes(table).valid).toBe(true);
      expect(validate(table), JSON.stringify(validate.errors)).toBe(true);
    }
    const bad: [unknown, IssueCode, string][] = [
      [[], 'routes-not-object', '#/type'],
      ['routes', 'routes-not-object', '#/type'],
      [{}, 'routes-empty', '#/minProperties'],
      [{ 'api/*': 'https://a' }, 'pattern-no-leading-slash', '#/propertyNames/allOf/0/pattern'],
      [{ '/files/*.png': 'https://a' }, 'wildcard-misplaced', '#/propertyNames/allOf/1/pattern'],
      [{ '/u/:9': 'https://a' }, 'param-name-invalid', '#/propertyNames/allOf/1/pattern'],
      [{ '/u/:id/:id': 'https://a' }, 'param-name-duplicate', '#/propertyNames/allOf/2/not'],
      [{ '/a b': 'https://a' }, 'pattern-invalid-character', '#/propertyNames/allOf/1/pattern'],
      [{ '/a?x': 'https://a' }, 'pattern-invalid-character', '#/propertyNames/allOf/1/pattern'],
      [{ '/a/%C3': 'https://a' }, 'pattern-invalid-escape', '#/propertyNames/allOf/1/pattern'],
      [{ '/a/%2F': 'https://a' }, 'pattern-invalid-escape', '#/propertyNames/allOf/1/pattern'],
      [{ '/a/%2e%2E/b': 'https://a' }, 'pattern-dot-segment', '#/propertyNames/allOf/1/pattern'],
      [{ ['/' + 'a/'.repeat(300)]: 'https://a' }, 'pattern-too-many-segments', '#/propertyNames/allOf/3/pattern'],
      [{ ['/' + 'a'.repeat(1100)]: 'https://a' }, 'pattern-too-long', '#/propertyNames/maxLength'],
      [{ '/a': 42 }, 'target-not-string', '#/additionalProperties/not'],
      [{ '/a': null }, 'target-not-string', '#/additionalProperties/not'],
      [{ '/a': { url: 'https://a' } }, 'route-unknown-field', '#/additionalProperties'],
      [{ '/a': { url: 'https://a' } }, 'route-target-missing', '#/oneOf'],
      [{ '/a': 'ftp://files.example.com' }, 'target-bad-protocol', '#/$defs/target/allOf/0/pattern'],
      [{ '/a': 'https://a.com/#top' }, 'target-fragment', '#/$defs/target/allOf/1/pattern'],
      [{ '/a': 'https://a.com/' + 'x'.repeat(2100) }, 'target-too-long', '#/$defs/target/maxLength'],
      [{ '/a': [] }, 'variants-empty', '#/minItems'],
      [{ '/a': Array.from({ length: 33 }, () => 'https://a') }, 'too-many-variants', '#/maxItems'],
      [{ '/a': { target: 'https://a', methods: ['get'] } }, 'methods-invalid', '#/properties/methods/items/pattern'],
      [{ '/a': { target: 'https://a', retry: { attempts: 6 } } }, 'retry-invalid', '#/properties/retry/properties/attempts/maximum'],
      [{ '/a': { target: 'https://a', auth: { type: 'apiKey', keys: ['plain'] } } }, 'api-key-not-hashed', '#/properties/auth/allOf/0/then/properties/keys/items/pattern'],
      [{ '/a': { target: 'https://a', requestHeaders: { set: { Host: 'x' } } } }, 'header-forbidden', '#/properties/requestHeaders/properties/set/propertyNames/not'],
      [{ '/a': { target: 'https://a', timeout: 'soon' } }, 'duration-invalid', '#/properties/timeout/anyOf'],
    ];
    // A route object's keywords are reported relative to `#/$defs/routeObject` (Ajv compiles a
    // definition used twice as a function of its own).
    for (const [table, code, keyword] of bad) {
      expect(validateRoutes(table).errors.map((e) => e.code)).toContain(code);
      expect(validate(table)).toBe(false);
      expect(
        validate.errors!.map((e) => e.schemaPath),
        code,
      ).toContain(keyword);
    }
    const tooMany = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`/r${i}`, 'https://a']));
    expect(validateRoutes(tooMany).errors[0]!.code).toBe('too-many-routes');
    expect(validate(tooMany)).toBe(false);
    expect(validate.errors!.map((e) => e.schemaPath)).toContain('#/maxProperties');
  });

  it('names the rules it cannot express: the validator alone finds them', () => {
    const validate = validatorFor();
    const cases: [unknown, IssueCode][] = [
      [{ '/u/:id': 'https://a', '/u/:name': 'https://b' }, 'conflict'],
      [{ '/u/:id': 'https://a/:other' }, 'target-unknown-placeholder'],
      [{ '/u': 'https://' }, 'target-invalid-url'],
      [{ '/u/:id((?=x)y)': 'https://a/:id' }, 'regex-invalid'],
      [{ '/u': { target: 'https://a', headers: { 'x-v': { regex: '(a)\\1' } } } }, 'regex-invalid'],
      [{ '/u': ['https://a', { methods: ['GET'], target: 'https://b' }] }, 'variant-unreachable'],
      [{ '/u': { name: 'n', target: 'https://a' }, '/v': { name: 'n', target: 'https://b' } }, 'name-duplicate'],
    ];
    for (const [table, code] of cases) {
      expect(validate(table)).toBe(true);
      expect(validateRoutes(table).errors.map((e) => e.code)).toEqual([code]);
    }
  });

  const limitsCases: [string, Partial<Limits>][] = [
    ['default limits', {}],
    ['small limits (boundaries)', { maxRoutes: 3, maxPatternLength: 24, maxTargetLength: 40, maxSegments: 4 }],
  ];
  for (const [name, limits] of limitsCases) {
    for (const unicode of [true, false]) {
      it(`agrees with validateRoutes on generated tables, ${name}, regexps ${unicode ? 'with' : 'without'} the u flag`, () => {
        const validate = validatorFor(limits, unicode);
        let validSeen = 0;
        let invalidSeen = 0;
        let validExtended = 0;
        const extendedCodes = new Set<IssueCode>();
        fc.assert(
          fc.property(tableArb, (table) => {
            const schemaValid = validate(table) as boolean;
            if (schemaValid) validSeen++;
            else invalidSeen++;
            if (table !== null && typeof table === 'object' && !Array.isArray(table)) {
              const errors = validateRoutes(table, { limits }).errors;
              for (const [pattern, value] of Object.entries(table)) {
                if (typeof value === 'string') continue;
                const own = errors.filter((e) => e.pattern === pattern);
                if (own.length === 0) validExtended++;
                for (const e of own) extendedCodes.add(e.code);
              }
            }
            agree(table, schemaValid, limits);
          }),
          { numRuns: 3000, seed: 0x5c4e3a + (unicode ? 1 : 0) + name.length },
        );
        // the corpus exercises both verdicts
        expect(validSeen).toBeGreaterThan(100);
        expect(invalidSeen).toBeGreaterThan(100);
        // ... and the extended form: valid route objects and arrays, and most of its rules broken (per route)
        expect(validExtended).toBeGreaterThan(100);
        expect(extendedCodes.size).toBeGreaterThan(25);
      });
    }
  }

  it('agrees on random strings as patterns and targets (not only the curated pieces)', () => {
    const validate = validatorFor({ maxPatternLength: 40, maxSegments: 5 });
    const text = fc.string({
      unit: fc.constantFrom('/', '/', ':', '*', '%', '.', 'a', 'Z', '_', '0', 'C', '3', 'A', '9', 'é', '😀', ' ', '?', '\\', '\u0001', 'e', '2', 'F'),
      maxLength: 24,
    });
    fc.assert(
      fc.property(
        fc.dictionary(
          text.map((s) => '/' + s),
          fc.oneof(
            text.map((s) => 'https://h.com/' + s),
            text,
          ),
          { minKeys: 1, maxKeys: 3 },
        ),
        (table) => {
          agree(table, validate(table) as boolean, { maxPatternLength: 40, maxSegments: 5 });
        },
      ),
      { numRuns: 3000, seed: 77 },
    );
  });
});
