/**
 * The Rust matcher (native/, a napi-rs addon built into bindings/) behind the `MatcherBackend`
 * contract of ./core.ts.
 *
 * `loadNativeBackend()` never throws: when the addon cannot load, `reason` says why and how
 * to build it, and `compile` falls back to the TypeScript backend. It imports no Node
 * built-in statically, so the core still bundles for browsers and edge runtimes (there,
 * `globalThis.process` is absent and the reason says so).
 *
 * Where the addon comes from, first that loads:
 *   1. `ROUTING_CORE_NATIVE_PATH`: a `.node` file (or a loader) for unusual layouts;
 *   2. the package's own `@alternatefutures/routing-core/bindings` (the loader napi-rs
 *      generates, which picks the `.node` file for this platform), resolved by package
 *      self-reference, so it works from src/ (tests) and dist/ alike;
 *   3. the same loader by a path relative to this module (src/match/ or dist/), for a copy of
 *      the code that is not inside the package (bundled into an application).
 *
 * Per lookup the addon makes one native call: it reads the string's UTF-16 code units into
 * a reused buffer, walks the tree, and writes capture offsets into an Int32Array it
 * allocated once (`offsets`), so nothing is allocated per call.
 *
 * Conditions (core.ts `BackendGuards`, whose `methods` and `checked` are copied when the
 * backend is created): the tree skips routes whose method mask lacks the request's bit, and
 * suspends its walk at a checked route, returning it; JavaScript runs `accept(route)` and, on
 * rejection, `resume()` continues the same walk (never a re-walk), so a lookup stays linear
 * however many candidates are rejected. The addon keeps one suspended walk per matcher: if
 * `accept` or an `enumerate` visitor starts another (a guarded `lookup`, `enumerate`), the
 * interrupted walk is replayed to where it was (a re-walk, only in that re-entrant case).
 * Lookups on a table without guards never suspend and never disturb a suspended walk.
 */
import type { BackendGuards, BackendOptions, MatcherBackend } from './core.js';

export type NativeLoad =
  | {
      ok: true;
      create(shapes: readonly (readonly string[])[], options: BackendOptions, guards?: BackendGuards): MatcherBackend;
    }
  | { ok: false; reason: string };

/** What `createMatcher` returns (bindings/index.d.cts, generated from native/src/lib.rs). */
export interface NativeMatcher {
  /** Winning route index or -1; a bare native function (it ignores `this`). */
  lookup: (path: string, method?: number) => number;
  /** The suspended walk's next route, or -1. */
  resume: () => number;
  /** The first route matching the path ignoring conditions; `resume()` for the next. */
  lookupAll: (path: string) => number;
  /** Work done by the last lookup and its resumes (0 unless created with `countSteps`). */
  lastSteps: () => number;
  offsets: Int32Array;
  maxParams: number;
  nodeCount: number;
}

export interface NativeMatcherOptions {
  caseSensitive: boolean;
  ignoreTrailingSlash: boolean;
  /** Count work for `lastSteps()` (tests of linear time; a separate walk, off the hot path). */
  countSteps?: boolean;
}

export interface NativeAddon {
  createMatcher(shapes: string[][], options: NativeMatcherOptions, guards?: { methods: Int32Array; checked: Uint8Array }): NativeMatcher;
}

type Require = (id: string) => unknown;

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
  env?: Record<string, string | undefined>;
  platform?: string;
  arch?: string;
}

const SELF = '@alternatefutures/routing-core/bindings';
/** The loader relative to this module: from src/match/native.ts, then from dist/*.js. */
const RELATIVE = ['../../bindings/index.cjs', '../bindings/index.cjs'];
const HOW_TO_BUILD = 'build it with `npm run build:native` (needs cargo and a Rust toolchain)';

let cached: NativeLoad | undefined;

export function loadNativeBackend(): NativeLoad {
  if (cached === undefined) {
    try {
      cached = load();
    } catch (error) {
      cached = { ok: false, reason: `the native addon failed to load: ${describe(error)}; ${HOW_TO_BUILD}` };
    }
  }
  return cached;
}

function load(): NativeLoad {
  const proc = (globalThis as { process?: NodeProcess }).process;
  if (proc === undefined || proc === null) {
    return { ok: false, reason: 'the native addon is not available in this runtime (no Node.js process)' };
  }
  if (typeof proc.getBuiltinModule !== 'function') {
    return {
      ok: false,
      reason: 'the native addon is not available in this runtime (it needs Node.js >= 20.16 for process.getBuiltinModule)',
    };
  }
  const moduleApi = proc.getBuiltinModule('module') as { createRequire?: (from: string | URL) => Require } | undefined;
  if (typeof moduleApi?.createRequire !== 'function') {
    return { ok: false, reason: 'the native addon is not available in this runtime (no node:module createRequire)' };
  }
  const here = import.meta.url;
  if (typeof here !== 'string' || here === '') {
    return { ok: false, reason: 'the native addon is not available in this runtime (no module URL to resolve it from)' };
  }
  const require = moduleApi.createRequire(here);

  const explicit = proc.env?.ROUTING_CORE_NATIVE_PATH;
  if (explicit !== undefined && explicit !== '') {
    const found = attempt(require, explicit);
    if ('addon' in found) return ready(found.addon);
    return { ok: false, reason: `ROUTING_CORE_NATIVE_PATH=${explicit} could not be loaded: ${found.error}` };
  }

  const urlApi = proc.getBuiltinModule('url') as { fileURLToPath?: (url: string) => string } | undefined;
  const candidates = [SELF];
  if (typeof urlApi?.fileURLToPath === 'function') {
    for (const p of RELATIVE) candidates.push(urlApi.fileURLToPath(new URL(p, here).href));
  }
  for (const id of candidates) {
    const found = attempt(require, id);
    if ('addon' in found) return ready(found.addon);
    // The loader exists but failed (no .node file for this platform, a broken build): that
    // is the error worth reporting.
    if (!found.notFound) {
      const platform = `${proc.platform}-${proc.arch}`;
      // The napi-rs loader's message for "no .node file for this platform" blames npm.
      const reason = found.error.startsWith('Cannot find native binding')
        ? `the native addon is not built for ${platform} (bindings/ has no .node file for it)`
        : `the native addon failed to load on ${platform} (${found.error})`;
      return { ok: false, reason: `${reason}; ${HOW_TO_BUILD}` };
    }
  }
  return { ok: false, reason: `the native addon's loader (bindings/index.cjs) was not found; ${HOW_TO_BUILD}` };
}

