/**
 * The JSON Schema (draft 2020-12) of a route value's extended form (SPEC 10-12): route
 * objects, arrays of variants, conditions, upstream and policy fields, each with a description
 * for editors. Used by src/schema/routes.ts as `$defs`; it states every rule of
 * src/validate/ that a schema can state. The rules it cannot state (relations between fields,
 * regex syntax) are listed in src/schema/routes.ts.
 */
import type { JsonSchema } from './routes.js';

/** RFC 9110 `token` characters. */
const TCHAR = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]";
/** The same, upper case only (method names must be written upper case). */
const UPPER_TCHAR = "[!#$%&'*+\\-.^_`|~0-9A-Z]";
/** A duration: whole milliseconds, or a number with a unit. */
const DURATION_TEXT = '^\\d{1,12}(?:\\.\\d{1,6})?(?:ms|s|m|h)$';
const SIZE_TEXT = '^\\d{1,15}(?:\\.\\d{1,6})? ?(?:[Bb]|[KkMmGg][Bb])$';
const HTTP_URL = '^[Hh][Tt][Tt][Pp][Ss]?://[^#]+$';
const LABEL = '[A-Za-z0-9_][A-Za-z0-9_-]{0,62}';
const HOST_TEXT = `^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$|^\\[[0-9A-Fa-f:.]{2,45}\\]$`;
const HEADER_NAME: JsonSchema = { type: 'string', minLength: 1, maxLength: 256, pattern: `^${TCHAR}+$`, description: 'A header name (case-insensitive).' };
const FORBIDDEN_HEADER =
  '^(?:[Cc][Oo][Nn][Nn][Ee][Cc][Tt][Ii][Oo][Nn]|[Kk][Ee][Ee][Pp]-[Aa][Ll][Ii][Vv][Ee]|[Pp][Rr][Oo][Xx][Yy]-[Aa][Uu][Tt][Hh][Ee][Nn][Tt][Ii][Cc][Aa][Tt][Ee]|[Pp][Rr][Oo][Xx][Yy]-[Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Aa][Tt][Ii][Oo][Nn]|[Tt][Ee]|[Tt][Rr][Aa][Ii][Ll][Ee][Rr]|[Tt][Rr][Aa][Nn][Ss][Ff][Ee][Rr]-[Ee][Nn][Cc][Oo][Dd][Ii][Nn][Gg]|[Uu][Pp][Gg][Rr][Aa][Dd][Ee]|[Hh][Oo][Ss][Tt]|[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Ll][Ee][Nn][Gg][Tt][Hh])$';
const SETTABLE_HEADER: JsonSchema = {
  ...HEADER_NAME,
  not: { pattern: FORBIDDEN_HEADER },
  description: "A header name; hop-by-hop headers, Host and Content-Length are the proxy's and cannot be set, added or removed.",
};

/** `required: [key]`, with the key declared beside it (Ajv's strict mode asks for that). */
function requires(key: string): JsonSchema {
  return { required: [key], properties: { [key]: true } };
}

function duration(description: string, min = 1): JsonSchema {
  return {
    description: `${description} Milliseconds (a whole number) or a string such as "250ms", "15s", "2m", "1h".`,
    anyOf: [
      { type: 'integer', minimum: min, maximum: 2_147_483_647 },
      { type: 'string', pattern: DURATION_TEXT },
    ],
  };
}

function size(description: string, min = 0): JsonSchema {
  return {
    description: `${description} Bytes (a whole number) or a string such as "64KB" or "5MB" (KB = 1024 bytes).`,
    anyOf: [
      { type: 'integer', minimum: min, maximum: Number.MAX_SAFE_INTEGER },
      { type: 'string', pattern: SIZE_TEXT },
    ],
  };
}

const REGEX: JsonSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  description: 'A regular expression in RE2 syntax (linear time: no back-references, no look-around), matched against the whole value.',
};

