/**
 * Parses a route's target URL (SPEC sections 6-7) into a template that builds forwarded URLs
 * without re-parsing (src/target/url.ts), or the issues that make it invalid.
 */
import { parseSimpleHttpUrl, type TargetUrlParts } from '../target/http-url.js';
import type { TargetPart, TargetTemplate } from '../target/template.js';
import { error, warning, type RouteIssue } from './issues.js';
import type { ParsedPattern } from './pattern.js';

const INVALID_URL_HINT = 'Write an absolute URL with a host, such as "https://api.example.com/v1"';

export interface ParsedTarget {
  template: TargetTemplate;
  warnings: RouteIssue[];
}

/**
 * Templates of placeholder-free targets by target text, for one table: routes that name the
 * same upstream (the common case) share one template object instead of each parsing and
 * keeping its own. A template depends on the target text alone when it has no placeholders.
 */
export type TemplateCache = Map<string, TargetTemplate>;

export function parseTarget(target: string, pattern: string, parsed: ParsedPattern, maxTargetLength: number, cache?: TemplateCache): ParsedTarget | RouteIssue[] {
  const cached = cache?.get(target);
  if (cached !== undefined) {
    // Cached only when the target alone gave no issue and no warning: what is left depends on the pattern.
    const warnings: RouteIssue[] = [];
    const unused = unusedParams(pattern, target, parsed, null);
    if (unused !== null) warnings.push(unused);
    return { template: cached, warnings };
  }
  const at = { pattern, target };
  if (target.length > maxTargetLength) {
    return [
      error('target-too-long', `Target URL for path "${pattern}" is ${target.length} characters long; the limit is ${maxTargetLength}`, {
        ...at,
        hint: 'Shorten the target or raise limits.maxTargetLength',
      }),
    ];
  }
  // The common shape without `new URL` (it agrees with it wherever it answers: src/target/http-url.ts).
  let url: TargetUrlParts | null = parseSimpleHttpUrl(target);
  if (url === null) {
    try {
      url = new URL(target);
    } catch {
      return [error('target-invalid-url', `Invalid target URL "${target}" for path "${pattern}". Must be a valid URL`, { ...at, hint: INVALID_URL_HINT })];
    }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return [
      error('target-bad-protocol', `Invalid target URL "${target}" for path "${pattern}". Must use http:// or https:// protocol`, {
        ...at,
        hint: 'Use an http:// or https:// URL',
      }),
    ];
  }
  if (url.host === '') {
    return [error('target-invalid-url', `Invalid target URL "${target}" for path "${pattern}". Must be a valid URL`, { ...at, hint: INVALID_URL_HINT })];
  }
  const issues: RouteIssue[] = [];
  if (target.includes('#')) {
    issues.push(
      error('target-fragment', `Target URL "${target}" for path "${pattern}" holds a fragment ("#..."), which is never sent to a server`, {
        ...at,
        hint: 'Remove the "#..." part of the target',
      }),
    );
  }
  const parts: TargetPart[] = [];
  let hasPlaceholder = false;
  let usesRest = false;
  const usedParams = new Set<string>();
  let text = '';
  // Placeholders are segments starting with ":" or equal to "*": a path with neither has none.
  const pathname = url.pathname;
  const segments = pathname.includes(':') || pathname.includes('*') ? pathname.slice(1).split('/') : [];
  for (const seg of segments) {
    if (seg === '*') {
      hasPlaceholder = true;
      if (!parsed.catchAll || usesRest) {
        issues.push(
          error(
            'target-unknown-placeholder',
            parsed.catchAll
              ? `Target URL "${target}" for path "${pattern}" uses "*" more than once`
              : `Target URL "${target}" for path "${pattern}" uses "*", but the pattern has no catch-all "/*"`,
            {
              ...at,
              hint: 'Use "*" once, and only in the target of a pattern that ends in "/*"; write a literal "*" as %2A',
            },
          ),
        );
      }
      usesRest = true;
      if (text) parts.push({ kind: 'text', text });
      text = '';
      parts.push({ kind: 'rest' });
    } else if (seg.startsWith(':')) {
      hasPlaceholder = true;
      const name = seg.slice(1);
      const index = parsed.paramNames.indexOf(name);
      if (!parsed.namedParams.includes(name) || index < 0) {
        issues.push(
          error('target-unknown-placeholder', `Target URL "${target}" for path "${pattern}" uses ":${name}", which the pattern does not capture`, {
            ...at,
            hint: `Capture it in the pattern (":${name}"; anonymous "*" segments cannot be referenced), or write a literal colon as %3A`,
          }),
        );
      }
      usedParams.add(name);
      parts.push({ kind: 'text', text: text + '/' });
      text = '';
      parts.push({ kind: 'param', index });
    } else {
      text += '/' + seg;
    }
  }
  if (text) parts.push({ kind: 'text', text });
  if (issues.length > 0) return issues;

  const warnings: RouteIssue[] = [];
  const unused = unusedParams(pattern, target, parsed, usedParams);
  if (unused !== null) warnings.push(unused);
  if (hasPlaceholder && parsed.catchAll && !usesRest) {
    warnings.push(
      warning('remainder-dropped', `Target URL "${target}" for path "${pattern}" has placeholders but no "*", so the rest of the path is not forwarded`, {
        ...at,
        hint: 'Add "/*" to the target to forward the rest of the path',
      }),
    );
  }
  if (url.username !== '' || url.password !== '') {
    warnings.push(
      warning('target-credentials', `Target URL for path "${pattern}" holds credentials, which are not forwarded`, {
        pattern,
        hint: 'Send credentials in a header set by the upstream client instead of the URL',
      }),
    );
  }
  const template: TargetTemplate = {
    origin: url.origin,
    basePath: pathname.endsWith('/') ? pathname.slice(0, -1) : pathname,
    path: pathname,
    query: url.search.slice(1),
    parts: hasPlaceholder ? parts : null,
  };
  if (cache !== undefined && !hasPlaceholder && url.username === '' && url.password === '') cache.set(target, template);
  return { template, warnings };
}

