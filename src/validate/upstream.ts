/**
 * SPEC 11 fields of a variant: `loadBalancer`, `healthCheck`, `retry`, `timeout`,
 * `idleTimeout`, validated and normalized (durations and sizes to numbers, defaults of a
 * given object filled in). An absent field stays absent: the proxy applies its defaults.
 *
 * Decisions where SPEC is silent (docs/route-objects.md):
 * - `retry` given without `on` retries `connect-failure`, `reset` and `timeout` (nginx's
 *   `proxy_next_upstream error timeout`); without `attempts`, once.
 * - `healthCheck.active.timeout` must not exceed its `interval`.
 * - `expectStatus`: a status, a range `"200-399"`, or a comma-separated list of them, 100-599.
 */
import type { HealthCheckConfig, LoadBalancer, RetryConfig, UpstreamConfig } from '../table/route.js';
import { checkKnown, duration, fail, headerName, HTTP_TOKEN, isPlainObject, list, MAX_NAME_LENGTH, show, size, wholeNumber, type VariantContext } from './context.js';
import type { ParsedPattern } from './pattern.js';

export const UPSTREAM_FIELDS = ['loadBalancer', 'healthCheck', 'retry', 'timeout', 'idleTimeout'] as const;

const BALANCERS = ['round-robin', 'least-request', 'random'] as const;
export const RETRY_ON = ['connect-failure', 'reset', 'timeout', 'gateway-error'] as const;
export const DEFAULT_RETRY_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'] as const;

export function parseUpstream(ctx: VariantContext, obj: Record<string, unknown>, parsed: ParsedPattern | null): UpstreamConfig {
  const out: { -readonly [K in keyof UpstreamConfig]: UpstreamConfig[K] } = {};
  if (obj.loadBalancer !== undefined) out.loadBalancer = loadBalancer(ctx, obj.loadBalancer, parsed);
  if (obj.healthCheck !== undefined) out.healthCheck = healthCheck(ctx, obj.healthCheck);
  if (obj.retry !== undefined) out.retry = retry(ctx, obj.retry);
  if (obj.timeout !== undefined) out.timeout = duration(ctx, 'timeout', obj.timeout);
  if (obj.idleTimeout !== undefined) out.idleTimeout = duration(ctx, 'idleTimeout', obj.idleTimeout);
  for (const k of Object.keys(out) as (keyof UpstreamConfig)[]) if (out[k] === undefined) delete out[k];
  return out;
}

function loadBalancer(ctx: VariantContext, value: unknown, parsed: ParsedPattern | null): LoadBalancer | undefined {
  const forms = '"round-robin", "least-request", "random" or { "hash": "ip" | "header:<name>" | "cookie:<name>" | "query:<name>" | "param:<name>" }';
  if (typeof value === 'string' && (BALANCERS as readonly string[]).includes(value)) return { kind: value as (typeof BALANCERS)[number] };
  if (!isPlainObject(value)) {
    fail(ctx, 'load-balancer-invalid', 'loadBalancer', `must be ${forms}, not ${show(value)}`, `Write ${forms}`);
    return undefined;
  }
  if (!checkKnown(ctx, value, ['hash'], 'loadBalancer')) return undefined;
  const key = value.hash;
  if (key === 'ip') return { kind: 'hash', key: 'ip' };
  const m = typeof key === 'string' ? /^(header|cookie|query|param):(.{1,256})$/s.exec(key) : null;
  if (!m) {
    fail(
      ctx,
      'load-balancer-invalid',
      'loadBalancer.hash',
      `must be "ip", "header:<name>", "cookie:<name>", "query:<name>" or "param:<name>", not ${show(key)}`,
      'Write { "hash": "header:x-user-id" }',
    );
    return undefined;
  }
  const [, kind, name] = m as unknown as [string, 'header' | 'cookie' | 'query' | 'param', string];
  if (kind === 'header') {
    const h = headerName(ctx, 'load-balancer-invalid', 'loadBalancer.hash', name);
    return h === undefined ? undefined : { kind: 'hash', key: `header:${h}` };
  }
  if (kind === 'cookie' && !HTTP_TOKEN.test(name)) {
    fail(ctx, 'load-balancer-invalid', 'loadBalancer.hash', `names an invalid cookie ${show(name)}`, "Write a cookie name of letters, digits and !#$%&'*+-.^_`|~");
    return undefined;
  }
  if (kind === 'param' && parsed !== null && !parsed.namedParams.includes(name)) {
    fail(
      ctx,
      'load-balancer-invalid',
      'loadBalancer.hash',
      `hashes on ":${name}", which the pattern does not capture`,
      `Capture ":${name}" in the pattern, or hash on another key`,
    );
    return undefined;
  }
  return { kind: 'hash', key: `${kind}:${name}` };
}