const MATCHER: JsonSchema = {
  description: 'A string (equal), true (present), false (absent), { "prefix": s } or { "regex": s } (whole value, RE2 syntax).',
  anyOf: [
    { type: 'string' },
    { type: 'boolean' },
    {
      type: 'object',
      additionalProperties: false,
      required: ['prefix'],
      properties: { prefix: { type: 'string', minLength: 1, description: 'The value starts with this text.' } },
    },
    { type: 'object', additionalProperties: false, required: ['regex'], properties: { regex: REGEX } },
  ],
};

const METHODS = (description: string, maxItems = 32): JsonSchema => ({
  description,
  type: 'array',
  minItems: 1,
  maxItems,
  items: { type: 'string', maxLength: 256, pattern: `^${UPPER_TCHAR}+$`, description: 'A method name, upper case.' },
});

const HOST_ENTRY: JsonSchema = {
  anyOf: [
    {
      type: 'string',
      minLength: 1,
      maxLength: 253,
      pattern: HOST_TEXT,
      description: 'A host name without port (any case); "*.example.com" matches one or more labels before example.com, never example.com itself.',
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['regex'],
      properties: { regex: { ...REGEX, description: 'RE2 regular expression matched against the whole lower-case host without port.' } },
    },
  ],
};

const TARGET_OBJECT: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { $ref: '#/$defs/target' },
    weight: { type: 'integer', minimum: 1, maximum: 1000, default: 1, description: 'Share of requests: weight / sum of the weights.' },
  },
};

const HASH_KEY = `^(?:ip|header:${TCHAR}{1,256}|cookie:${TCHAR}{1,256}|(?:query|param):[\\s\\S]{1,256})$`;

const HEADER_RULES = (which: string): JsonSchema => ({
  description: `Changes to the ${which} headers: "set" replaces, "add" appends, "remove" deletes. Hop-by-hop headers, Host and Content-Length cannot be named.`,
  type: 'object',
  additionalProperties: false,
  properties: {
    set: {
      type: 'object',
      maxProperties: 64,
      propertyNames: SETTABLE_HEADER,
      additionalProperties: { type: 'string', pattern: '^[^\\r\\n\\x00]{0,8192}$' },
      description: 'Header name -> value (replaces).',
    },
    add: {
      type: 'object',
      maxProperties: 64,
      propertyNames: SETTABLE_HEADER,
      additionalProperties: { type: 'string', pattern: '^[^\\r\\n\\x00]{0,8192}$' },
      description: 'Header name -> value (appended).',
    },
    remove: { type: 'array', maxItems: 64, items: SETTABLE_HEADER, description: 'Header names to delete.' },
  },
});

const JWT_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const STRING_OR_LIST: JsonSchema = {
  anyOf: [
    { type: 'string', minLength: 1, maxLength: 2048 },
    { type: 'array', minItems: 1, maxItems: 32, items: { type: 'string', minLength: 1, maxLength: 2048 } },
  ],
};

