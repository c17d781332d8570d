/**
 * The editor entry's weight and boundaries: bundled for the browser (minified, as an app's
 * bundler would), its own code plus Lit, beyond the core it shares with `./browser`, stays
 * under 60 KB gzip; it holds no Node built-in; and neither the main entry nor `./browser`
 * reaches Lit or the editor (the core stays small for edge runtimes).
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => 'node:' + m)]);
/** Leaves the core out, as dist/editor.js does (it imports ./browser.js). */
const coreExternal: Plugin = {
  name: 'core-external',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/browser\.js$/ }, (args) => (args.importer.includes('/src/editor/') ? { path: './browser.js', external: true } : undefined));
  },
};

async function bundle(entry: string, plugins: Plugin[] = []) {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins,
  });
  const text = out.outputFiles[0]!.contents;
  return {
    bytes: text.length,
    gzip: gzipSync(text, { level: 9 }).length,
    inputs: Object.keys(out.metafile.inputs),
    imports: Object.values(out.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path)),
  };
}

describe('the ./editor entry', () => {
  it('weighs under 60 KB gzip beyond the core (its code and Lit), and holds no Node built-in', async () => {
    const editor = await bundle(here('../src/editor/index.ts'), [coreExternal]);
    const whole = await bundle(here('../src/editor/index.ts'));
    const core = await bundle(here('../src/browser.ts'));
    // Printed for the docs and the report (docs/editor.md quotes these figures).
    console.log(`editor beyond the core: ${editor.bytes} B min, ${editor.gzip} B gzip; with the core: ${whole.gzip} B gzip; the core alone: ${core.gzip} B gzip`);
    expect(editor.gzip).toBeLessThan(60 * 1024);
    expect(editor.inputs.some((p) => p.includes('node_modules/lit'))).toBe(true);
    expect(editor.inputs.filter((p) => p.startsWith('src/') && !p.startsWith('src/editor/'))).toEqual([]);
    expect(whole.imports.filter((p) => BUILTINS.has(p) || p.startsWith('node:'))).toEqual([]);
  });

  it('is not reached from the main entry nor from ./browser', async () => {
    for (const entry of ['../src/browser.ts']) {
      const b = await bundle(here(entry));
      expect(b.inputs.filter((p) => p.includes('node_modules/lit') || p.includes('src/editor/'))).toEqual([]);
    }
    const main = await build({
      entryPoints: [here('../src/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      packages: 'external',
    });
    const inputs = Object.keys(main.metafile.inputs);
    expect(inputs.filter((p) => p.includes('src/editor/'))).toEqual([]);
    expect(
      Object.values(main.metafile.inputs)
        .flatMap((i) => i.imports.map((x) => x.path))
        .filter((p) => p === 'lit' || p.startsWith('lit/')),
    ).toEqual([]);
    expect(inputs.length).toBeGreaterThan(50);
  });
});