/** `"200-399"`, `"200,204"`, `404`, or a list of those: inclusive ranges within 100-599. */
function expectStatus(ctx: VariantContext, value: unknown): [number, number][] | undefined {
  const field = 'healthCheck.active.expectStatus';
  const items = Array.isArray(value) ? value : [value];
  const out: [number, number][] = [];
  for (const item of items.slice(0, 33)) {
    const parts = typeof item === 'number' ? [String(item)] : typeof item === 'string' && item.length <= 256 ? item.split(',') : null;
    for (const part of parts ?? ['\0']) {
      const m = /^\s*([1-5]\d\d)\s*(?:-\s*([1-5]\d\d)\s*)?$/.exec(part);
      const lo = m ? Number(m[1]) : NaN;
      const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
      if (!m || hi < lo) {
        fail(ctx, 'health-check-invalid', field, `must be statuses or ranges such as "200-399" (100-599), not ${show(item)}`, 'Write "200-399", "200,204" or 200');
        return undefined;
      }
      out.push([lo, hi]);
    }
  }
  if (items.length === 0 || items.length > 32) {
    fail(ctx, 'health-check-invalid', field, `must hold 1 to 32 statuses or ranges`, 'Write "200-399"');
    return undefined;
  }
  return out;
}

function healthCheck(ctx: VariantContext, value: unknown): HealthCheckConfig | undefined {
  if (!isPlainObject(value)) {
    fail(ctx, 'health-check-invalid', 'healthCheck', `must be an object with "passive" and/or "active", not ${show(value)}`, 'Write { "passive": { "consecutiveFailures": 5 } }');
    return undefined;
  }
  if (!checkKnown(ctx, value, ['passive', 'active'], 'healthCheck')) return undefined;
  const out: { passive?: HealthCheckConfig['passive']; active?: HealthCheckConfig['active'] } = {};
  let ok = true;
  if (value.passive !== undefined) {
    const p = value.passive;
    if (!isPlainObject(p)) {
      fail(
        ctx,
        'health-check-invalid',
        'healthCheck.passive',
        `must be an object, not ${show(p)}`,
        'Write { "consecutiveFailures": 5, "baseEjection": "30s", "maxEjectedPercent": 50 }',
      );
      ok = false;
    } else if (checkKnown(ctx, p, ['consecutiveFailures', 'baseEjection', 'maxEjectedPercent'], 'healthCheck.passive')) {
      const consecutiveFailures =
        p.consecutiveFailures === undefined ? 5 : wholeNumber(ctx, 'health-check-invalid', 'healthCheck.passive.consecutiveFailures', p.consecutiveFailures, 1, 1000);
      const baseEjection = p.baseEjection === undefined ? 30_000 : duration(ctx, 'healthCheck.passive.baseEjection', p.baseEjection);
      const maxEjectedPercent =
        p.maxEjectedPercent === undefined ? 50 : wholeNumber(ctx, 'health-check-invalid', 'healthCheck.passive.maxEjectedPercent', p.maxEjectedPercent, 0, 100);
      if (consecutiveFailures !== undefined && baseEjection !== undefined && maxEjectedPercent !== undefined)
        out.passive = { consecutiveFailures, baseEjection, maxEjectedPercent };
      else ok = false;
    } else ok = false;
  }
  if (value.active !== undefined) {
    const a = value.active;
    if (!isPlainObject(a)) {
      fail(ctx, 'health-check-invalid', 'healthCheck.active', `must be an object, not ${show(a)}`, 'Write { "path": "/healthz", "interval": "10s" }');
      ok = false;
    } else if (checkKnown(ctx, a, ['path', 'interval', 'timeout', 'healthyThreshold', 'unhealthyThreshold', 'expectStatus'], 'healthCheck.active')) {
      let path: string | undefined;
      if (typeof a.path === 'string' && /^\/[\x21-\x7e]{0,2047}$/.test(a.path) && !a.path.includes('#')) path = a.path;
      else
        fail(
          ctx,
          'health-check-invalid',
          'healthCheck.active.path',
          `must be a request path starting with "/" (printable ASCII, no fragment), not ${show(a.path)}`,
          'Write "/healthz"; percent-encode other characters',
        );
      const interval = a.interval === undefined ? 10_000 : duration(ctx, 'healthCheck.active.interval', a.interval);
      const timeout = a.timeout === undefined ? 2_000 : duration(ctx, 'healthCheck.active.timeout', a.timeout);
      const healthyThreshold = a.healthyThreshold === undefined ? 2 : wholeNumber(ctx, 'health-check-invalid', 'healthCheck.active.healthyThreshold', a.healthyThreshold, 1, 100);
      const unhealthyThreshold =
        a.unhealthyThreshold === undefined ? 3 : wholeNumber(ctx, 'health-check-invalid', 'healthCheck.active.unhealthyThreshold', a.unhealthyThreshold, 1, 100);
      const status = a.expectStatus === undefined ? ([[200, 399]] as [number, number][]) : expectStatus(ctx, a.expectStatus);
      if (interval !== undefined && timeout !== undefined && timeout > interval) {
        fail(
          ctx,
          'health-check-invalid',
          'healthCheck.active.timeout',
          `(${timeout} ms) is longer than the interval (${interval} ms)`,
          'Make the probe timeout at most the interval, so probes never overlap',
        );
        ok = false;
      } else if (
        path !== undefined &&
        interval !== undefined &&
        timeout !== undefined &&
        healthyThreshold !== undefined &&
        unhealthyThreshold !== undefined &&
        status !== undefined
      ) {
        out.active = { path, interval, timeout, healthyThreshold, unhealthyThreshold, expectStatus: status };
      } else ok = false;
    } else ok = false;
  }
  return ok ? out : undefined;
}

