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
