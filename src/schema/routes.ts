/**
 * The JSON Schema (draft 2020-12) of a route table (SPEC sections 1, 2, 6, 7, 10-12), for the
 * backend's GraphQL docs, editors checking `af.config.json` and the dashboard's route editor.
 *
 * It states every rule of the validator that a schema can state, and states each exactly:
 * a table the validator accepts always passes the schema, and a table that passes the
 * schema fails the validator only for a rule no schema can express:
 *
 * - `conflict`: two patterns of one shape (a relation between keys);
 * - `target-unknown-placeholder`: a target placeholder the pattern does not capture
 *   (a relation between a key and its value);
 * - `target-invalid-url` past the scheme: the WHATWG URL parser's host rules (IDNA, IP
 *   literals) are not a regular language worth writing down;
 * - `regex-invalid`, and `regex-too-long` past 256 characters: RE2 syntax, a regex's expanded
 *   size (src/regex/size.ts), and where a `:name(REGEX)` constraint ends (balanced
 *   parentheses); from a constraint's `(` on, a pattern's text is the validator's alone
 *   (including its segment count and duplicate names after it);
 * - relations inside a route value: `variant-unreachable` (array order), `name-duplicate`
 *   (across the table), header names equal but for case, `loadBalancer` hashing on a parameter
 *   the pattern does not capture, `expectStatus` ranges written high-low, an active health
 *   check's timeout above its interval, `rateLimit.key` "jwt:..." without JWT auth;
 * - the value of a duration or size written as a string ("0ms", "1.5ms", "999999999h"): its
 *   form is checked here, its range and whole-millisecond rule by the validator; a URL's host
 *   in `auth.jwksUri` and `auth.url`.
 *
 * Lengths: JSON Schema's `maxLength` counts code points, the validator counts UTF-16 code
 * units (JavaScript's `length`). They differ only for characters outside the Basic
 * Multilingual Plane (emoji), where the schema is the more lenient, never the stricter.
 *
 * The regular expressions are ECMA-262 and work with and without the `u` flag (Ajv uses it).
 * Pure data, no Node built-ins: safe in browsers and edge runtimes.
 */
import { DEFAULT_LIMITS, type Limits } from '../options.js';
import { routeObjectDefs } from './route-object.js';

/** A JSON Schema document (draft 2020-12), as plain JSON data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

const HEX = '[0-9A-Fa-f]';
/** A UTF-8 continuation byte, percent-encoded. */
const CONT = `%[89ABab]${HEX}`;
/** One percent-encoded UTF-8 character: strict (no overlongs, no surrogates, at most U+10FFFF), never %00, %2F or %5C. */
const ESCAPED_CHAR = [
  `%(?:0[1-9A-Fa-f]|1${HEX}|2[0-9A-Ea-e]|[34]${HEX}|5[0-9ABD-Fabd-f]|[67]${HEX})`, // ASCII
  `%(?:[Cc][2-9A-Fa-f]|[Dd]${HEX})${CONT}`, // 2 bytes
  `(?:%[Ee]0%[AaBb]${HEX}|%[Ee][1-9A-Ca-cEeFf]${CONT}|%[Ee][Dd]%[89]${HEX})${CONT}`, // 3 bytes
  `(?:%[Ff]0%[9AaBb]${HEX}|%[Ff][1-3]${CONT}|%[Ff]4%8${HEX})${CONT}${CONT}`, // 4 bytes
].join('|');
/** Printable ASCII that may stand raw in a static segment: not `% \ / * ? #` and not a space. */
const RAW = '[\\x21\\x22\\x24\\x26-\\x29\\x2B-\\x2E\\x30-\\x3E\\x40-\\x5B\\x5D-\\x7E]';
/** The same, without `:` (a segment starting with `:` is a parameter). */
const RAW_FIRST = '[\\x21\\x22\\x24\\x26-\\x29\\x2B-\\x2E\\x30-\\x39\\x3B-\\x3E\\x40-\\x5B\\x5D-\\x7E]';
/** Raw non-ASCII text (percent-encoded by canonicalization), never a lone surrogate. Both alternatives keep it right with and without the `u` flag. */
const NON_ASCII = '[^\\x00-\\x7F\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]';
const CHAR = `(?:${RAW}|${NON_ASCII}|${ESCAPED_CHAR})`;
const FIRST_CHAR = `(?:${RAW_FIRST}|${NON_ASCII}|${ESCAPED_CHAR})`;
/** `.` and `..`, also written with `%2E` (requests are normalized, so such a segment never matches). */
const DOT_SEGMENT = '(?:\\.|%2[Ee]){1,2}(?:/|$)';
const PARAM = ':(?!__proto__(?:/|$))[A-Za-z_][A-Za-z0-9_]*';
/**
 * A constrained parameter `:name(REGEX)` (SPEC 10.2). Balanced parentheses are not a regular
 * language, so from its `(` on, the rest of the pattern is accepted as is: the validator
 * alone checks the constraint's end, its RE2 syntax and what follows it.
 */
const CONSTRAINED = ':(?!__proto__\\()[A-Za-z_][A-Za-z0-9_]*\\([\\s\\S]*$';

