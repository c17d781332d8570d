/**
 * The compiled form of a route table (SPEC sections 1, 6, 10-12): what validation produces and
 * every later layer (matching, URL building, the pipeline, upstreams, policies, the editor)
 * reads. It sits below `validate/`, `match/` and `target/` and imports only types, so those
 * folders depend on it and never on each other for their data.
 */
import type { TargetTemplate } from '../target/template.js';

/** One target of a variant: the URL as written, its weight (SPEC 11) and its URL template (SPEC 6). */
export interface CompiledTarget {
  readonly url: string;
  /** 1-1000; 1 for a string target. */
  readonly weight: number;
  readonly template: TargetTemplate;
}

/** A regular expression in a linear-time engine, matched against a whole value (SPEC 10.2). */
export interface LinearRegex {
  /** The source as written in the table. */
  readonly source: string;
  /** True when the regex matches all of `value` (anchored at both ends). Never throws. */
  test(value: string): boolean;
}

/** A header or query matcher (SPEC 10): equal, present, absent, prefix or whole-value regex. */
export type ValueMatcher =
  | { readonly kind: 'equals'; readonly value: string }
  | { readonly kind: 'present' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'regex'; readonly regex: LinearRegex };

export interface FieldCondition {
  /** Header names are lower-case; query names as written. */
  readonly name: string;
  readonly matcher: ValueMatcher;
}

/**
 * A host condition: `exact` is a lower-case host without port; `suffix` is `.example.com` for
 * `*.example.com` (one or more labels before it, never the bare domain).
 */
export type HostMatcher = { readonly exact: string } | { readonly suffix: string } | { readonly regex: LinearRegex };

/** Milliseconds. */
export type Duration = number;
/** Bytes. */
export type Size = number;

export type LoadBalancer =
  | { readonly kind: 'round-robin' }
  | { readonly kind: 'least-request' }
  | { readonly kind: 'random' }
  | { readonly kind: 'hash'; readonly key: 'ip' | `header:${string}` | `cookie:${string}` | `query:${string}` | `param:${string}` };

export interface HealthCheckConfig {
  readonly passive?: { readonly consecutiveFailures: number; readonly baseEjection: Duration; readonly maxEjectedPercent: number };
  readonly active?: {
    readonly path: string;
    readonly interval: Duration;
    readonly timeout: Duration;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
    /** Inclusive status ranges, e.g. [[200, 399]]. */
    readonly expectStatus: readonly (readonly [number, number])[];
  };
}

export interface RetryConfig {
  readonly attempts: number;
  /** `connect-failure`, `reset`, `timeout`, `gateway-error`, or a status number. */
  readonly on: readonly (string | number)[];
  readonly methods: readonly string[];
  readonly perTryTimeout?: Duration;
  readonly bufferLimit: Size;
}

/** SPEC 11, as written (validated and normalized to numbers); absent fields take the proxy's defaults. */
export interface UpstreamConfig {
  readonly loadBalancer?: LoadBalancer;
  readonly healthCheck?: HealthCheckConfig;
  readonly retry?: RetryConfig;
  readonly timeout?: Duration;
  readonly idleTimeout?: Duration;
}

export type AuthConfig =
  | { readonly type: 'apiKey'; readonly in: 'header' | 'query'; readonly name: string; readonly keys: readonly string[] /* lower-case sha256 hex */ }
  | {
      readonly type: 'jwt';
      readonly issuer?: string | readonly string[];
      readonly audience?: string | readonly string[];
      readonly jwksUri?: string;
      readonly publicKey?: Readonly<Record<string, unknown>>;
      readonly algorithms?: readonly string[];
      readonly clockTolerance?: Duration;
      readonly forwardClaims?: Readonly<Record<string, string>>;
    }
  | { readonly type: 'forward'; readonly url: string; readonly requestHeaders: readonly string[]; readonly responseHeaders: readonly string[] };

export interface RateLimitConfig {
  readonly requests: number;
  readonly per: Duration;
  readonly burst: number;
  readonly key: 'ip' | 'route' | `header:${string}` | `jwt:${string}`;
}

export interface CacheConfig {
  readonly ttl?: Duration;
  readonly methods: readonly string[];
  readonly maxEntrySize: Size;
}

export interface HeaderRules {
  readonly set: Readonly<Record<string, string>>;
  readonly add: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

/** SPEC 12, validated and normalized. */
export interface PolicyConfig {
  readonly auth?: AuthConfig;
  readonly rateLimit?: RateLimitConfig;
  readonly cache?: CacheConfig;
  readonly requestHeaders?: HeaderRules;
  readonly responseHeaders?: HeaderRules;
}

/**
 * One variant of a route (SPEC 10): a string value is one variant without conditions; a route
 * object is one variant; an array holds up to 32, tried in array order.
 */
export interface RouteVariant {
  /** 0-based position in the pattern's array (0 for a string or a single object). */
  readonly index: number;
  /** The `name` field, or the pattern (plus `#N`, 1-based, for variant N of an array). */
  readonly name: string;
  /** `targets[0].url`: the variant's first (for one target, only) target as written. */
  readonly target: string;
  readonly targets: readonly CompiledTarget[];
  /** Upper-case method tokens, `HEAD` added where `GET` is present; null: any method. */
  readonly methods: readonly string[] | null;
  readonly host: readonly HostMatcher[] | null;
  readonly headers: readonly FieldCondition[] | null;
  readonly query: readonly FieldCondition[] | null;
  readonly upstream: UpstreamConfig;
  readonly policies: PolicyConfig;
}

/** One route (one pattern) of a compiled table. */
export interface CompiledRoute {
  /** Position among the table's routes as written. */
  readonly index: number;
  /** The pattern as written in the table. */
  readonly pattern: string;
  /** The canonical pattern (`/caf%C3%A9`, `/users/:id/*`, `/f/:id([0-9a-f]{24})`). */
  readonly canonical: string;
  /** The first variant's first target as written (the only target of a string route). */
  readonly target: string;
  /** Parameter names in path order; anonymous `*` segments are "0", "1", ... */
  readonly paramNames: readonly string[];
  /** True when the pattern ends in a catch-all `/*`. */
  readonly catchAll: boolean;
  /**
   * What the matchers see (src/match/core.ts): a static segment's canonical text, `":"` for a
   * plain parameter, `":" + REGEX` for a constrained one (`":[0-9]+"`), `"*"` for a catch-all.
   */
  readonly shape: readonly string[];
  /** The first variant's first target's template. */
  readonly template: TargetTemplate;
  /** At least one; a string value is one variant without conditions. */
  readonly variants: readonly RouteVariant[];
}
