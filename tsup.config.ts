import { defineConfig, type Options } from 'tsup';

/**
 * The library: both entries, `.` (dist/index.*) and `./browser` (dist/browser.*), in ONE build
 * per format with code splitting, so that what they have in common exists once, in shared
 * chunks (dist/chunk-*.js for ESM, dist/chunk-*.cjs for CommonJS). A bundle per entry gave
 * every class and cache two copies: an error thrown by `compile` from `./browser` was not
 * `instanceof` the main entry's `RoutesValidationError` (test/package-tarball.test.ts checks
 * identity across the entries, in both formats). ESM and CommonJS are necessarily two graphs.
 *
 * The browser entry and the chunks it loads hold no Node built-in: a chunk holds only modules
 * its importers reach, and the modules `./browser` reaches use none (test/browser-*.test.ts
 * bundle src/browser.ts for the browser platform; test/package-tarball.test.ts the built one).
 * So one platform serves both entries: `node` only leaves the main entry's built-ins external.
 *
 * Declarations come from one rollup too: dist/browser.d.ts stands alone (no `node:*` or undici
 * types), and dist/index.d.ts imports the shared declarations from it, so a type (a class
 * with private members, such as `RouterCache`) is one type whichever entry names it.
 */
const library: Options = {
  name: 'library',
  entry: { index: 'src/index.ts', browser: 'src/browser.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: ['!cli.js', '!cli.js.map'], // the CLI's output: its own build, possibly at the same time
  // es2022 for browsers and edge runtimes, node20 for the rest: esbuild keeps what both support.
  target: ['es2022', 'node20'],
  platform: 'node',
  shims: true,
  // Shared chunks for CommonJS too (tsup builds ESM chunks, then rewrites them to CommonJS).
  splitting: true,
};

/** The `af-routes` command (package.json `bin`): ESM only, executable. */
export const cli: Options = {
  name: 'cli',
  entry: { cli: 'src/cli/main.ts' },
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: false,
  target: 'node20',
  platform: 'node',
  splitting: false,
  banner: { js: '#!/usr/bin/env node' },
};

export default defineConfig([library, cli]);
