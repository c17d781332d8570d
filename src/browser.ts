/**
 * The portable entry, `@alternatefutures/routing-core/browser`: everything that runs without
 * Node.js (browsers, edge and worker runtimes, SGX enclaves, sandboxes): validation, the
 * JSON Schema, the TypeScript matcher, path normalization, target URLs, and the fetch-standard
 * proxy and runtime router (src/runtime/edge.ts). The main entry (src/index.ts) re-exports all
 * of it and adds what needs Node. It imports no
 * Node built-in, directly or through the modules it uses; test/browser-*.test.ts bundles
 * it for the browser platform and runs it in Chromium. Where no native addon can load,
 * `compile` uses the TypeScript backend (`router.backend === 'js'`).
 */
export { compile } from './match/router.js';
export type { CompiledRoute, RouteMatch, Router } from './match/types.js';
export { explain, type Candidate, type Explanation } from './match/explain.js';
export { normalizePath } from './normalize/path.js';
export type { NormalizeOptions, NormalizeResult, NormalizedPath, PathError, PathErrorCode } from './normalize/path.js';
export { buildForwardUrl } from './target/url.js';
export type { TargetTemplate, TargetPart } from './target/template.js';
export { validateRoutes, assertValidRoutes, type ValidationResult } from './validate/validate.js';
export { RoutesValidationError, type IssueCode, type RouteIssue } from './validate/issues.js';
export { DEFAULT_LIMITS } from './options.js';
export type { BackendChoice, CompileOptions, Limits, MatchOptions } from './options.js';
export { routesJsonSchema, createRoutesJsonSchema, type JsonSchema } from './schema/routes.js';

/** A route table: path pattern to target URL (SPEC section 1); the same types as the main entry's. */
export type RouteTarget = string;
export type Routes = Record<string, RouteTarget>;

// The fetch-standard proxy and runtime router (requests go out through the platform's fetch).
export * from './runtime/edge.js';
