import { compile, type CompileOptions, type Router } from '../src/index.js';
import { loadNativeBackend } from '../src/match/native.js';

/**
 * The matcher configurations every behavioural test runs against: the generated
 * TypeScript matcher, its interpreter (what runtimes without code generation get), and the
 * native addon. CI builds the addon and sets CI=true, so there a missing addon fails the
 * run instead of shrinking it.
 */
export const BACKENDS: { name: string; options: CompileOptions }[] = [
  { name: 'js', options: { backend: 'js' } },
  { name: 'js-interpreter', options: { backend: 'js', codegen: false } },
];
const native = loadNativeBackend();
if (native.ok) BACKENDS.push({ name: 'native', options: { backend: 'native' } });
else if (process.env.CI === 'true' || process.env.ROUTING_CORE_REQUIRE_NATIVE === '1') {
  throw new Error(`The native addon is required here but did not load: ${native.reason}`);
}

export function routerFor(routes: Record<string, string>, config: { options: CompileOptions }, options: CompileOptions = {}): Router {
  return compile(routes, { ...options, ...config.options });
}

/** A match as plain data, for comparing backends and the oracle. */
export function summary(router: Router, path: string) {
  const m = router.match(path);
  if (!m) return null;
  const params = { ...m.params };
  return m.remainder === undefined ? { pattern: m.pattern, params } : { pattern: m.pattern, params, remainder: m.remainder };
}
