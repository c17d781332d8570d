/** `af-routes validate` and `af-routes match`. */
import { compile } from '../match/router.js';
import { explain } from '../match/explain.js';
import type { MatchRequest } from '../match/types.js';
import type { MatchOptions } from '../options.js';
import { validateRoutes } from '../validate/validate.js';
import { UsageError } from './errors.js';
import { explanationJson, formatExplanation, formatIssue, formatTable, issueJson, plural } from './format.js';
import { resolveSource, type RoutesSource } from './source.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface TableFlags {
  function?: string;
  json?: boolean;
  'ignore-trailing-slash'?: boolean;
  'case-insensitive'?: boolean;
}

/** What `match` is told of the request (route conditions read it). */
export interface RequestFlags {
  method?: string;
  host?: string;
  header?: string[];
  query?: string;
}

/** The request `match` describes: GET unless told otherwise, as curl does. */
export function requestOf(flags: RequestFlags): MatchRequest {
  const headers: Record<string, string> = {};
  for (const line of flags.header ?? []) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header must be "name: value", not "${line}"`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const request: MatchRequest = { method: flags.method ?? 'GET', headers };
  const host = flags.host ?? headers.host;
  if (host !== undefined) request.host = host;
  if (flags.query !== undefined) request.query = flags.query.startsWith('?') ? flags.query.slice(1) : flags.query;
  return request;
}

export function matchOptions(flags: TableFlags): MatchOptions {
  return { ignoreTrailingSlash: flags['ignore-trailing-slash'] === true, caseSensitive: flags['case-insensitive'] !== true };
}

/** Loads and validates; prints problems. Returns the routes when valid, else the exit code. */
async function loadValid(source: RoutesSource, flags: TableFlags, io: Io): Promise<{ routes: unknown } | { exit: 1 }> {
  const routes = await source.load();
  const result = validateRoutes(routes, matchOptions(flags));
  if (result.valid) return { routes };
  if (flags.json) {
    io.out(JSON.stringify({ source: source.label, valid: false, errors: result.errors.map(issueJson), warnings: result.warnings.map(issueJson) }, null, 2));
  } else {
    io.err(`${source.label}: invalid (${plural(result.errors.length, 'error')}, ${plural(result.warnings.length, 'warning')})\n`);
    io.err([...result.errors, ...result.warnings].map(formatIssue).join('\n\n'));
  }
  return { exit: 1 };
}

export async function runValidate(arg: string | undefined, flags: TableFlags, io: Io): Promise<number> {
  const source = await resolveSource(arg, flags.function);
  const routes = await source.load();
  const options = matchOptions(flags);
  const result = validateRoutes(routes, options);
  const count = routes !== null && typeof routes === 'object' && !Array.isArray(routes) ? Object.keys(routes).length : 0;
  if (flags.json) {
    io.out(JSON.stringify({ source: source.label, valid: result.valid, routes: count, errors: result.errors.map(issueJson), warnings: result.warnings.map(issueJson) }, null, 2));
    return result.valid ? 0 : 1;
  }
  const summary = `${plural(result.errors.length, 'error')}, ${plural(result.warnings.length, 'warning')}`;
  if (!result.valid) {
    io.out(`${source.label}: invalid (${summary})\n`);
    io.out([...result.errors, ...result.warnings].map(formatIssue).join('\n\n'));
    return 1;
  }
  if (routes === null || routes === undefined) {
    io.out(`${source.label}: valid, no routes (every request runs the function's own code)`);
    return 0;
  }
  const router = compile(routes as unknown, { ...options, backend: 'js' });
  io.out(`${source.label}: valid (${plural(router.routes.length, 'route')}, ${plural(result.warnings.length, 'warning')})\n`);
  io.out('Routes in precedence order:');
  io.out(formatTable(router.routes));
  if (result.warnings.length) io.out('\n' + result.warnings.map(formatIssue).join('\n\n'));
  return 0;
}

/** A full URL given as a path: keep what follows the origin, exactly as typed. */
function pathOf(input: string): string {
  const m = /^https?:\/\/[^/?#]*/i.exec(input);
  if (!m) return input;
  const rest = input.slice(m[0].length);
  return rest === '' || rest.startsWith('?') ? '/' + rest : rest;
}

export async function runMatch(arg: string | undefined, paths: string[], flags: TableFlags & RequestFlags, io: Io): Promise<number> {
  const request = requestOf(flags);
  const source = await resolveSource(arg, flags.function);
  const loaded = await loadValid(source, flags, io);
  if ('exit' in loaded) return loaded.exit;
  const routes = loaded.routes ?? {};
  const router = Object.keys(routes as object).length ? compile(routes as unknown, matchOptions(flags)) : null;
  if (!router) {
    if (flags.json)
      io.out(
        JSON.stringify(
          paths.map((p) => ({ input: p, match: null, url: null, candidates: [] })),
          null,
          2,
        ),
      );
    else io.out(`${source.label}: no routes; every request runs the function's own code`);
    return 0;
  }
  const explanations = paths.map((p) => ({ display: p, x: explain(router, pathOf(p), request) }));
  if (flags.json) {
    io.out(
      JSON.stringify(
        explanations.map((e) => explanationJson(e.x, e.display)),
        null,
        2,
      ),
    );
    return 0;
  }
  io.out(`${source.label}: ${plural(router.routes.length, 'route')}\n`);
  io.out(explanations.map((e) => formatExplanation(e.x, e.display)).join('\n\n'));
  return 0;
}
