/**
 * Locked-down runtimes (SGX enclaves, sandboxes): the TypeScript backend serves with the
 * native addon unavailable (disabled by ROUTING_CORE_BACKEND=js, and truly missing), under
 * `node --disallow-code-generation-from-strings` (so no generated matcher: the interpreter
 * serves), in the main thread and inside a `worker_threads` Worker. Its results equal those
 * of the unrestricted process on the SPEC's examples and a random corpus.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as node from '../src/index.js';
import { randomCases, specCases } from './support-browser/corpus.js';
import { runCases, type Case, type CaseResult } from './support-browser/harness.js';

const run = promisify(execFile);
const ADDON_LOADER = fileURLToPath(new URL('../bindings/index.cjs', import.meta.url));

interface Report {
  evalBlocked: string | false;
  nativeChoice: string;
  env: { codegen: boolean; hasProcess: boolean; backend: string };
  results: CaseResult[];
}

let dir: string;
let bundle: string;
let casesPath: string;
let cases: Case[];
let expected: CaseResult[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'routing-core-locked-'));
  // Two levels down, so the loader's relative fallbacks (../bindings, ../../bindings) find nothing.
  const out = join(dir, 'app', 'lib');
  mkdirSync(out, { recursive: true });
  bundle = join(out, 'bundle.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./support-browser/locked-entry.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'silent',
    // CommonJS dependencies (undici) call require() for Node built-ins inside an ES module.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  cases = [...specCases(), ...randomCases(250, 303)];
  casesPath = join(dir, 'cases.json');
  writeFileSync(casesPath, JSON.stringify(cases));
  expected = runCases(node, cases);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function runLocked(env: Record<string, string>): Promise<{ main: Report; worker: Report }> {
  const { stdout } = await run(process.execPath, ['--disallow-code-generation-from-strings', bundle, casesPath], {
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as { main: Report; worker: Report };
}

describe('locked-down Node: no code generation, a Worker, no native addon', () => {
  it('ROUTING_CORE_BACKEND=js: the TypeScript interpreter serves although the addon would load', async () => {
    expect(existsSync(ADDON_LOADER), 'the native addon is not built: run `npm run build:native`').toBe(true);
    const out = await runLocked({ ROUTING_CORE_BACKEND: 'js', ROUTING_CORE_NATIVE_PATH: ADDON_LOADER });
    for (const report of [out.main, out.worker]) {
      expect(report.evalBlocked).toBe('EvalError');
      expect(report.env).toEqual({ codegen: false, hasProcess: true, backend: 'js' });
      expect(report.nativeChoice).toBe('native'); // the addon is there; the environment chose js
      expect(report.results).toEqual(expected);
    }
  });

  it('addon truly missing: compile falls back to TypeScript, and asking for native says why', async () => {
    const out = await runLocked({});
    for (const report of [out.main, out.worker]) {
      expect(report.evalBlocked).toBe('EvalError');
      expect(report.env).toEqual({ codegen: false, hasProcess: true, backend: 'js' });
      expect(report.nativeChoice).toMatch(/^unavailable: The native routing backend was requested but could not load: .*build:native/);
      expect(report.results).toEqual(expected);
    }
  });

  it('the corpus is not vacuous', () => {
    const compiled = expected.filter((c) => c.results !== null);
    expect(compiled.length).toBeGreaterThan(80);
    expect(compiled.flatMap((c) => c.results!).filter((r) => 'match' in r && r.match !== null).length).toBeGreaterThan(500);
  });
});
