/**
 * A route's value (SPEC 10): a string, a route object, or a non-empty array (at most 32) of
 * strings and route objects, the variants of one pattern, tried in array order. Produces the
 * `RouteVariant`s of src/table/route.ts, or reports every problem of every variant.
 */
import type { RegexBudget } from '../regex/linear.js';
import type { CompiledTarget, RouteVariant } from '../table/route.js';
import { parseHeaders, parseHost, parseMethods, parseQuery } from './conditions.js';
import { checkKnown, fail, isPlainObject, show, type VariantContext } from './context.js';
import { error, type RouteIssue } from './issues.js';
import type { ParsedPattern } from './pattern.js';
import { parsePolicies, POLICY_FIELDS } from './policies.js';
import { parseTarget } from './target.js';
import { parseUpstream, UPSTREAM_FIELDS } from './upstream.js';

export const MAX_VARIANTS = 32;
export const MAX_TARGETS = 64;
const CONDITION_FIELDS = ['methods', 'host', 'headers', 'query'] as const;
export const ROUTE_FIELDS: readonly string[] = ['name', 'target', 'targets', ...CONDITION_FIELDS, ...UPSTREAM_FIELDS, ...POLICY_FIELDS];
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export interface RouteValueResult {
  variants: RouteVariant[];
  errors: RouteIssue[];
  warnings: RouteIssue[];
}

interface Shared {
  readonly pattern: string;
  /** Null when the pattern itself is invalid: targets are then checked for their URL only. */
  readonly parsed: ParsedPattern | null;
  readonly maxTargetLength: number;
  readonly warnings: RouteIssue[];
  readonly warned: Set<string>;
}

/**
 * Every variant of `value`, or the problems. `value` is not a string (strings keep the legacy
 * path in validate.ts): an object or an array; anything else is `target-not-string`, whose
 * legacy message SPEC 7 keeps.
 */
export function parseRouteValue(pattern: string, value: unknown, parsed: ParsedPattern | null, maxTargetLength: number, regexBudget?: RegexBudget): RouteValueResult {
  const errors: RouteIssue[] = [];
  const warnings: RouteIssue[] = [];
  const shared: Shared = { pattern, parsed, maxTargetLength, warnings, warned: new Set() };
  const variants: RouteVariant[] = [];
  if (isPlainObject(value)) {
    const v = parseVariant({ pattern, variant: 0, inArray: false, issues: errors, regexBudget }, value, shared);
    if (v) variants.push(v);
    return { variants, errors, warnings };
  }
  if (!Array.isArray(value)) {
    errors.push(
      error('target-not-string', `Invalid target URL for path "${pattern}". Target must be a string`, {
        pattern,
        hint: `Write the target as a URL string such as "https://api.example.com", a route object { "target": ... } or an array of them; got ${show(value)}`,
      }),
    );
    return { variants, errors, warnings };
  }
  if (value.length === 0 || value.length > MAX_VARIANTS) {
    errors.push(
      error(value.length === 0 ? 'variants-empty' : 'too-many-variants', `Route "${pattern}" has ${value.length} variants; an array holds 1 to ${MAX_VARIANTS}`, {
        pattern,
        hint: value.length === 0 ? 'Give the route a target, or remove it' : 'Merge variants, or split the pattern into more specific ones',
      }),
    );
    return { variants, errors, warnings };
  }
  let unconditioned = -1;
  value.forEach((item, i) => {
    const ctx: VariantContext = { pattern, variant: i, inArray: true, issues: errors, regexBudget };
    if (unconditioned >= 0) {
      errors.push(
        error('variant-unreachable', `Route "${pattern}" #${i + 1} can never be reached: #${unconditioned + 1} has no conditions and accepts every request first`, {
          pattern,
          variant: i,
          hint: `Move the variant without conditions (#${unconditioned + 1}) last, or give it methods, host, headers or query`,
        }),
      );
    }
    let v: RouteVariant | undefined;
    if (typeof item === 'string') v = variantOf(ctx, defaultName(ctx), [stringTarget(ctx, item, 'target', shared)], {});
    else if (isPlainObject(item)) v = parseVariant(ctx, item, shared);
    else {
      fail(
        ctx,
        'variant-invalid',
        `[${i}]`,
        `must be a target URL (a string) or a route object, not ${show(item)}`,
        'Write "https://api.example.com" or { "target": "https://api.example.com", "methods": ["GET"] }',
      );
    }
    if (unconditioned < 0 && (typeof item === 'string' || (isPlainObject(item) && CONDITION_FIELDS.every((f) => item[f] === undefined)))) unconditioned = i;
    if (v) variants.push(v);
  });
  return { variants, errors, warnings };
}

function defaultName(ctx: VariantContext): string {
  return ctx.inArray ? `${ctx.pattern}#${ctx.variant + 1}` : ctx.pattern;
}

/** One target as written, checked as SPEC 6-7 say; undefined when it is invalid (reported). */
function stringTarget(ctx: VariantContext, url: string, field: string, shared: Shared, weight = 1): CompiledTarget | undefined {
  if (shared.parsed === null) return undefined; // the pattern's own issues are reported; placeholders cannot be checked
  const t = parseTarget(url, shared.pattern, shared.parsed, shared.maxTargetLength);
  if (Array.isArray(t)) {
    for (const issue of t) ctx.issues.push({ ...issue, variant: ctx.variant, field });
    return undefined;
  }
  for (const w of t.warnings) {
    // Once per distinct target: 32 variants naming one URL get one warning, not 32.
    const key = `${w.code}\n${w.target ?? url}`;
    if (shared.warned.has(key)) continue;
    shared.warned.add(key);
    shared.warnings.push({ ...w, variant: ctx.variant, field });
  }
  return { url, weight, template: t.template };
}

