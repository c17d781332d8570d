/**
 * The route table as written (JSON, SPEC 1 and 10-12): what `validateRoutes` and `compile`
 * accept, for authors writing tables in TypeScript. The validated, normalized form is
 * src/table/route.ts. Durations are milliseconds or strings such as "250ms", "15s", "2m",
 * "1h"; sizes are bytes or strings such as "64KB", "5MB" (KB = 1024 bytes).
 */

export type DurationInput = number | `${number}${'ms' | 's' | 'm' | 'h'}`;
export type SizeInput = number | string;

/** A header or query matcher: equal, present (true), absent (false), prefix, whole-value RE2 regex. */
export type MatcherInput = string | boolean | { prefix: string } | { regex: string };

export type AuthInput =
  | { type: 'apiKey'; in?: 'header' | 'query'; name?: string; keys: `sha256:${string}`[] }
  | {
      type: 'jwt';
      issuer?: string | string[];
      audience?: string | string[];
      jwksUri?: string;
      publicKey?: Record<string, unknown>;
      algorithms?: string[];
      clockTolerance?: DurationInput;
      forwardClaims?: Record<string, string>;
    }
  | { type: 'forward'; url: string; requestHeaders?: string[]; responseHeaders?: string[] };

export interface HeaderRulesInput {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

/** One variant of a route (SPEC 10): exactly one of `target` and `targets`. */
export interface RouteObject {
  name?: string;
  target?: string;
  targets?: (string | { url: string; weight?: number })[];
  methods?: string[];
  host?: string | { regex: string } | (string | { regex: string })[];
  headers?: Record<string, MatcherInput>;
  query?: Record<string, MatcherInput>;
  loadBalancer?: 'round-robin' | 'least-request' | 'random' | { hash: string };
  healthCheck?: {
    passive?: { consecutiveFailures?: number; baseEjection?: DurationInput; maxEjectedPercent?: number };
    active?: {
      path: string;
      interval?: DurationInput;
      timeout?: DurationInput;
      healthyThreshold?: number;
      unhealthyThreshold?: number;
      expectStatus?: string | number | (string | number)[];
    };
  };
  retry?: { attempts?: number; on?: (string | number)[]; methods?: string[]; perTryTimeout?: DurationInput; bufferLimit?: SizeInput };
  timeout?: DurationInput;
  idleTimeout?: DurationInput;
  auth?: AuthInput;
  rateLimit?: { requests: number; per: DurationInput; burst?: number; key?: string };
  cache?: boolean | { ttl?: DurationInput; methods?: ('GET' | 'HEAD')[]; maxEntrySize?: SizeInput };
  requestHeaders?: HeaderRulesInput;
  responseHeaders?: HeaderRulesInput;
}

/** A route's value: a target URL, a route object, or the variants of the pattern, tried in order. */
export type RouteValue = string | RouteObject | (string | RouteObject)[];

/** A route table: path pattern to value. */
export type RouteTable = Record<string, RouteValue>;
