/**
 * One-line summaries for the route list and the tester: a variant's conditions and policies in
 * a few words, and why a candidate of `explain` did not serve a request.
 */
import type { Candidate, FailedCondition } from '../browser.js';
import { display } from './fields.js';
import type { VariantDraft } from './model.js';

function list(v: unknown): string {
  return Array.isArray(v) ? v.map(String).join(', ') : String(v);
}

/** The targets of a variant draft, as written (URL and weight). */
export function targetsOf(v: VariantDraft): string[] {
  if (Array.isArray(v.targets)) {
    return v.targets.map((t) =>
      typeof t === 'object' && t !== null
        ? `${String((t as { url?: unknown }).url)}${(t as { weight?: unknown }).weight !== undefined ? ` ×${String((t as { weight?: unknown }).weight)}` : ''}`
        : String(t),
    );
  }
  return v.target === undefined ? [] : [display(v.target)];
}

/** Conditions in a few words: `GET · host api.x · header x-beta`. Empty: any request. */
export function conditionsOf(v: VariantDraft): string[] {
  const out: string[] = [];
  if (v.methods !== undefined) out.push(list(v.methods));
  if (v.host !== undefined) out.push(`host ${list(v.host)}`);
  if (typeof v.headers === 'object' && v.headers !== null) for (const k of Object.keys(v.headers)) out.push(`header ${k}`);
  if (typeof v.query === 'object' && v.query !== null) for (const k of Object.keys(v.query)) out.push(`query ${k}`);
  return out;
}

const POLICY_FIELDS = ['auth', 'rateLimit', 'cache', 'retry', 'timeout', 'idleTimeout', 'loadBalancer', 'healthCheck', 'requestHeaders', 'responseHeaders'] as const;

/** Policies in a few words: `auth jwt · rateLimit 100/1m · cache`. */
export function policiesOf(v: VariantDraft): string[] {
  const out: string[] = [];
  for (const f of POLICY_FIELDS) {
    const value = v[f];
    if (value === undefined) continue;
    if (f === 'auth') out.push(`auth ${display((value as { type?: unknown }).type ?? '?')}`);
    else if (f === 'rateLimit') out.push(`rate ${display((value as { requests?: unknown }).requests ?? '?')}/${display((value as { per?: unknown }).per ?? '?')}`);
    else if (f === 'timeout' || f === 'idleTimeout') out.push(`${f} ${display(value)}`);
    else if (f === 'loadBalancer') out.push(typeof value === 'string' ? value : 'hash');
    else out.push(f);
  }
  return out;
}

/** A failed condition as a person reads it. */
export function describeFailure(f: FailedCondition, variant: Candidate['variants'][number]['variant']): string {
  if (f === 'methods') return `method not in ${variant.methods?.join(', ') ?? '(any)'}`;
  if (f === 'host') return 'host does not match';
  if (f === 'no-request') return 'has conditions and no request was given';
  const [kind, name] = [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 1)];
  return `${kind} "${name}" does not match`;
}
