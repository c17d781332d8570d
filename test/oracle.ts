/**
 * The reference oracle, used only by tests. Deliberately simple and independent of the
 * tree: every pattern becomes one regular expression, and among the patterns that match,
 * the winner is the one whose segment kinds rank lowest (static 0 < param 1 < catch-all 2,
 * and a pattern that ends with the path, -1, beats a catch-all matching nothing there).
 */
export interface OracleRoute {
  shape: readonly string[]; // static text, ':' or '*' (as in src/match/core.ts)
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
    else if (seg === ':') src += '/([^/]+)';
    else src += '/' + escapeRe(seg);
  }
  return new RegExp(src + '$', caseSensitive ? 'sd' : 'sdi');
}

function rank(shape: readonly string[]): number[] {
  const r: number[] = shape.map((s) => (s === '*' ? 2 : s === ':' ? 1 : 0));
  if (!shape.includes('*')) r.push(-1);
  return r;
}

function lessThan(a: number[], b: number[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return a.length < b.length;
}

const decode = (v: string) => {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
};

export function oracleMatch(routes: readonly OracleRoute[], path: string, opts: { caseSensitive: boolean; ignoreTrailingSlash: boolean }): OracleMatch | null {
  const subject = opts.ignoreTrailingSlash && path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  let best: { index: number; m: RegExpExecArray; rank: number[] } | null = null;
  routes.forEach((route, index) => {
    const m = regexOf(route.shape, opts.caseSensitive).exec(subject);
    if (m && (!best || lessThan(rank(route.shape), best.rank))) best = { index, m, rank: rank(route.shape) };
  });
  if (!best) return null;
  const { index, m } = best as { index: number; m: RegExpExecArray };
  const route = routes[index]!;
  const params: Record<string, string> = {};
  route.paramNames.forEach((name, i) => (params[name] = decode(m[i + 1]!)));
  if (!route.shape.includes('*')) return { index, params };
  return { index, params, remainder: path.slice(m.indices!.groups!.rest![0]) };
}