/** The grammar of a pattern (SPEC section 2 and the canonicalization rules of section 4). */
export const PATTERN_SYNTAX = `^(?:/(?:\\*|${CONSTRAINED}|${PARAM}|(?!${DOT_SEGMENT})(?:${FIRST_CHAR}${CHAR}*)?)(?=/|$))+$`;
/** A parameter name used twice in one pattern (before its first constraint, whose text may hold anything). */
const NOT_CONSTRAINT = '(?:(?!/:[A-Za-z_][A-Za-z0-9_]*\\()[\\s\\S])';
export const DUPLICATE_PARAMETER = `^${NOT_CONSTRAINT}*?(?:^|/):([A-Za-z_][A-Za-z0-9_]*)(?=/|$)${NOT_CONSTRAINT}*/:\\1(?=/|$|\\()`;
/** An http or https scheme, as the WHATWG URL parser reads it (leading spaces and controls dropped, tabs and newlines ignored, any case). */
export const HTTP_SCHEME = '^[\\x00-\\x20]*[Hh][\\t\\n\\r]*[Tt][\\t\\n\\r]*[Tt][\\t\\n\\r]*[Pp][\\t\\n\\r]*(?:[Ss][\\t\\n\\r]*)?:';

/** At most `max` segments: runs of `/` count once, as in the validator, and the last segment always counts. */
function segmentLimit(max: number): JsonSchema {
  if (max < 1) return { not: {}, description: 'No pattern fits limits.maxSegments < 1.' };
  // A constraint may hold "/" (`[^/]+`): patterns with one are counted by the validator alone.
  return {
    pattern: `^/*(?:[^/]+/+){0,${max - 1}}[^/]*$|/:[A-Za-z_][A-Za-z0-9_]*\\(`,
    description: `At most ${max} segments (a pattern with a constraint is counted by the validator).`,
  };
}

/**
 * The route table's schema for the given limits (those the validator uses; default
 * `DEFAULT_LIMITS`). `maxPathLength` concerns requests, not tables, so it is not used.
 */
export function createRoutesJsonSchema(limits: Partial<Limits> = {}): JsonSchema {
  const l: Limits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(limits)) if (typeof v === 'number') (l as unknown as Record<string, number>)[k] = v;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'urn:alternatefutures:routing-core:routes',
    title: 'Route table',
    description:
      'Maps a path pattern to the absolute http(s) URL its requests are forwarded to. ' +
      'Patterns start with "/" and are split on "/" into segments: static text, ":name" (one segment), "*" (one segment, or the rest of the path when last). ' +
      'null means no routes. Two patterns of one shape (a conflict) and target placeholders the pattern does not capture are reported by validateRoutes only.',
    type: ['object', 'null'],
    minProperties: 1,
    maxProperties: l.maxRoutes,
    propertyNames: {
      description: 'A path pattern: "/" then segments of static text (percent-encoded as needed), ":name" or "*".',
      type: 'string',
      maxLength: l.maxPatternLength,
      allOf: [
        { pattern: '^/', description: 'Path patterns must start with "/".' },
        {
          pattern: PATTERN_SYNTAX,
          description:
            'Segments are static text, ":name" (name [A-Za-z_][A-Za-z0-9_]*, not "__proto__") or a whole "*". ' +
            'No space, control character, "\\", "?" or "#"; "%" starts a valid UTF-8 escape other than %00, %2F and %5C; no "." or ".." segment.',
        },
        { not: { pattern: DUPLICATE_PARAMETER }, description: 'Each parameter name appears once in a pattern.' },
        segmentLimit(l.maxSegments),
      ],
    },
    additionalProperties: {
      description:
        'A target URL (a string), a route object (conditions, several targets, upstream and policy settings), ' +
        'or an array of 1 to 32 of them: the variants of the pattern, tried in array order.',
      // if/then per JSON type rather than anyOf: an editor then reports the problems of the
      // form actually written, not of all three.
      not: { anyOf: [{ type: 'number' }, { type: 'boolean' }, { type: 'null' }] },
      allOf: [
        { if: { type: 'string' }, then: { $ref: '#/$defs/target' } },
        { if: { type: 'object' }, then: { $ref: '#/$defs/routeObject' } },
        { if: { type: 'array' }, then: { $ref: '#/$defs/variants' } },
      ],
    },
    $defs: {
      target: {
        description: 'The target: an absolute http:// or https:// URL with a host, without a fragment. Its path may use ":name" and "*" placeholders.',
        type: 'string',
        maxLength: l.maxTargetLength,
        allOf: [
          { pattern: HTTP_SCHEME, description: 'Must use http:// or https:// protocol.' },
          { pattern: '^[^#]*$', description: 'No fragment ("#...").' },
        ],
        examples: ['https://users-service.com', 'https://u.svc/v2/:id/*'],
      },
      ...routeObjectDefs(),
    },
    examples: [
      { '/api/users/*': 'https://users-service.com', '/api/products/*': 'https://products-service.com', '/*': 'https://default.com' },
      {
        '/api/orders/*': [
          { name: 'orders-read', methods: ['GET'], targets: ['https://orders-a.svc', { url: 'https://orders-b.svc', weight: 3 }], retry: { attempts: 2 }, cache: true },
          'https://orders.svc',
        ],
        '/v1/files/:id([0-9a-f]{24})': { target: 'https://files.svc/:id' },
      },
    ],
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The route table's JSON Schema under the default limits (also published as `@alternatefutures/routing-core/schema.json`). */
export const routesJsonSchema: JsonSchema = /* @__PURE__ */ deepFreeze(createRoutesJsonSchema());
