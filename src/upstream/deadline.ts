/**
 * The errors that end an upstream attempt on time (SPEC 11): the route's total `timeout` to
 * response headers (retries included) and `retry.perTryTimeout`. Both carry codes the
 * pipeline maps to 504 `upstream-timeout` (src/pipeline/errors.ts) and the retry policy reads
 * as `timeout`.
 */
export class DeadlineError extends Error {
  readonly code = 'ERR_UPSTREAM_TIMEOUT';
  constructor(ms: number) {
    super(`No upstream response headers within the route's timeout (${ms} ms, retries included)`);
    this.name = 'TimeoutError';
  }
}

export class AttemptTimeoutError extends Error {
  readonly code = 'ERR_ATTEMPT_TIMEOUT';
  constructor(ms: number) {
    super(`The attempt got no response headers within perTryTimeout (${ms} ms)`);
    this.name = 'TimeoutError';
  }
}