type Attempt = { addon: NativeAddon } | { error: string; notFound: boolean };

const NOT_FOUND = new Set(['MODULE_NOT_FOUND', 'ERR_MODULE_NOT_FOUND', 'ERR_PACKAGE_PATH_NOT_EXPORTED']);

function attempt(require: Require, id: string): Attempt {
  let loaded: unknown;
  try {
    loaded = require(id);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    // The generated loader turns a missing .node file into its own error (without a code),
    // so a not-found code here means the loader itself is not at `id`.
    return { error: describe(error), notFound: typeof code === 'string' && NOT_FOUND.has(code) };
  }
  for (const candidate of [loaded, (loaded as { default?: unknown } | null | undefined)?.default]) {
    if (typeof (candidate as NativeAddon | null | undefined)?.createMatcher === 'function') return { addon: candidate as NativeAddon };
  }
  return { error: `${id} does not export createMatcher (a stale or foreign build?)`, notFound: false };
}

function ready(addon: NativeAddon): NativeLoad {
  addonLoaded = addon;
  return { ok: true, create: (shapes, options, guards) => createNativeBackend(addon, shapes, options, guards) };
}

let addonLoaded: NativeAddon | null = null;

/**
 * The addon itself (null when it does not load), for tests that need more than the backend:
 * `createMatcher(shapes, { ...options, countSteps: true })` and `lastSteps()` count work.
 */
export function loadNativeAddon(): NativeAddon | null {
  return loadNativeBackend().ok ? addonLoaded : null;
}

function createNativeBackend(addon: NativeAddon, shapes: readonly (readonly string[])[], options: BackendOptions, guards?: BackendGuards): MatcherBackend {
  const matcher = addon.createMatcher(
    shapes as string[][],
    { caseSensitive: options.caseSensitive, ignoreTrailingSlash: options.ignoreTrailingSlash },
    guards === undefined ? undefined : { methods: guards.methods, checked: guards.checked },
  );
  const { resume, lookupAll, offsets } = matcher;
  // Walks started on the matcher's one suspendable walk: a callback that starts another shows
  // up as a changed count, and the interrupted walk is replayed (it is deterministic).
  let walks = 0;
  // The offsets of the route `enumerate` stops at, should `visit` have looked paths up.
  const saved = new Int32Array(offsets.length);
  // Every candidate in precedence order: the walk suspends at each route, and resumes.
  const enumerate = (path: string, visit: (route: number) => boolean): number => {
    let walk = ++walks;
    let seen = 0;
    let r = lookupAll(path);
    while (r >= 0) {
      saved.set(offsets);
      const stop = visit(r);
      if (walks !== walk) {
        // `visit` started another walk on this matcher: replay ours to `r`.
        walk = ++walks;
        r = lookupAll(path);
        for (let i = 0; i < seen; i++) r = resume();
      }
      if (stop) {
        offsets.set(saved);
        return r;
      }
      seen++;
      r = resume();
    }
    return -1;
  };
  if (guards === undefined) {
    // `lookup` is the native function itself: no JavaScript wrapper in between.
    return Object.freeze({ name: 'native' as const, lookup: matcher.lookup, enumerate, offsets });
  }
  const native = matcher.lookup;
  const { checked } = guards;
  // `accept` runs while the walk is suspended; a rejection continues the same walk.
  const lookup = (path: string, method?: number): number => {
    let walk = ++walks;
    let r = native(path, method);
    let rejected = 0;
    while (r >= 0 && checked[r] === 1) {
      const accepted = guards.accept(r);
      if (walks !== walk) {
        // `accept` looked a path up on this matcher (a guarded lookup is always a walk of its
        // own): replay ours to `r`, which also rewrites r's offsets.
        walk = ++walks;
        r = native(path, method);
        for (let i = 0; i < rejected; i++) r = resume();
      }
      if (accepted) return r;
      rejected++;
      r = resume();
    }
    return r;
  };
  return Object.freeze({ name: 'native' as const, lookup, enumerate, offsets });
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n', 1)[0] ?? message;
  return first.length > 300 ? `${first.slice(0, 300)}...` : first;
}
