/** Refusals of the policy stages as JSON answers, in the proxy's error shape (SPEC 8, 12). */
import { ERROR_CONTENT_TYPE, errorBody, ERROR_MESSAGES, type ProxyErrorCode } from '../pipeline/errors.js';
import type { HeaderRecord } from '../pipeline/headers.js';
import type { PolicyAnswer } from './types.js';

type PolicyErrorCode = Extract<ProxyErrorCode, 'unauthorized' | 'rate-limited' | 'auth-unavailable'>;

/** A JSON refusal with the route's pattern; `message` replaces the fixed text when it adds a safe detail. */
export function policyError(status: number, code: PolicyErrorCode, pattern: string, headers: Record<string, string> = {}, message: string = ERROR_MESSAGES[code]): PolicyAnswer {
  const out: HeaderRecord = Object.create(null) as HeaderRecord;
  for (const k in headers) out[k] = headers[k]!;
  out['content-type'] = ERROR_CONTENT_TYPE;
  out['cache-control'] = 'no-store';
  return { status, headers: out, body: JSON.stringify(errorBody(code, message, pattern)), code };
}