const AUTH: JsonSchema = {
  description: 'Who may call the route (SPEC 12): an API key, a JWT, or an external auth service.',
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['apiKey', 'jwt', 'forward'] } },
  allOf: [
    {
      if: { properties: { type: { const: 'apiKey' } }, required: ['type'] },
      then: {
        additionalProperties: false,
        required: ['keys'],
        // In a header, the name is a header name; in a query, any text.
        if: { properties: { in: { const: 'query' } }, required: ['in'] },
        else: { properties: { name: HEADER_NAME } },
        properties: {
          type: { const: 'apiKey' },
          in: { enum: ['header', 'query'], default: 'header', description: 'Where the key is sent.' },
          name: { type: 'string', minLength: 1, maxLength: 256, default: 'x-api-key', description: 'The header (a header name) or query parameter holding the key.' },
          keys: {
            type: 'array',
            minItems: 1,
            maxItems: 1000,
            items: { type: 'string', pattern: '^sha256:[0-9A-Fa-f]{64}$', description: 'SHA-256 of a key: printf %s KEY | sha256sum.' },
            description: 'Accepted keys, stored only as "sha256:<64 hex>".',
          },
        },
      },
    },
    {
      if: { properties: { type: { const: 'jwt' } }, required: ['type'] },
      then: {
        additionalProperties: false,
        oneOf: [requires('jwksUri'), requires('publicKey')],
        properties: {
          type: { const: 'jwt' },
          issuer: { ...STRING_OR_LIST, description: 'Accepted "iss" value(s).' },
          audience: { ...STRING_OR_LIST, description: 'Accepted "aud" value(s).' },
          jwksUri: { type: 'string', maxLength: 2048, pattern: HTTP_URL, description: "The issuer's JWKS URL (cached; refetched on an unknown kid at most once per 30 s)." },
          publicKey: {
            type: 'object',
            required: ['kty'],
            maxProperties: 32,
            properties: { kty: { enum: ['RSA', 'EC', 'OKP'] } },
            additionalProperties: {
              anyOf: [
                { type: 'string', maxLength: 16_384 },
                { type: 'array', maxItems: 16, items: { type: 'string', maxLength: 16_384 } },
              ],
            },
            allOf: [
              { if: { properties: { kty: { const: 'RSA' } } }, then: { required: ['n', 'e'], properties: { n: { type: 'string' }, e: { type: 'string' } } } },
              {
                if: { properties: { kty: { const: 'EC' } } },
                then: { required: ['crv', 'x', 'y'], properties: { crv: { type: 'string' }, x: { type: 'string' }, y: { type: 'string' } } },
              },
              { if: { properties: { kty: { const: 'OKP' } } }, then: { required: ['crv', 'x'], properties: { crv: { type: 'string' }, x: { type: 'string' } } } },
            ],
            not: { anyOf: ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].map(requires) },
            description: 'A public JWK (RSA, EC or OKP; never private or symmetric key material).',
          },
          algorithms: {
            type: 'array',
            minItems: 1,
            maxItems: JWT_ALGS.length,
            items: { enum: JWT_ALGS },
            description: 'Accepted algorithms: asymmetric only ("none" and HS* are refused).',
          },
          clockTolerance: duration('Allowed clock skew for exp/nbf.', 0),
          forwardClaims: {
            type: 'object',
            maxProperties: 64,
            additionalProperties: SETTABLE_HEADER,
            description: 'Claim -> request header forwarded upstream (client-sent copies are removed).',
          },
        },
      },
    },
    {
      if: { properties: { type: { const: 'forward' } }, required: ['type'] },
      then: {
        additionalProperties: false,
        required: ['url'],
        properties: {
          type: { const: 'forward' },
          url: { type: 'string', maxLength: 2048, pattern: HTTP_URL, description: 'The auth service; 2xx continues, any other answer goes back to the client.' },
          requestHeaders: { type: 'array', maxItems: 64, items: HEADER_NAME, description: 'Request headers sent to the auth service.' },
          responseHeaders: { type: 'array', maxItems: 64, items: HEADER_NAME, description: 'Auth service response headers added to the upstream request.' },
        },
      },
    },
  ],
};

