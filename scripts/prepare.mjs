/**
 * The `prepare` script: `npm ci` or `npm install` in a clone of this repository builds what the
 * package needs, so that set-up is one command. npm runs `prepare` after installing a clone's
 * dependencies (and before `npm pack`/`npm publish`), never when a consumer installs the
 * published package or its tarball (test/package-tarball.test.ts installs one with scripts on).
 *
 * - The TypeScript build (dist/) always.
 * - The Rust addon (bindings/*.node) when `cargo` is on PATH. A cargo build that fails fails
 *   the install, loudly: a half-built native backend must not pass for a working one. Only a
 *   missing cargo is skipped, with one line saying so and how to build it later; the TypeScript
 *   backend then serves. With ROUTING_CORE_REQUIRE_NATIVE=1 (CI) a missing cargo fails too.
 */
import { spawnSync } from 'node:child_process';

/** Runs `npm run <script>` with the npm that runs us; exits with its status when it fails. */
function npmRun(script) {
  const npm = process.env.npm_execpath;
  // Under npm, npm_execpath is its CLI script; run it with this Node (no shell, any platform).
  const [command, args] = npm && /\.[cm]?js$/.test(npm) ? [process.execPath, [npm, 'run', script]] : ['npm', ['run', script]];
  const result = spawnSync(command, args, { stdio: 'inherit', shell: command === 'npm' && process.platform === 'win32' });
  if (result.status !== 0) {
    const why = result.error ? result.error.message : result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`;
    console.error(`\nrouting-core: prepare: "npm run ${script}" failed (${why}); the install is incomplete.`);
    process.exit(result.status || 1);
  }
}

function hasCargo() {
  const probe = spawnSync('cargo', ['--version'], { stdio: 'ignore' });
  return !(probe.error && probe.error.code === 'ENOENT');
}

npmRun('build:ts');

if (hasCargo()) {
  npmRun('build:native');
} else if (process.env.ROUTING_CORE_REQUIRE_NATIVE === '1') {
  console.error('routing-core: prepare: cargo is not on PATH, and ROUTING_CORE_REQUIRE_NATIVE=1 requires the native backend: install Rust (https://rustup.rs).');
  process.exit(1);
} else {
  console.log(
    'routing-core: cargo not found: native backend skipped (the TypeScript backend serves); to build it, install Rust (https://rustup.rs) and run `npm run build:native`.',
  );
}
