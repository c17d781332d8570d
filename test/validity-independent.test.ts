/**
 * "A table validates exactly when it compiles" (SPEC 3, issue 11), checked against rules that
 * share no code with the validator: the JSON Schema (Ajv) for each value's own form, and a
 * small model of the relations written here from SPEC text (shape conflicts, placeholders,
 * URL parsing, unreachable variants, duplicate names, RE2 syntax through re2js directly).
 * validateRoutes and compile both use src/validate's analysis, so comparing them with each
 * other alone could never fail; comparing each with this model can.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { compile, createRoutesJsonSchema, validateRoutes } from '../src/index.js';
import { routeValueArb } from './route-object-arbitraries.js';

interface Options {
  caseSensitive?: boolean;
  ignoreTrailingSlash?: boolean;
}

/** A pattern segment and what the model knows of it: its shape token (SPEC 3), the name it captures. */
interface Seg {
  text: string;
  /** Shape token; `static:` texts fold with caseSensitive: false. */
  shape: string;
  name?: string;
}
const SEGMENTS: Seg[] = [
  { text: 'api', shape: 'static:api' },
  { text: 'API', shape: 'static:API' },
  { text: 'café', shape: 'static:caf%C3%A9' },
  { text: 'caf%c3%a9', shape: 'static:caf%C3%A9' },
  { text: '%61pi', shape: 'static:api' }, // an unreserved escape decodes (SPEC 4)
  { text: 'v1', shape: 'static:v1' },
  { text: ':a', shape: ':', name: 'a' },
  { text: ':b', shape: ':', name: 'b' },
  { text: '*', shape: ':' }, // not last: an anonymous parameter
  { text: ':c([0-9]+)', shape: ':[0-9]+', name: 'c' },
  { text: ':d([^/]+)', shape: ':[^/]+', name: 'd' },
  { text: ':e([0-9]+)', shape: ':[0-9]+', name: 'e' },
];

interface ModelPattern {
  text: string;
  segs: Seg[];
  catchAll: boolean;
  trailingSlash: boolean;
}

const patternArb: fc.Arbitrary<ModelPattern> = fc.tuple(fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 3 }), fc.constantFrom('', '', '/*', '/')).map(([segs, tail]) => {
  const text = '/' + segs.map((s) => s.text).join('/') + (segs.length === 0 && tail !== '' ? tail.slice(1) : tail);
  // A "*" written last is the catch-all, whichever way it was generated.
  if (tail === '' && segs.at(-1)?.text === '*') return { text, segs: segs.slice(0, -1), catchAll: true, trailingSlash: false };
  return { text, segs, catchAll: tail === '/*', trailingSlash: tail === '/' && segs.length > 0 };
});

const TARGETS = ['https://a.com', 'https://a.com/x/', 'https://a.com/:a', 'https://a.com/:c/*', 'https://a.com/*', 'https://', 'ftp://a.com', 'https://a.com/#f'];

function names(p: ModelPattern): Set<string> {
  return new Set(p.segs.flatMap((s) => (s.name ? [s.name] : [])));
}

/** The model's shape key (SPEC 3, 10.2), written from the SPEC text. */
function shapeKey(p: ModelPattern, o: Options): string {
  const tokens = p.segs.map((s) =>
    s.shape.startsWith('static:') ? 'static:' + (o.caseSensitive === false ? s.shape.slice(7).replace(/[A-Z]/g, (c) => c.toLowerCase()) : s.shape.slice(7)) : s.shape,
  );
  if (p.catchAll) tokens.push('*');
  else if (p.trailingSlash && !o.ignoreTrailingSlash) tokens.push('static:');
  else if (p.segs.length === 0) tokens.push('static:'); // "/" alone
  return JSON.stringify(tokens);
}

/** Does a target string satisfy SPEC 6-7 against its pattern (beyond the schema's form checks)? */
function targetOk(target: string, p: ModelPattern): boolean {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  if (url.host === '') return false;
  let stars = 0;
  for (const seg of url.pathname.split('/').slice(1)) {
    if (seg === '*') stars++;
    else if (seg.startsWith(':') && !names(p).has(seg.slice(1))) return false;
  }
  return stars === 0 || (p.catchAll && stars === 1);
}

