/**
 * Runs route tables and request paths through a routing-core API and returns plain data, so
 * that the same code, bundled for a browser or a locked-down Node worker, gives results the
 * test compares with Node's. It takes the API as an argument: it imports nothing itself.
 */
import type * as Portable from '../../src/browser.js';

type Api = Pick<typeof Portable, 'compile' | 'validateRoutes' | 'normalizePath' | 'buildForwardUrl'>;

export interface Case {
  name: string;
  routes: unknown;
  options?: { caseSensitive?: boolean; ignoreTrailingSlash?: boolean };
  /** Raw request targets (path and optional query), normalized before matching. */
  paths: string[];
}

export type PathResult =
  | { path: string; rejected: { status: number; code: string } }
  | { path: string; normalized: string; match: null }
  | { path: string; normalized: string; match: { pattern: string; params: Record<string, string>; remainder?: string; url: string } };

export interface CaseResult {
  name: string;
  /** Validation: the error and warning codes. */
  errors: string[];
  warnings: string[];
  /** compile: null when it threw (the error's issue codes are in `errors`). */
  results: PathResult[] | null;
}

export function runCases(api: Api, cases: Case[], backend: 'js' | 'native' | 'auto' = 'auto'): CaseResult[] {
  return cases.map((c) => {
    const verdict = api.validateRoutes(c.routes, c.options);
    const out: CaseResult = { name: c.name, errors: verdict.errors.map((e) => e.code), warnings: verdict.warnings.map((w) => w.code), results: null };
    if (!verdict.valid) return out;
    const router = api.compile(c.routes, { ...c.options, backend });
    out.results = c.paths.map((raw): PathResult => {
      const n = api.normalizePath(raw);
      if (!n.ok) return { path: raw, rejected: { status: n.status, code: n.code } };
      const m = router.match(n.path);
      if (m === null) return { path: raw, normalized: n.path, match: null };
      const match: { pattern: string; params: Record<string, string>; remainder?: string; url: string } = {
        pattern: m.pattern,
        params: { ...m.params },
        url: api.buildForwardUrl(m, n.query),
      };
      if (m.remainder !== undefined) match.remainder = m.remainder;
      if (router.url(m, n.query) !== match.url) throw new Error(`router.url and buildForwardUrl disagree for ${raw}`);
      return { path: raw, normalized: n.path, match };
    });
    return out;
  });
}

/** What the runtime offers: code generation, Node's `process`, and the backend `compile` picks. */
export function environment(api: Api): { codegen: boolean; hasProcess: boolean; backend: string } {
  let codegen: boolean;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the probe of whether this runtime allows code generation from strings
    codegen = new Function('return 1')() === 1;
  } catch {
    codegen = false;
  }
  return {
    codegen,
    hasProcess: typeof (globalThis as { process?: unknown }).process !== 'undefined',
    backend: api.compile({ '/a/:id': 'https://a.example/:id' }).backend,
  };
}
