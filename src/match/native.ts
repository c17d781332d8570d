/**
 * Loads the Rust matcher (napi-rs addon in bindings/). Never throws: when the addon cannot
 * load, the reason says why and how to build it, and `compile` falls back to TypeScript.
 * (Interim loader; the native backend's author owns this file.)
 */
import type { BackendOptions, MatcherBackend } from './core.js';

export type NativeLoad =
  | { ok: true; create(shapes: readonly (readonly string[])[], options: BackendOptions): MatcherBackend }
  | { ok: false; reason: string };

let cached: NativeLoad | undefined;

export function loadNativeBackend(): NativeLoad {
  if (cached) return cached;
  cached = { ok: false, reason: 'the native addon is not built yet (run `npm run build:native`; it needs cargo)' };
  return cached;
}
