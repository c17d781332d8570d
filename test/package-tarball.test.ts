/**
 * The published shape, installed the way consumers install it: a copy of the project is
 * built (`npm run build:ts`; the native addon comes from `npm run build:native`, which the
 * `prepare` script runs on install when cargo is there) and packed (`npm pack`); publint and
 * arethetypeswrong check the tarball; a fresh project installs it with no network
 * (`npm install --offline` with an empty cache: its dependencies are packed from this
 * project's node_modules), lifecycle scripts on, as a consumer's npm runs them; then ES
 * module, CommonJS and TypeScript consumers use it, once with the native addon and once with
 * it deleted. The two entries (`.` and `./browser`) must be one module graph per format: one
 * `compile`, one `RoutesValidationError`. The docs and examples ship too, and their links and
 * `af-routes` commands work from the installed package.
 *
 * Everything happens in a temporary directory: the work tree's dist/ is never touched.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const NAME = '@alternatefutures/routing-core';
const NPM_FLAGS = ['--no-audit', '--no-fund', '--loglevel=error'];
/** Packing runs no script (`prepare` would rebuild): the copy was built just before. */
const PACK_FLAGS = [...NPM_FLAGS, '--ignore-scripts'];

/**
 * Every file the tarball may hold: what consumers load (the entries, the chunks they share,
 * types, the native loader and addon, the schema) and what they read (the docs, the examples
 * they use, the benchmark results the README quotes), and nothing else.
 */
const ALLOWED = new RegExp(
  `^(${[
    String.raw`package\.json|README\.md|LICENSE(\.md)?`,
    String.raw`dist/(index|browser|cli)\.(js|cjs|d\.ts|d\.cts)(\.map)?`,
    String.raw`dist/chunk-[A-Za-z0-9_-]+\.(js|cjs)(\.map)?|dist/[A-Za-z0-9_-]+\.d\.c?ts`, // shared chunks, declarations
    String.raw`bindings/index\.(cjs|d\.cts)|bindings/routing-core\.[a-z0-9-]+\.node`,
    String.raw`src/schema/routes\.schema\.json`,
    String.raw`docs/[a-z0-9-]+\.md|examples/README\.md|examples/[a-z0-9-]+\.json|examples/[a-z0-9-]+/af\.config\.(ts|js|json)`,
    String.raw`bench/README\.md|bench/results/latest\.md`,
    String.raw`dist/editor(\.bundle)?\.(js|d\.ts)(\.map)?|examples/editor/[a-z-]+\.html`, // the ./editor entry (ESM, browser)
    String.raw`sql/[a-z0-9-]+\.sql`, // the Postgres NOTIFY migration
  ].join('|')})$`,
);
const REQUIRED = [
  'package.json',
  'dist/index.js',
  'dist/index.cjs',
  'dist/index.d.ts',
  'dist/index.d.cts',
  'dist/browser.js',
  'dist/browser.cjs',
  'dist/browser.d.ts',
  'dist/browser.d.cts',
  'dist/cli.js',
  'bindings/index.cjs',
  'bindings/index.d.cts',
  'src/schema/routes.schema.json',
  'docs/cli.md',
  'docs/routing.md',
  'docs/runtime.md',
  'examples/README.md',
  'examples/seed.json',
  'examples/invalid.json',
  'examples/config/af.config.ts',
  'bench/results/latest.md',
];

let work: string;
let tarball: string;
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string; size: number }[] };
let withNative: string;
let withoutNative: string;

