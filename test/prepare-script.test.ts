/**
 * scripts/prepare.mjs, the install-time build (`npm ci` in a clone): the TypeScript build
 * always; the Rust addon when cargo is on PATH, failing the install when it fails; a missing
 * cargo skipped with one line (or fatal under ROUTING_CORE_REQUIRE_NATIVE=1).
 *
 * The builds themselves are not run here (they have their own tests and take minutes): npm is
 * replaced by a stub that records which scripts were asked for (through `npm_execpath`, as npm
 * sets it for lifecycle scripts), and cargo by a stub on a PATH of the test's own.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '..', 'scripts', 'prepare.mjs');
let dir: string;
let stubNpm: string;
let withCargo: string;
let withoutCargo: string;
let n = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'routing-core-prepare-'));
  stubNpm = join(dir, 'npm-cli.cjs');
  // `npm run <script>`: logs the script; fails it when STUB_FAIL names it.
  writeFileSync(
    stubNpm,
    `const script = process.argv[3];
require('node:fs').appendFileSync(process.env.STUB_LOG, script + '\\n');
process.exit(process.env.STUB_FAIL === script ? 7 : 0);
`,
  );
  withCargo = join(dir, 'bin-with-cargo');
  withoutCargo = join(dir, 'bin-without-cargo');
  mkdirSync(withCargo);
  mkdirSync(withoutCargo);
  writeFileSync(join(withCargo, 'cargo'), '#!/bin/sh\nexit 0\n');
  chmodSync(join(withCargo, 'cargo'), 0o755);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function prepare(path: string, env: Record<string, string> = {}) {
  const log = join(dir, `log-${++n}`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, [SCRIPT], {
    env: { PATH: path, npm_execpath: stubNpm, STUB_LOG: log, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ran: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

describe('the prepare script', () => {
  it('with cargo: builds the TypeScript package and the Rust addon', () => {
    const r = prepare(withCargo);
    expect(r.ran).toEqual(['build:ts', 'build:native']);
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('skipped');
  });

  it('without cargo: builds the TypeScript package and says, in one line, that the native backend was skipped and how to build it', () => {
    const r = prepare(withoutCargo);
    expect(r.ran).toEqual(['build:ts']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cargo not found: native backend skipped.*npm run build:native/);
  });

  it('without cargo under ROUTING_CORE_REQUIRE_NATIVE=1 (CI): fails the install', () => {
    const r = prepare(withoutCargo, { ROUTING_CORE_REQUIRE_NATIVE: '1' });
    expect(r.ran).toEqual(['build:ts']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cargo is not on PATH.*ROUTING_CORE_REQUIRE_NATIVE=1/);
  });

  it('a failing cargo build fails the install loudly, with its exit code', () => {
    const r = prepare(withCargo, { STUB_FAIL: 'build:native' });
    expect(r.ran).toEqual(['build:ts', 'build:native']);
    expect(r.status).toBe(7);
    expect(r.stderr).toContain('"npm run build:native" failed (exit code 7); the install is incomplete.');
  });

  it('a failing TypeScript build fails the install before anything else runs', () => {
    const r = prepare(withCargo, { STUB_FAIL: 'build:ts' });
    expect(r.ran).toEqual(['build:ts']);
    expect(r.status).toBe(7);
    expect(r.stderr).toContain('"npm run build:ts" failed (exit code 7)');
  });
});
