/** Stable issue codes. Messages may improve; codes never change meaning. */
export type IssueCode =
  // The platform backend's existing checks (messages keep their wording exactly).
  | 'routes-not-object'
  | 'routes-empty'
  | 'pattern-no-leading-slash'
  | 'target-not-string'
  | 'target-invalid-url'
  | 'target-bad-protocol'
  // New checks.
  | 'param-name-invalid'
  | 'param-name-duplicate'
  | 'wildcard-misplaced'
  | 'pattern-invalid-character'
  | 'pattern-invalid-escape'
  | 'pattern-dot-segment'
  | 'conflict'
  | 'target-fragment'
  | 'target-unknown-placeholder'
  | 'too-many-routes'
  | 'pattern-too-long'
  | 'pattern-too-many-segments'
  | 'target-too-long'
  // Parameter constraints and regex matchers (SPEC 10.2).
  | 'regex-invalid'
  | 'regex-too-long'
  // Route objects and variants (SPEC 10).
  | 'variants-empty'
  | 'too-many-variants'
  | 'variant-invalid'
  | 'variant-unreachable'
  | 'route-unknown-field'
  | 'route-target-missing'
  | 'route-target-ambiguous'
  | 'targets-invalid'
  | 'weight-invalid'
  | 'name-invalid'
  | 'name-duplicate'
  | 'methods-invalid'
  | 'host-invalid'
  | 'headers-invalid'
  | 'query-invalid'
  | 'duration-invalid'
  | 'size-invalid'
  // Upstreams (SPEC 11).
  | 'load-balancer-invalid'
  | 'health-check-invalid'
  | 'retry-invalid'
  // Policies (SPEC 12).
  | 'auth-invalid'
  | 'api-key-not-hashed'
  | 'jwt-algorithm-refused'
  | 'rate-limit-invalid'
  | 'cache-invalid'
  | 'header-rules-invalid'
  | 'header-forbidden'
  // Warnings.
  | 'params-unused'
  | 'remainder-dropped'
  | 'target-credentials';

export interface RouteIssue {
  code: IssueCode;
  severity: 'error' | 'warning';
  /** What is wrong, naming the route's own values. */
  message: string;
  /** What to do about it. */
  hint?: string;
  /** The offending pattern, as written in the table. */
  pattern?: string;
  /** The offending target, when it is a string. */
  target?: string;
  /** For `conflict`: the earlier pattern of the same shape. */
  conflictsWith?: string;
  /**
   * For a problem inside a route object: its 0-based position in the pattern's array of
   * variants (0 for a single object), as `RouteVariant.index`. Messages count from 1 (`#2`).
   */
  variant?: number;
  /** For a problem inside a route object: the field's path, e.g. `retry.attempts`, `targets[1].weight`. */
  field?: string;
}

export function error(code: IssueCode, message: string, fields: Partial<RouteIssue> = {}): RouteIssue {
  return { code, severity: 'error', message, ...fields };
}

export function warning(code: IssueCode, message: string, fields: Partial<RouteIssue> = {}): RouteIssue {
  return { code, severity: 'warning', message, ...fields };
}

/** Thrown by `compile` and `assertValidRoutes`: carries every issue, for one error upstream. */
export class RoutesValidationError extends Error {
  readonly code = 'ERR_INVALID_ROUTES';
  readonly issues: readonly RouteIssue[];
  readonly warnings: readonly RouteIssue[];
  constructor(issues: readonly RouteIssue[], warnings: readonly RouteIssue[] = []) {
    const first = issues[0]?.message ?? 'Invalid routes';
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    super(first + more);
    this.name = 'RoutesValidationError';
    this.issues = issues;
    this.warnings = warnings;
  }
}