/** The `params-unused` warning: the pattern's named parameters the target does not use (`used` null: none used). */
export function unusedParams(pattern: string, target: string, parsed: ParsedPattern, used: Set<string> | null): RouteIssue | null {
  const names = parsed.namedParams;
  if (names.length === 0) return null;
  let message: string;
  let hint: string;
  const known = used === null ? HINT_NAMES.indexOf(names) : -1;
  if (known >= 0) {
    // Every name unused, and the same (shared) list as a recent such route: the same texts but
    // the pattern. Two string pieces (64 B) point at the pattern and the shared rest.
    message = 'Path pattern "' + pattern + HINT_REST[known]!;
    hint = HINT_TEXT[known]!;
  } else {
    let unused = '';
    let count = 0;
    for (const n of names) {
      if (used !== null && used.has(n)) continue;
      unused += (count++ === 0 ? ':' : ', :') + n;
    }
    if (count === 0) return null;
    // Joined, not concatenated: concatenation would keep a tree of ~10 string pieces (32 B each)
    // per warning, which the table retains; a joined string is one flat string.
    const rest = ['" captures ', unused, ' but its target never uses ', count > 1 ? 'them' : 'it'].join('');
    message = 'Path pattern "' + pattern + rest;
    hint = ['Reference ', unused, ` in the target's path, or use "*" in the pattern if any value will do`].join('');
    if (used === null) {
      HINT_NAMES[hintNext] = names;
      HINT_REST[hintNext] = rest;
      HINT_TEXT[hintNext] = hint;
      hintNext = (hintNext + 1) % HINTS_KEPT;
    }
  }
  // Written out rather than through `warning()`: one object, same fields in the same order.
  return {
    code: 'params-unused',
    severity: 'warning',
    message,
    pattern,
    target,
    hint,
  };
}

/*
 * The texts of the last few warnings whose every name was unused, by the identity of their list of
 * names (lists are shared by routes with equal names, src/validate/pattern.ts): a table's routes
 * to placeholder-free targets then share a handful of hint strings instead of each joining its own.
 */
const HINTS_KEPT = 4;
const HINT_NAMES: (readonly string[])[] = [];
/** The message after the pattern: `" captures :id but its target never uses it`. */
const HINT_REST: string[] = [];
const HINT_TEXT: string[] = [];
let hintNext = 0;