function re2Ok(source: unknown): boolean {
  if (typeof source !== 'string') return true; // the schema judges the type
  try {
    RE2JS.compile(source);
    return true;
  } catch {
    return false;
  }
}

const CONDITIONS = ['methods', 'host', 'headers', 'query'];
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The relations inside one value: every target, regexes in conditions, variant order. Collects explicit names. */
function valueOk(value: unknown, p: ModelPattern, namesSeen: string[]): boolean {
  const variants = Array.isArray(value) ? value : [value];
  let ok = true;
  variants.forEach((v, i) => {
    if (Array.isArray(value) && variants.slice(0, i).some((w) => typeof w === 'string' || (isObject(w) && CONDITIONS.every((c) => w[c] === undefined)))) ok = false;
    if (typeof v === 'string') ok = targetOk(v, p) && ok;
    if (!isObject(v)) return;
    if (typeof v.name === 'string') namesSeen.push(v.name);
    if (typeof v.target === 'string') ok = targetOk(v.target, p) && ok;
    if (Array.isArray(v.targets))
      for (const t of v.targets) ok = (typeof t === 'string' ? targetOk(t, p) : isObject(t) && typeof t.url === 'string' ? targetOk(t.url, p) : true) && ok;
    for (const field of ['headers', 'query']) {
      const conditions = v[field];
      if (isObject(conditions)) for (const m of Object.values(conditions)) if (isObject(m)) ok = re2Ok(m.regex) && ok;
    }
    for (const h of Array.isArray(v.host) ? v.host : [v.host]) if (isObject(h)) ok = re2Ok(h.regex) && ok;
  });
  return ok;
}

const ajv = new Ajv2020({ allErrors: true, strict: true });
const schemaValid = ajv.compile(createRoutesJsonSchema());

/** Valid by the schema and the model, with no call into src/validate. */
function modelValid(entries: [ModelPattern, unknown][], table: Record<string, unknown>, o: Options): boolean {
  if (!schemaValid(table)) return false;
  const shapes = new Set<string>();
  const namesSeen: string[] = [];
  for (const [p, value] of entries) {
    const key = shapeKey(p, o);
    if (shapes.has(key)) return false;
    shapes.add(key);
    if (new Set(p.segs.flatMap((s) => (s.name ? [s.name] : []))).size !== p.segs.filter((s) => s.name).length) return false;
    if (!valueOk(value, p, namesSeen)) return false;
  }
  return new Set(namesSeen).size === namesSeen.length;
}

const entriesArb = fc
  .uniqueArray(
    fc.tuple(
      patternArb,
      routeValueArb(fc.oneof({ weight: 3, arbitrary: fc.constantFrom('https://a.com', 'https://a.com/x/') }, { weight: 2, arbitrary: fc.constantFrom(...TARGETS) })),
    ),
    { maxLength: 4, selector: ([p]) => p.text },
  )
  .map((entries) => entries.map(([p, v]) => [p, JSON.parse(JSON.stringify(v)) as unknown] as [ModelPattern, unknown]));
const optionsArb = fc.record({ caseSensitive: fc.boolean(), ignoreTrailingSlash: fc.boolean() });

describe('validity, independently of the analysis', () => {
  it('validateRoutes and compile agree with the schema and the model on generated tables', () => {
    let valid = 0;
    let invalid = 0;
    fc.assert(
      fc.property(entriesArb, optionsArb, (entries, options) => {
        if (entries.length === 0) return;
        const table = Object.fromEntries(entries.map(([p, v]) => [p.text, v]));
        const expected = modelValid(entries, table, options);
        const verdict = validateRoutes(table, options);
        expect(verdict.valid, `${JSON.stringify(table)} ${JSON.stringify(options)}: ${JSON.stringify(verdict.errors.map((e) => e.code))}`).toBe(expected);
        let compiled = true;
        try {
          compile(table as unknown, { ...options, backend: 'js' });
        } catch {
          compiled = false;
        }
        expect(compiled, JSON.stringify(table)).toBe(expected);
        if (expected) valid++;
        else invalid++;
      }),
      { numRuns: 2000, seed: 1207 },
    );
    expect(valid).toBeGreaterThan(200);
    expect(invalid).toBeGreaterThan(200);
  });
});