async function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await exec(cmd, args, { cwd, env: { ...process.env, ...env }, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`, { cause: e });
  }
}

/**
 * The tarball's dependencies and theirs, packed from this project's node_modules (no network).
 * Each is resolved as Node resolves it, from the package that requires it (a nested
 * node_modules first), so a dependency pinned to another version than the hoisted one (proxy-addr's
 * ipaddr.js) is the one packed.
 */
function resolveDependency(name: string, from: string, root: string): string {
  for (let d = from; d.startsWith(ROOT); d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (basename(d) !== 'node_modules' && existsSync(join(candidate, 'package.json'))) return candidate;
    if (d === ROOT) break;
  }
  return join(root, name);
}

async function packDependencies(dest: string): Promise<string[]> {
  const seen = new Set<string>();
  const root = join(ROOT, 'node_modules');
  const direct = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
  const queue = direct.map((name) => ({ name, from: ROOT }));
  const out: string[] = [];
  while (queue.length > 0) {
    const { name, from } = queue.shift()!;
    const dir = resolveDependency(name, from, root);
    if (seen.has(dir)) continue;
    seen.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    queue.push(...Object.keys(manifest.dependencies ?? {}).map((dep) => ({ name: dep, from: dir })));
    const [info] = JSON.parse(await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest, dir], dest)) as { filename: string }[];
    out.push(join(dest, info!.filename));
  }
  return out;
}

/** The same consumer as an ES module and as CommonJS: only the loading lines differ. */
function consumer(kind: 'esm' | 'cjs'): string {
  const load =
    kind === 'esm'
      ? `import * as rc from '${NAME}';\nimport * as portable from '${NAME}/browser';\nimport schema from '${NAME}/schema.json' with { type: 'json' };`
      : `const rc = require('${NAME}');\nconst portable = require('${NAME}/browser');\nconst schema = require('${NAME}/schema.json');`;
  const resolved = kind === 'esm' ? `import.meta.resolve('${NAME}')` : `require.resolve('${NAME}')`;
  return `
${load}
const table = { '/api/users/*': 'https://users-service.com', '/u/:id': 'https://u.svc/v2/:id', '/*': 'https://default.com' };
const router = rc.compile(table, { codegen: false }); // auto: native whenever it loads once codegen is off
const m = router.match('/api/users/42');
let nativeChoice;
try { nativeChoice = rc.compile({ '/probe': 'http://probe.invalid' }, { backend: 'native' }).backend; } catch (e) { nativeChoice = 'unavailable: ' + e.message; }
console.log(JSON.stringify({
  backend: router.backend,
  match: { pattern: m.pattern, remainder: m.remainder, url: router.url(m, 'x=1') },
  params: router.match('/u/7').params,
  miss: rc.compile({ '/a': 'https://a.example' }).match('/b'),
  valid: rc.validateRoutes(table).valid,
  invalid: rc.validateRoutes({ api: 'ftp://x' }).errors.map((e) => e.code),
  normalized: rc.normalizePath('/a//../b?q=1'),
  nativeChoice,
  portableBackend: portable.compile(table, { codegen: false }).backend,
  schemaSame: JSON.stringify(schema) === JSON.stringify(rc.routesJsonSchema),
  exports: ['createFastifyPlugin', 'createExpressMiddleware', 'createHonoMiddleware', 'createGateway', 'createFetchHandler', 'routesJsonSchema', 'parseRoutesOption'].map((n) => typeof rc[n]),
  from: ${resolved},
  identity: identity(),
}));

/** The two entries are one module graph: every value ./browser exports is the main entry's. */
function identity() {
  const shared = Object.keys(portable).filter((k) => k !== 'default' && k !== '__esModule');
  const thrown = {};
  for (const [via, own, other] of [['browser', portable, rc], ['main', rc, portable]]) {
    try {
      own.compile({ api: 'ftp://x' });
      thrown[via] = 'nothing thrown';
    } catch (e) {
      thrown[via] = { ownClass: e instanceof own.RoutesValidationError, otherClass: e instanceof other.RoutesValidationError };
    }
  }
  return {
    shared: shared.length,
    differing: shared.filter((k) => portable[k] !== rc[k]),
    sameCompile: portable.compile === rc.compile,
    sameErrorClass: portable.RoutesValidationError === rc.RoutesValidationError,
    thrown,
  };
}
`;
}
const ESM_CONSUMER = consumer('esm');
const CJS_CONSUMER = consumer('cjs');

/** A TypeScript consumer of the main entry's types (compiled as CommonJS and as an ES module). */
const TS_CONSUMER = `
import { compile, validateRoutes, routesJsonSchema, createFastifyPlugin, createExpressMiddleware, RoutesValidationError } from '${NAME}';
import type { Routes, RouteValue, RouteMatch, RouteIssue, IssueCode, ValidationResult, Router, CompileOptions, JsonSchema, NodeAdapterOptions } from '${NAME}';
const routes: Routes = { '/a/*': 'https://a.example' };
const target: RouteValue = routes['/a/*']!;
const options: CompileOptions = { caseSensitive: false, backend: 'js' };
const router: Router = compile(routes, options);
const match: RouteMatch | null = router.match('/a/b');
const remainder: string | undefined = match?.remainder;
const result: ValidationResult = validateRoutes(routes);
const issues: RouteIssue[] = result.errors;
const codes: IssueCode[] = issues.map((i) => i.code);
const schema: JsonSchema = routesJsonSchema;
const adapter: NodeAdapterOptions = { routes };
const err: RoutesValidationError | null = null;
export const all = [target, remainder, codes, schema, adapter, err, createFastifyPlugin, createExpressMiddleware];
`;

/** The portable entry's types, compiled for a browser: no Node types, the DOM library. */
const BROWSER_TS_CONSUMER = `
import { compile, validateRoutes, normalizePath, buildForwardUrl, routesJsonSchema } from '${NAME}/browser';
import type { Routes, RouteMatch, RouteIssue, NormalizeResult } from '${NAME}/browser';
const routes: Routes = { '/a/*': 'https://a.example' };
const n: NormalizeResult = normalizePath(location.pathname);
const m: RouteMatch | null = n.ok ? compile(routes).match(n.path) : null;
const issues: RouteIssue[] = validateRoutes(routes).errors;
document.title = m ? buildForwardUrl(m, '') : String(issues.length) + String(routesJsonSchema.title);
`;

function tsc(cwd: string, args: string[]): Promise<string> {
  return run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), ...args], cwd);
}

async function consume(dir: string, file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await run(process.execPath, [file], dir, { ROUTING_CORE_BACKEND: '', ROUTING_CORE_NATIVE_PATH: '' })) as Record<string, unknown>;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'routing-core-package-'));
  // A copy of the project (sources, configs, the built addon), sharing node_modules.
  const pkg = join(work, 'pkg');
  const skip = new Set(['.git', 'dist', 'native/target', '.vitest-cache']);
  // Of the benchmark results, only the report the README links to (a run may be writing the rest).
  const skipped = (rel: string) => skip.has(rel) || (rel.startsWith('bench/results/') && rel !== 'bench/results/latest.md');
  cpSync(ROOT, pkg, { recursive: true, filter: (src) => !skipped(relative(ROOT, src)) && !src.endsWith('/node_modules') });
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  await run('npm', ['run', 'build:ts'], pkg);
  packed = (JSON.parse(await run('npm', ['pack', '--json', ...PACK_FLAGS, '--pack-destination', work], pkg)) as (typeof packed)[])[0]!;
  tarball = join(work, packed.filename);
  const deps = join(work, 'deps');
  mkdirSync(deps);
  const depTarballs = await packDependencies(deps);

  // A fresh project installs the tarball offline, from an empty cache, with scripts on: npm
  // runs no `prepare` for a tarball (it would fail here: no sources, no tsup, no cargo).
  withNative = join(work, 'consumer');
  mkdirSync(withNative);
  writeFileSync(join(withNative, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  await run('npm', ['install', '--offline', '--cache', join(work, 'empty-cache'), ...NPM_FLAGS, tarball, ...depTarballs], withNative);
  for (const [file, text] of [
    ['esm.mjs', ESM_CONSUMER],
    ['cjs.cjs', CJS_CONSUMER],
    ['check.ts', TS_CONSUMER],
    ['check.mts', TS_CONSUMER],
    ['browser-check.ts', BROWSER_TS_CONSUMER],
  ] as const) {
    writeFileSync(join(withNative, file), text);
  }
  // The same install with the addon deleted: what a platform without a prebuilt binary gets.
  withoutNative = join(work, 'consumer-js');
  cpSync(withNative, withoutNative, { recursive: true });
  const bindings = join(withoutNative, 'node_modules', NAME, 'bindings');
  for (const f of readdirSync(bindings)) if (f.endsWith('.node')) rmSync(join(bindings, f));
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds only what a consumer needs: the builds, the types, the native loader and addon, the schema', () => {
    const files = packed.files.map((f) => f.path).sort();
    expect(files.filter((f) => !ALLOWED.test(f))).toEqual([]);
    for (const f of REQUIRED) expect(files).toContain(f);
    expect(files.filter((f) => f.endsWith('.node')).length, 'no native addon in bindings/: run `npm run build:native`').toBeGreaterThanOrEqual(1);
    // The CLI's 1 MB source map stays out (package.json `files`): a library consumer debugs the library's maps, not the CLI's.
    expect(packed.size).toBeLessThan(2 * 1024 * 1024);
    expect(files).not.toContain('dist/cli.js.map');
    const manifest = JSON.parse(readFileSync(join(withNative, 'node_modules', NAME, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ type: 'module', sideEffects: false, main: './dist/index.cjs', types: './dist/index.d.ts' });
    expect(Object.keys(manifest.exports as object)).toEqual(expect.arrayContaining(['.', './browser', './schema.json', './bindings', './package.json']));
  });

  it('publint reports nothing, not even a suggestion', async () => {
    const data = readFileSync(tarball);
    const { messages, pkg } = await publint({
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer },
      level: 'suggestion',
      strict: true,
    });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg)}`)).toEqual([]);
  });

  it('arethetypeswrong finds no problem in any entry point and resolution mode', async () => {
    const attw = join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    // Every entry point, ./bindings (the CommonJS addon loader) included.
    // ./editor is ESM-only on purpose (Lit has no CommonJS build): excluded, as in `npm run check:package`.
    const out = await run(process.execPath, [attw, tarball, '--format', 'json', '--no-definitely-typed', '--exclude-entrypoints', './editor'], work);
    const report = JSON.parse(out) as { problems: Record<string, unknown[]>; analysis: { entrypoints: Record<string, unknown> } };
    expect(report.problems).toEqual({});
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual(['.', './bindings', './browser', './package.json', './schema.json']);
  });

  describe.each([
    { name: 'native addon present', dir: () => withNative, backend: 'native' },
    { name: 'native addon deleted', dir: () => withoutNative, backend: 'js' },
  ])('installed, $name', ({ dir, backend }) => {
    for (const file of ['esm.mjs', 'cjs.cjs']) {
      it(`${file}: compile, match, URLs, validation and normalization, on the ${backend} backend`, async () => {
        const out = await consume(dir(), file);
        expect(out).toMatchObject({
          backend,
          match: { pattern: '/api/users/*', remainder: '/42', url: 'https://users-service.com/42?x=1' },
          params: { id: '7' },
          miss: null,
          valid: true,
          invalid: ['pattern-no-leading-slash'],
          normalized: { ok: true, path: '/b', query: 'q=1' },
          portableBackend: backend,
          schemaSame: true,
          exports: ['function', 'function', 'function', 'function', 'function', 'object', 'function'],
        });
        expect(String(out.from)).toContain(join('node_modules', NAME, 'dist', file === 'esm.mjs' ? 'index.js' : 'index.cjs'));
        if (backend === 'native') expect(out.nativeChoice).toBe('native');
        else expect(out.nativeChoice).toMatch(/^unavailable: .*not built for linux-x64.*build:native/);
      });

      it(`${file}: '.' and './browser' share one module graph (one compile, one RoutesValidationError)`, async () => {
        const { identity } = (await consume(dir(), file)) as { identity: { shared: number } };
        expect(identity.shared).toBeGreaterThan(10);
        expect(identity).toEqual({
          shared: identity.shared,
          differing: [],
          sameCompile: true,
          sameErrorClass: true,
          // an error thrown through one entry is an instance of the other entry's class
          thrown: { browser: { ownClass: true, otherClass: true }, main: { ownClass: true, otherClass: true } },
        });
      });
    }
  });

  it('the shipped Markdown links only to files the package holds (so they work installed and on GitHub)', () => {
    const pkgDir = join(withNative, 'node_modules', NAME);
    const docs = packed.files.map((f) => f.path).filter((f) => f.endsWith('.md'));
    expect(docs).toEqual(expect.arrayContaining(['README.md', 'docs/cli.md', 'examples/README.md']));
    const broken: string[] = [];
    let checked = 0;
    for (const doc of docs) {
      const text = readFileSync(join(pkgDir, doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target!) || target!.startsWith('#')) continue; // absolute URL or anchor
        checked++;
        const file = join(pkgDir, dirname(doc), target!.replace(/#.*$/, ''));
        if (!existsSync(file)) broken.push(`${doc}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it("docs/cli.md's example commands run from the installed package and print what the guide shows", async () => {
    const pkgDir = join(withNative, 'node_modules', NAME);
    const guide = readFileSync(join(pkgDir, 'docs', 'cli.md'), 'utf8');
    // `$ af-routes <args>` lines of the guide's transcripts, with the first line they print.
    const examples = [...guide.matchAll(/^\$ af-routes (.+)\n(.+)$/gm)].map(([, args, first]) => ({
      args: [...args!.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!),
      first: first!,
    }));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    const bin = join(pkgDir, 'dist', 'cli.js');
    for (const { args, first } of examples) {
      const { stdout, stderr } = await exec(process.execPath, [bin, ...args], { cwd: pkgDir }).catch((e: { code: number; stdout: string; stderr: string }) => {
        expect(e.code, `af-routes ${args.join(' ')}: ${e.stderr}`).toBe(1); // an invalid table, as shown
        return e;
      });
      expect((stdout + stderr).split('\n')[0], `af-routes ${args.join(' ')}`).toBe(first);
    }
  });

  it('type-checks for TypeScript consumers: CommonJS and ES module (node16), bundler, and the browser entry without Node types', async () => {
    const dir = withNative;
    const config = (name: string, compilerOptions: Record<string, unknown>, files: string[]) =>
      writeFileSync(join(dir, name), JSON.stringify({ compilerOptions: { noEmit: true, strict: true, target: 'es2022', ...compilerOptions }, files }));
    const nodeTypes = { types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] };
    // Our declarations checked in full (skipLibCheck off), as CommonJS (check.ts) and as an ES module (check.mts).
    config('tsconfig.node16.json', { module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: false, ...nodeTypes }, ['check.ts', 'check.mts']);
    config('tsconfig.bundler.json', { module: 'esnext', moduleResolution: 'bundler', skipLibCheck: true, ...nodeTypes }, ['check.ts']);
    // The browser entry's declarations stand alone: no Node types at all, the DOM library.
    config('tsconfig.browser.json', { module: 'esnext', moduleResolution: 'bundler', skipLibCheck: false, types: [], lib: ['es2022', 'dom'] }, ['browser-check.ts']);
    config('tsconfig.wrong.json', { module: 'esnext', moduleResolution: 'bundler', skipLibCheck: true, types: [] }, ['wrong.ts']);
    writeFileSync(join(dir, 'wrong.ts'), `import type { Routes } from '${NAME}/browser';\nexport const r: Routes = { '/a': 42 };\n`);
    await Promise.all([tsc(dir, ['-p', 'tsconfig.node16.json']), tsc(dir, ['-p', 'tsconfig.bundler.json']), tsc(dir, ['-p', 'tsconfig.browser.json'])]);
    // and a type error is reported (the checks are not vacuous)
    await expect(tsc(dir, ['-p', 'tsconfig.wrong.json'])).rejects.toThrow(/TS2322/);
  }, 240_000);

  it('the installed ./browser entry bundles for the browser platform with no Node built-in', async () => {
    const entry = join(withNative, 'browser-entry.mjs');
    writeFileSync(entry, `import { compile } from '${NAME}/browser';\nexport const backend = compile({ '/a/*': 'https://a.example' }).backend;\n`);
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: withNative,
    });
    const inputs = Object.keys(out.metafile.inputs);
    expect(inputs.some((p) => p.includes(join(NAME, 'dist/browser.js')))).toBe(true);
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => 'node:' + m)]);
    expect(
      Object.values(out.metafile.inputs)
        .flatMap((i) => i.imports.map((x) => x.path))
        .filter((p) => builtins.has(p)),
    ).toEqual([]);
    // Its CommonJS build too: dist/browser.cjs and the shared chunks it requires load no built-in.
    const seen = new Set<string>();
    const required: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\(["']([^"']+)["']\)/g)) {
        if (spec!.startsWith('./')) visit(join(dirname(file), spec!));
        else required.push(spec!);
      }
    };
    visit(join(withNative, 'node_modules', NAME, 'dist', 'browser.cjs'));
    expect(seen.size, 'browser.cjs loads a shared chunk').toBeGreaterThan(1);
    expect(required.filter((p) => builtins.has(p))).toEqual([]);
    expect(existsSync(join(withNative, 'node_modules', NAME, 'src', 'schema', 'routes.schema.json'))).toBe(true);
  });
});