function retry(ctx: VariantContext, value: unknown): RetryConfig | undefined {
  if (!isPlainObject(value)) {
    fail(ctx, 'retry-invalid', 'retry', `must be an object, not ${show(value)}`, 'Write { "attempts": 2, "on": ["connect-failure", "gateway-error"] }');
    return undefined;
  }
  if (!checkKnown(ctx, value, ['attempts', 'on', 'methods', 'perTryTimeout', 'bufferLimit'], 'retry')) return undefined;
  let ok = true;
  const attempts = value.attempts === undefined ? 1 : wholeNumber(ctx, 'retry-invalid', 'retry.attempts', value.attempts, 0, 5);
  let on: (string | number)[] | undefined = ['connect-failure', 'reset', 'timeout'];
  if (value.on !== undefined) {
    const items = list(ctx, 'retry-invalid', 'retry.on', value.on, 1, 32, 'retry triggers');
    on = items && [];
    items?.forEach((t, i) => {
      if ((typeof t === 'string' && (RETRY_ON as readonly string[]).includes(t)) || (typeof t === 'number' && Number.isInteger(t) && t >= 100 && t <= 599)) {
        if (!on!.includes(t)) on!.push(t);
      } else {
        ok = false;
        fail(
          ctx,
          'retry-invalid',
          `retry.on[${i}]`,
          `must be one of ${RETRY_ON.map((r) => `"${r}"`).join(', ')} or a status number (100-599), not ${show(t)}`,
          'Write ["connect-failure", "gateway-error", 429]',
        );
      }
    });
  }
  let methods: string[] | undefined = [...DEFAULT_RETRY_METHODS];
  if (value.methods !== undefined) {
    const items = list(ctx, 'retry-invalid', 'retry.methods', value.methods, 1, 32, 'method names');
    methods = items && [];
    items?.forEach((m, i) => {
      if (typeof m === 'string' && m.length <= MAX_NAME_LENGTH && HTTP_TOKEN.test(m) && m === m.toUpperCase()) {
        if (!methods!.includes(m)) methods!.push(m);
      } else {
        ok = false;
        fail(ctx, 'retry-invalid', `retry.methods[${i}]`, `must be an upper-case HTTP method name, not ${show(m)}`, 'Write ["GET", "PUT"]');
      }
    });
  }
  const perTryTimeout = value.perTryTimeout === undefined ? undefined : duration(ctx, 'retry.perTryTimeout', value.perTryTimeout);
  const bufferLimit = value.bufferLimit === undefined ? 64 * 1024 : size(ctx, 'retry.bufferLimit', value.bufferLimit);
  if (!ok || attempts === undefined || on === undefined || methods === undefined || bufferLimit === undefined) return undefined;
  if (value.perTryTimeout !== undefined && perTryTimeout === undefined) return undefined;
  return perTryTimeout === undefined ? { attempts, on, methods, bufferLimit } : { attempts, on, methods, perTryTimeout, bufferLimit };
}