/** `$defs` for the extended form; `target` (a target URL string) is defined by routes.ts. */
export function routeObjectDefs(): Record<string, JsonSchema> {
  return {
    routeObject: {
      title: 'Route object',
      description: 'One variant of a route (SPEC 10): conditions, one or several targets, upstream and policy settings. Exactly one of "target" and "targets".',
      type: 'object',
      additionalProperties: false,
      oneOf: [requires('target'), requires('targets')],
      // A rate limit keyed on a JWT claim needs JWT auth on the same variant.
      if: { properties: { rateLimit: { type: 'object', properties: { key: { type: 'string', pattern: '^jwt:' } }, required: ['key'] } }, required: ['rateLimit'] },
      then: { properties: { auth: { type: 'object', properties: { type: { const: 'jwt' } }, required: ['type'] } }, required: ['auth'] },
      properties: {
        name: {
          type: 'string',
          pattern: '^[A-Za-z0-9_.-]{1,64}$',
          description: 'The route\'s name in metrics, logs and the editor; unique in the table. Default: the pattern, plus "#N" for variant N of an array.',
        },
        target: { $ref: '#/$defs/target' },
        targets: {
          type: 'array',
          minItems: 1,
          maxItems: 64,
          items: { anyOf: [{ $ref: '#/$defs/target' }, TARGET_OBJECT] },
          description: 'Several upstreams: URLs or { "url", "weight" }.',
        },
        methods: METHODS('Accepted methods (upper case); GET implies HEAD. Absent: any method.'),
        host: {
          description: 'Accepted Host header value(s), ASCII case-insensitive, port ignored.',
          anyOf: [HOST_ENTRY, { type: 'array', minItems: 1, maxItems: 64, items: HOST_ENTRY }],
        },
        headers: {
          type: 'object',
          minProperties: 1,
          maxProperties: 64,
          propertyNames: HEADER_NAME,
          additionalProperties: MATCHER,
          description: 'Header name (case-insensitive) -> matcher; repeated header lines are joined with ", ".',
        },
        query: {
          type: 'object',
          minProperties: 1,
          maxProperties: 64,
          propertyNames: { minLength: 1, maxLength: 256 },
          additionalProperties: MATCHER,
          description: 'Query parameter -> matcher, on the decoded value of its first occurrence.',
        },
        loadBalancer: {
          description: 'How a target is picked (default round-robin, smooth weighted); { "hash": key } is consistent hashing on a key.',
          anyOf: [
            { enum: ['round-robin', 'least-request', 'random'] },
            {
              type: 'object',
              additionalProperties: false,
              required: ['hash'],
              properties: {
                hash: { type: 'string', pattern: HASH_KEY, description: '"ip", "header:<name>", "cookie:<name>", "query:<name>" or "param:<name>" (a parameter of the pattern).' },
              },
            },
          ],
        },
        healthCheck: {
          type: 'object',
          additionalProperties: false,
          description: 'Passive (outlier detection, on with 2+ targets) and active (opt-in probes) health checking.',
          properties: {
            passive: {
              type: 'object',
              additionalProperties: false,
              description: 'Outlier detection: a target failing in a row is ejected for a while (on whenever a route has 2+ targets).',
              properties: {
                consecutiveFailures: { type: 'integer', minimum: 1, maximum: 1000, default: 5, description: 'Failures in a row that eject a target.' },
                baseEjection: duration('Ejection time, times the number of ejections so far (at most 300 s). Default 30 s.'),
                maxEjectedPercent: { type: 'integer', minimum: 0, maximum: 100, default: 50, description: 'At most this share of targets is out at once.' },
              },
            },
            active: {
              type: 'object',
              additionalProperties: false,
              required: ['path'],
              description: 'Opt-in probes of each target (jittered, obeying the outbound policy); the timeout must not exceed the interval.',
              properties: {
                path: { type: 'string', pattern: '^/[\\x21-\\x22\\x24-\\x7e]{0,2047}$', description: 'The probed path.' },
                interval: duration('Time between probes (default 10 s).'),
                timeout: duration('Probe timeout (default 2 s).'),
                healthyThreshold: { type: 'integer', minimum: 1, maximum: 100, default: 2, description: 'Successes that mark a target healthy.' },
                unhealthyThreshold: { type: 'integer', minimum: 1, maximum: 100, default: 3, description: 'Failures that mark a target unhealthy.' },
                expectStatus: {
                  description: 'Healthy statuses: "200-399", "200,204", 200, or a list of them (100-599).',
                  default: '200-399',
                  anyOf: [
                    { type: 'integer', minimum: 100, maximum: 599 },
                    { type: 'string', pattern: '^\\s*[1-5]\\d\\d\\s*(?:-\\s*[1-5]\\d\\d\\s*)?(?:,\\s*[1-5]\\d\\d\\s*(?:-\\s*[1-5]\\d\\d\\s*)?)*$', maxLength: 256 },
                    {
                      type: 'array',
                      minItems: 1,
                      maxItems: 32,
                      items: {
                        anyOf: [
                          { type: 'integer', minimum: 100, maximum: 599 },
                          { type: 'string', pattern: '^\\s*[1-5]\\d\\d\\s*(?:-\\s*[1-5]\\d\\d\\s*)?(?:,\\s*[1-5]\\d\\d\\s*(?:-\\s*[1-5]\\d\\d\\s*)?)*$', maxLength: 256 },
                        ],
                      },
                    },
                  ],
                },
              },
            },
          },
        },
        retry: {
          type: 'object',
          additionalProperties: false,
          description: 'Retries (SPEC 11). Given without "on": connect-failure, reset and timeout; without "attempts": 1.',
          properties: {
            attempts: { type: 'integer', minimum: 0, maximum: 5, default: 1, description: 'Retries after the first try.' },
            on: {
              type: 'array',
              minItems: 1,
              maxItems: 32,
              items: { anyOf: [{ enum: ['connect-failure', 'reset', 'timeout', 'gateway-error'] }, { type: 'integer', minimum: 100, maximum: 599 }] },
              description: 'Triggers: "connect-failure", "reset", "timeout", "gateway-error" (502/503/504) and status numbers.',
            },
            methods: METHODS('Methods retried on triggers other than connect-failure (default GET, HEAD, OPTIONS, PUT, DELETE, TRACE).'),
            perTryTimeout: duration('Deadline of each attempt.'),
            bufferLimit: size('A request body is replayable while it fits (default 64 KB).'),
          },
        },
        timeout: duration("Deadline for the upstream's response headers, retries included (default 30 s)."),
        idleTimeout: duration('Longest gap inside a response body (default 60 s).'),
        auth: AUTH,
        rateLimit: {
          type: 'object',
          additionalProperties: false,
          required: ['requests', 'per'],
          description: 'A token bucket per route and key: 429 with Retry-After over the limit.',
          properties: {
            requests: { type: 'integer', minimum: 1, maximum: 1_000_000_000, description: 'Requests allowed per "per".' },
            per: duration('The refill period.'),
            burst: { type: 'integer', minimum: 1, maximum: 1_000_000_000, description: 'Bucket size (default: requests).' },
            key: {
              type: 'string',
              pattern: `^(?:ip|route|header:${TCHAR}{1,256}|jwt:[\\s\\S]{1,256})$`,
              default: 'ip',
              description: '"ip", "route", "header:<name>" or "jwt:<claim>" (needs JWT auth).',
            },
          },
        },
        cache: {
          description: 'An RFC 9111 shared cache in front of the upstream: true (defaults), false (none) or settings.',
          anyOf: [
            { type: 'boolean' },
            {
              type: 'object',
              additionalProperties: false,
              properties: {
                ttl: duration('Freshness for responses without freshness information.'),
                methods: { type: 'array', minItems: 1, maxItems: 2, items: { enum: ['GET', 'HEAD'] }, description: 'Cached methods (default GET, HEAD).' },
                maxEntrySize: size('Largest cached response (default 1MB).', 1),
              },
            },
          ],
        },
        requestHeaders: HEADER_RULES('request'),
        responseHeaders: HEADER_RULES('response'),
      },
    },
    variants: {
      title: 'Variants',
      description: 'Variants of one pattern, tried in array order: target URLs and route objects. A variant after one without conditions is unreachable.',
      type: 'array',
      minItems: 1,
      maxItems: 32,
      items: { anyOf: [{ $ref: '#/$defs/target' }, { $ref: '#/$defs/routeObject' }] },
    },
  };
}
