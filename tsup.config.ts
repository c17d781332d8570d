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
  clean: ['!cli.js', '!cli.js.map', '!editor.*', '!editor.bundle.*'], // the CLI's and the editor's outputs: their own builds, possibly at the same time
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

/**
 * `./editor` (dist/editor.js): the `<af-route-editor>` web component, for the browser only and
 * outside the main entry's graph. Lit stays external (a dependency the app's bundler resolves,
 * one copy per page) and so does the core: its `../browser.js` import becomes `./browser.js`,
 * the `./browser` entry beside it, so validation and `compile` are one instance across both.
 */
const keepCoreExternal: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'editor-core-external',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/browser\.js$/ }, (args) => (args.importer.includes('/src/editor/') ? { path: './browser.js', external: true } : undefined));
  },
};

const editor: Options = {
  name: 'editor',
  entry: { editor: 'src/editor/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: false,
  target: 'es2022',
  platform: 'browser',
  splitting: false,
  external: ['lit', /^lit\//],
  esbuildPlugins: [keepCoreExternal],
};

/**
 * dist/editor.bundle.js: the same element with Lit and the core inside, minified: what
 * `af-routes edit` serves and what a plain HTML page can load with one <script type=module>.
 */
export const editorBundle: Options = {
  name: 'editor-bundle',
  entry: { 'editor.bundle': 'src/editor/index.ts' },
  format: ['esm'],
  dts: false,
  sourcemap: false,
  clean: false,
  target: 'es2022',
  platform: 'browser',
  splitting: false,
  minify: true,
  noExternal: [/.*/],
};

export default defineConfig([library, cli, editor, editorBundle]);
