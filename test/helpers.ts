import { compile, type CompileOptions, type Router } from '../src/index.js';

/** The backends under test: always js; native too when the addon is built (CI requires it). */
export const BACKENDS: ('js' | 'native')[] = ['js'];

export function routerFor(routes: Record<string, string>, backend: 'js' | 'native', options: CompileOptions = {}): Router {
  return compile(routes, { ...options, backend });
}

/** A match as plain data, for comparing backends and the oracle. */
export function summary(router: Router, path: string) {
  const m = router.match(path);
  if (!m) return null;
  return m.remainder === undefined ? { pattern: m.pattern, params: m.params } : { pattern: m.pattern, params: m.params, remainder: m.remainder };
}
