import { defineConfig, type Options } from 'tsup';

/** The library: ESM + CJS + types. Its clean keeps the CLI's output (built beside it, possibly at the same time). */
const library: Options = {
  name: 'library',
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: ['!cli.js', '!cli.js.map', '!browser.*'], // the portable build's output too (schema & adapters)
  target: 'node20',
  shims: true,
  splitting: false,
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

/**
 * schema & adapters: the portable entry (package.json `./browser`) for browsers, edge and
 * worker runtimes: no Node built-ins. A build of its own, so that its types stand alone
 * (no `node:*` or undici types, as a shared declaration chunk with the library would bring).
 */
export const browser: Options = {
  name: 'browser',
  entry: { browser: 'src/browser.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: false,
  target: 'es2022',
  platform: 'neutral',
  shims: true,
  splitting: false,
};

export default defineConfig([library, cli, browser]);
