/** Plain-text rendering shared by the commands. */
import type { Candidate, Explanation } from '../match/explain.js';
import type { CompiledRoute, RouteVariant, Router } from '../match/types.js';
import type { PolicyConfig } from '../table/route.js';
import type { RouteIssue } from '../validate/issues.js';
import { routesInPrecedenceOrder } from '../match/precedence.js';

/** An issue as JSON (every issue of the core carries its own hint). */
export function issueJson(issue: RouteIssue): RouteIssue {
  return { ...issue };
}

export function formatIssue(issue: RouteIssue): string {
  const lines = [`  ${issue.severity} [${issue.code}]`];
  if (issue.pattern !== undefined) lines.push(`    pattern: ${issue.pattern}`);
  if (issue.target !== undefined) lines.push(`    target:  ${issue.target}`);
  if (issue.conflictsWith !== undefined) lines.push(`    conflicts with: ${issue.conflictsWith}`);
  lines.push(`    problem: ${issue.message}`);
  if (issue.hint !== undefined) lines.push(`    fix:     ${issue.hint}`);
  return lines.join('\n');
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function per(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** A compact summary of a variant's SPEC 12 policies: `auth=jwt rateLimit=100/1m(ip) cache`, or '' when it has none. */
export function policySummary(p: PolicyConfig): string {
  const parts: string[] = [];
  if (p.auth) parts.push(`auth=${p.auth.type}`);
  if (p.rateLimit)
    parts.push(`rateLimit=${p.rateLimit.requests}/${per(p.rateLimit.per)}${p.rateLimit.burst !== p.rateLimit.requests ? ` burst ${p.rateLimit.burst}` : ''}(${p.rateLimit.key})`);
  if (p.cache) parts.push(p.cache.ttl !== undefined ? `cache(ttl ${per(p.cache.ttl)})` : 'cache');
  if (p.requestHeaders) parts.push('requestHeaders');
  if (p.responseHeaders) parts.push('responseHeaders');
  return parts.join(' ');
}

/** A variant in one line: its conditions in brackets, then its target(s). */
export function describeVariant(v: RouteVariant): string {
  const conditions: string[] = [];
  if (v.methods !== null) conditions.push(v.methods.filter((m) => m !== 'HEAD' || !v.methods!.includes('GET')).join(','));
  if (v.host !== null) conditions.push('host ' + v.host.map((h) => ('exact' in h ? h.exact : 'suffix' in h ? '*' + h.suffix : `~${h.regex.source}`)).join('|'));
  for (const h of v.headers ?? []) conditions.push('header ' + h.name);
  for (const q of v.query ?? []) conditions.push('query ' + q.name);
  const targets = v.targets.length > 1 ? `${v.target} (+${v.targets.length - 1} more)` : v.target;
  const policies = policySummary(v.policies);
  return (conditions.length > 0 ? `[${conditions.join('; ')}] ` : '') + targets + (policies !== '' ? ` {${policies}}` : '');
}

/** The table in precedence order, one route a line: `  1. /api/users/*  ->  https://...`; variants separated by ` | `. */
export function formatTable(routes: readonly CompiledRoute[], indent = '  '): string {
  const ordered = routesInPrecedenceOrder(routes);
  const width = Math.min(48, Math.max(0, ...ordered.map((r) => r.pattern.length)));
  const digits = String(ordered.length).length;
  return ordered.map((r, i) => `${indent}${String(i + 1).padStart(digits)}. ${r.pattern.padEnd(width)}  ->  ${r.variants.map(describeVariant).join('  |  ')}`).join('\n');
}

export function formatWarnings(router: Router): string {
  return router.warnings.map(formatIssue).join('\n');
}

const KIND_NAMES = { static: 'static', constrained: 'constrained parameter', param: 'parameter', catchAll: 'catch-all' } as const;

function describeKinds(c: Candidate): string {
  return c.kinds.map((k) => KIND_NAMES[k]).join(', ') || 'empty';
}

/** Why `loser` is behind `winner` for this path (both matched it on their own). */
export function whyBehind(winner: Candidate, loser: Candidate, segments: readonly string[]): string {
  const rank = { static: 0, constrained: 1, param: 2, catchAll: 3 } as const;
  const n = Math.min(winner.kinds.length, loser.kinds.length);
  for (let i = 0; i < n; i++) {
    const a = winner.kinds[i]!;
    const b = loser.kinds[i]!;
    if (a !== b && rank[a] < rank[b]) {
      const seg = segments[i] ?? '';
      return `at segment ${i + 1} "${seg}", ${KIND_NAMES[a]} beats ${KIND_NAMES[b]}`;
    }
  }
  if (!winner.route.catchAll && loser.route.catchAll && loser.kinds.length > winner.kinds.length) {
    return 'the path ends here: a route that ends with it beats a catch-all that would match nothing';
  }
  return 'it comes later in precedence order';
}

function variantLabel(v: RouteVariant): string {
  return `#${v.index + 1} ${v.name}`;
}

/** Each candidate: its segment kinds, why it wins or lost, and for a route with conditions each variant's verdict. */
function formatCandidates(x: Explanation, winner: Candidate | undefined, segments: readonly string[]): string[] {
  const lines: string[] = [];
  const width = Math.min(40, Math.max(...x.candidates.map((c) => c.route.pattern.length)));
  const winnerAt = winner === undefined ? x.candidates.length : x.candidates.indexOf(winner);
  x.candidates.forEach((c, i) => {
    const accepting = c.variants.some((v) => v.accepted);
    const mark = c === winner ? 'wins' : i < winnerAt || !accepting ? 'passed over: no variant accepts the request' : winner ? `behind: ${whyBehind(winner, c, segments)}` : '';
    lines.push(`    ${i + 1}. ${c.route.pattern.padEnd(width)}  [${describeKinds(c)}]  ${mark}`);
    const conditional = c.variants.length > 1 || c.variants.some((v) => v.failed.length > 0);
    if (!conditional) return;
    for (const v of c.variants) {
      const verdict = v.accepted ? 'accepts' : `fails ${v.failed.join(', ')}`;
      lines.push(`         variant ${variantLabel(v.variant)}: ${verdict}`);
    }
  });
  return lines;
}

function formatParams(params: Record<string, string>): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return '(none)';
  return entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
}

/** `display` is the path as the user typed it (a full URL, say); `x.input` the path explained. */
export function formatExplanation(x: Explanation, display = x.input): string {
  const lines: string[] = [display];
  if (!x.normalized.ok) {
    lines.push(`  rejected: ${x.normalized.status} (${x.normalized.code}) ${x.normalized.message}`);
    lines.push('  A gateway answers this request itself; no route is tried.');
    return lines.join('\n');
  }
  const { path, query } = x.normalized;
  const asSent = x.input.split('#')[0]!;
  const normalizedFull = query ? `${path}?${query}` : path;
  if (normalizedFull !== asSent) lines.push(`  normalized: ${normalizedFull}`);
  const segments = path.slice(1).split('/');
  if (!x.winner) {
    if (x.allow.length > 0) {
      lines.push(`  no variant accepts this method: a gateway answers 405 with Allow: ${x.allow.join(', ')} (the function's own code runs in the runtime)`);
    } else {
      lines.push("  no route matches: the function's own code would run (a standalone gateway answers 404)");
    }
    if (x.candidates.length > 0) {
      lines.push(`  candidates, in precedence order:`);
      lines.push(...formatCandidates(x, undefined, segments));
    }
    return lines.join('\n');
  }
  const w = x.winner;
  lines.push(`  route:      ${w.pattern}  ->  ${w.target}`);
  lines.push(`  params:     ${formatParams(w.params)}`);
  if (w.remainder !== undefined) lines.push(`  remainder:  ${JSON.stringify(w.remainder)}`);
  lines.push(`  forwards:   ${x.url}`);
  const policies = policySummary(w.variant.policies);
  if (policies !== '') lines.push(`  policies:   ${policies}`);
  const winner = x.candidates.find((c) => c.route.pattern === w.pattern);
  if (w.route.variants.length > 1 || w.variant.name !== w.route.pattern) lines.push(`  variant:    ${variantLabel(w.variant)}`);
  lines.push(`  candidates, in precedence order:`);
  lines.push(...formatCandidates(x, winner, segments));
  return lines.join('\n');
}

/** An explanation as plain JSON. */
export function explanationJson(x: Explanation, display = x.input): Record<string, unknown> {
  const base: Record<string, unknown> = { input: display };
  if (!x.normalized.ok) {
    base.rejected = { status: x.normalized.status, code: x.normalized.code, message: x.normalized.message };
    base.match = null;
    base.url = null;
    base.candidates = [];
    return base;
  }
  base.path = x.normalized.path;
  base.query = x.normalized.query;
  base.match = x.winner
    ? {
        pattern: x.winner.pattern,
        target: x.winner.target,
        params: x.winner.params,
        ...(policySummary(x.winner.variant.policies) !== '' ? { policies: policySummary(x.winner.variant.policies) } : {}),
        ...(x.winner.remainder !== undefined ? { remainder: x.winner.remainder } : {}),
      }
    : null;
  if (x.winner) (base.match as Record<string, unknown>).variant = { index: x.winner.variant.index, name: x.winner.variant.name };
  base.url = x.url;
  if (x.allow.length > 0) base.allow = x.allow;
  base.candidates = x.candidates.map((c) => ({
    pattern: c.route.pattern,
    target: c.route.target,
    segments: c.kinds,
    params: c.params,
    ...(c.remainder !== undefined ? { remainder: c.remainder } : {}),
    variants: c.variants.map((v) => ({ index: v.variant.index, name: v.variant.name, accepted: v.accepted, failed: v.failed })),
  }));
  return base;
}
