/**
 * The reference oracle, used only by tests. Deliberately simple and independent of the
 * tree: every pattern becomes one regular expression, and among the patterns that match,
 * the winner is the one whose segment kinds rank lowest (static < constrained parameter, by
 * REGEX source in code-point order < plain parameter < catch-all, and a pattern that ends with
 * the path beats a catch-all matching nothing there). `admits(index)` removes routes from the
 * contest (conditions, SPEC 10.1: "exactly as if that pattern were absent").
 */
import { RE2JS } from 're2js';

export interface OracleRoute {
  shape: readonly string[]; // static text, ':', ':' + REGEX or '*' (as in src/match/core.ts)
  paramNames: readonly string[];
}

export interface OracleMatch {
  index: number;
  params: Record<string, string>;
  remainder?: string;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function regexOf(shape: readonly string[], caseSensitive: boolean): RegExp {
  let src = '^';
  for (const seg of shape) {
    if (seg === '*') src += '(?<rest>(?:/.*)?)';
    else if (seg.startsWith(':')) src += '/([^/]+)';
    else src += '/' + escapeRe(seg);
  }
  return new RegExp(src + '$', caseSensitive ? 'sd' : 'sdi');
}

/** Each constrained parameter's value must be ASCII and matched whole by its REGEX. */
function constraintsHold(shape: readonly string[], m: RegExpExecArray): boolean {
  let group = 1;
  for (const seg of shape) {
    if (!seg.startsWith(':')) continue;
    const value = m[group++]!;
    // eslint-disable-next-line no-control-regex
    if (seg.length > 1 && (!/^[\x00-\x7f]*$/.test(value) || !RE2JS.compile(seg.slice(1)).matches(value))) return false;
  }
  return true;
}

type Rank = [number, string][];

function rank(shape: readonly string[]): Rank {
  const r: Rank = shape.map((s) => (s === '*' ? [3, ''] : s === ':' ? [2, ''] : s.startsWith(':') ? [1, s.slice(1)] : [0, '']));
  if (!shape.includes('*')) r.push([-1, '']);
  return r;
}

function codePointCompare(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function lessThan(a: Rank, b: Rank): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i]![0] !== b[i]![0]) return a[i]![0] < b[i]![0];
    const d = codePointCompare(a[i]![1], b[i]![1]);
    if (d !== 0) return d < 0;
  }
  return a.length < b.length;
}

const decode = (v: string) => {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
};

export function oracleMatch(
  routes: readonly OracleRoute[],
  path: string,
  opts: { caseSensitive: boolean; ignoreTrailingSlash: boolean; raw?: boolean },
  admits: (index: number) => boolean = () => true,
): OracleMatch | null {
  const subject = opts.ignoreTrailingSlash && path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  let best: { index: number; m: RegExpExecArray; rank: Rank } | null = null;
  routes.forEach((route, index) => {
    const m = regexOf(route.shape, opts.caseSensitive).exec(subject);
    if (m && constraintsHold(route.shape, m) && admits(index) && (!best || lessThan(rank(route.shape), best.rank))) best = { index, m, rank: rank(route.shape) };
  });
  if (!best) return null;
  const { index, m } = best as { index: number; m: RegExpExecArray };
  const route = routes[index]!;
  const params: Record<string, string> = {};
  route.paramNames.forEach((name, i) => (params[name] = opts.raw === true ? m[i + 1]! : decode(m[i + 1]!)));
  if (!route.shape.includes('*')) return { index, params };
  return { index, params, remainder: path.slice(m.indices!.groups!.rest![0]) };
}
