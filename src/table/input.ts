/**
 * A route table as written (SPEC sections 1 and 10-12): the input `compile`, `validateRoutes`
 * and the adapters take. Types only. Validation is what decides (it also checks what a type
 * cannot: pattern syntax, URL rules, limits, unknown fields with their nearest name); these
 * types let TypeScript check a table literal and complete its fields.
 */

/** Milliseconds, or a string such as `"250ms"`, `"15s"`, `"2m"`, `"1h"`. */
export type DurationInput = number | string;

/** Bytes, or a string such as `"64KB"`, `"5MB"`. */
export type SizeInput = number | string;

/** A header or query condition: equal to a string, present (`true`), absent (`false`), a prefix, or a whole-value RE2 regex. */
export type ValueCondition = string | boolean | { prefix: string } | { regex: string };

/** The `{ set, add, remove }` header rules of `requestHeaders` and `responseHeaders` (SPEC 12). */
export interface HeaderRulesInput {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: readonly string[];
}

/** A route object (SPEC 10): exactly one of `target` and `targets`; every other field optional. */
export interface RouteObject {
  /** The target URL (SPEC 6), with `:name` and `*` placeholders. */
  target?: string;
  /** 1-64 targets, each a URL or `{ url, weight }` (weight 1-1000, default 1). */
  targets?: readonly (string | { url: string; weight?: number })[];
  /** `[A-Za-z0-9_.-]{1,64}`, unique in the table: the name in metrics, logs and the editor. */
  name?: string;
  /** Method tokens in upper case; `GET` implies `HEAD`. Absent: any method. */
  methods?: readonly string[];
  /** A host or hosts (`*.example.com` for one or more labels before it), port ignored. */
  host?: string | readonly string[];
  /** Header name (case-insensitive) to condition. */
  headers?: Record<string, ValueCondition>;
  /** Query parameter name to condition (matched on the decoded first value). */
  query?: Record<string, ValueCondition>;
  /** SPEC 11. */
  loadBalancer?: 'round-robin' | 'least-request' | 'random' | { hash: string };
  healthCheck?: {
    passive?: { consecutiveFailures?: number; baseEjection?: DurationInput; maxEjectedPercent?: number };
    active?: { path: string; interval?: DurationInput; timeout?: DurationInput; healthyThreshold?: number; unhealthyThreshold?: number; expectStatus?: string };
  };
  retry?: { attempts?: number; on?: readonly (string | number)[]; methods?: readonly string[]; perTryTimeout?: DurationInput; bufferLimit?: SizeInput };
  timeout?: DurationInput;
  idleTimeout?: DurationInput;
  /** SPEC 12. */
  auth?:
    | { type: 'apiKey'; /** Default `header`. */ in?: 'header' | 'query'; /** Default `x-api-key`. */ name?: string; keys: readonly string[] }
    | {
        type: 'jwt';
        issuer?: string | readonly string[];
        audience?: string | readonly string[];
        jwksUri?: string;
        publicKey?: Record<string, unknown>;
        algorithms?: readonly string[];
        clockTolerance?: DurationInput;
        forwardClaims?: Record<string, string>;
      }
    | { type: 'forward'; url: string; requestHeaders?: readonly string[]; responseHeaders?: readonly string[] };
  rateLimit?: { requests: number; per: DurationInput; burst?: number; key?: string };
  cache?: boolean | { ttl?: DurationInput; methods?: readonly string[]; maxEntrySize?: SizeInput };
  requestHeaders?: HeaderRulesInput;
  responseHeaders?: HeaderRulesInput;
}

/** A pattern's value: a target URL, a route object, or up to 32 of them (variants tried in order). */
export type RouteValue = string | RouteObject | readonly (string | RouteObject)[];

/** A route table: path pattern (SPEC 2) to its value. */
export type Routes = Record<string, RouteValue>;