function parseTargets(ctx: VariantContext, obj: Record<string, unknown>, shared: Shared): (CompiledTarget | undefined)[] | undefined {
  const hasOne = obj.target !== undefined;
  const hasMany = obj.targets !== undefined;
  if (hasOne === hasMany) {
    ctx.issues.push(
      error(
        hasOne ? 'route-target-ambiguous' : 'route-target-missing',
        `Route "${ctx.pattern}"${ctx.inArray ? ` #${ctx.variant + 1}` : ''} ${hasOne ? 'has both "target" and "targets"' : 'has no "target" or "targets"'}`,
        {
          pattern: ctx.pattern,
          variant: ctx.variant,
          field: hasOne ? 'targets' : 'target',
          hint: 'Write "target": "https://..." for one upstream, or "targets": [...] for several',
        },
      ),
    );
    return undefined;
  }
  if (hasOne) {
    if (typeof obj.target !== 'string') {
      fail(ctx, 'target-not-string', 'target', `must be a URL string, not ${show(obj.target)}`, 'Write "target": "https://api.example.com"; for several use "targets"');
      return undefined;
    }
    return [stringTarget(ctx, obj.target, 'target', shared)];
  }
  const list = obj.targets;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_TARGETS) {
    fail(
      ctx,
      'targets-invalid',
      'targets',
      `must be a list of 1 to ${MAX_TARGETS} targets, not ${Array.isArray(list) ? `${list.length}` : show(list)}`,
      'Write "targets": ["https://a.svc", { "url": "https://b.svc", "weight": 3 }]',
    );
    return undefined;
  }
  return list.map((item, i) => {
    const field = `targets[${i}]`;
    if (typeof item === 'string') return stringTarget(ctx, item, field, shared);
    if (!isPlainObject(item)) {
      fail(ctx, 'targets-invalid', field, `must be a URL string or { "url", "weight" }, not ${show(item)}`, 'Write "https://a.svc" or { "url": "https://a.svc", "weight": 3 }');
      return undefined;
    }
    if (!checkKnown(ctx, item, ['url', 'weight'], field)) return undefined;
    let weight = 1;
    if (item.weight !== undefined) {
      if (typeof item.weight === 'number' && Number.isInteger(item.weight) && item.weight >= 1 && item.weight <= 1000) weight = item.weight;
      else {
        fail(
          ctx,
          'weight-invalid',
          `${field}.weight`,
          `must be a whole number from 1 to 1000, not ${show(item.weight)}`,
          'Write a weight such as 3 (default 1): a target gets weight/sum of the requests',
        );
        return undefined;
      }
    }
    if (typeof item.url !== 'string') {
      fail(ctx, 'targets-invalid', `${field}.url`, `must be a URL string, not ${show(item.url)}`, 'Write { "url": "https://a.svc", "weight": 3 }');
      return undefined;
    }
    return stringTarget(ctx, item.url, `${field}.url`, shared, weight);
  });
}

function parseVariant(ctx: VariantContext, obj: Record<string, unknown>, shared: Shared): RouteVariant | undefined {
  const before = ctx.issues.length;
  checkKnown(ctx, obj, ROUTE_FIELDS, '');
  let name = defaultName(ctx);
  if (obj.name !== undefined) {
    if (typeof obj.name === 'string' && NAME.test(obj.name)) name = obj.name;
    else
      fail(
        ctx,
        'name-invalid',
        'name',
        `must be 1 to 64 of A-Z a-z 0-9 _ . -, not ${show(obj.name)}`,
        'Write a name such as "orders-read": it names the route in metrics and logs',
      );
  }
  const targets = parseTargets(ctx, obj, shared);
  const methods = obj.methods === undefined ? null : parseMethods(ctx, obj.methods);
  const host = obj.host === undefined ? null : parseHost(ctx, obj.host);
  const headers = obj.headers === undefined ? null : parseHeaders(ctx, obj.headers);
  const query = obj.query === undefined ? null : parseQuery(ctx, obj.query);
  const upstream = parseUpstream(ctx, obj, shared.parsed);
  const policies = parsePolicies(ctx, obj);
  if (ctx.issues.length > before || !targets || methods === undefined || host === undefined || headers === undefined || query === undefined) return undefined;
  return variantOf(ctx, name, targets, { methods, host, headers, query, upstream, policies });
}

function variantOf(
  ctx: VariantContext,
  name: string,
  targets: (CompiledTarget | undefined)[],
  rest: Partial<Pick<RouteVariant, 'methods' | 'host' | 'headers' | 'query' | 'upstream' | 'policies'>>,
): RouteVariant | undefined {
  if (targets.some((t) => t === undefined) || targets.length === 0) return undefined;
  const ts = targets as CompiledTarget[];
  return {
    index: ctx.variant,
    name,
    target: ts[0]!.url,
    targets: ts,
    methods: rest.methods ?? null,
    host: rest.host ?? null,
    headers: rest.headers ?? null,
    query: rest.query ?? null,
    upstream: rest.upstream ?? {},
    policies: rest.policies ?? {},
  };
}
