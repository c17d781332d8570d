/**
 * @alternatefutures/routing-core: route tables for serverless functions and gateways.
 * Every public type and function is exported from here.
 */
export { compile, selectBackend } from './match/router.js';
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

/** A route table: path pattern to target URL (SPEC section 1). */
export type RouteTarget = string;
export type Routes = Record<string, RouteTarget>;
