/**
 * The `af` CLI helpers, from the library entry: `parseRoutesOption` and
 * `loadRoutesFromConfig` (af.config.ts/js/json of each shape, and each failure mode).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadRoutesFromConfig, parseRoutesOption, RoutesOptionError } from '../src/index.js';

const SEED = {
  '/api/users/*': 'https://users-service.com',
  '/api/products/*': 'https://products-service.com',
  '/*': 'https://default.com',
};
const OTHER = { '/blog/*': 'https://blog.example.com' };

let root: string;
let n = 0;

/** A fresh directory holding the given files. */
async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = join(root, `case-${++n}`);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  const e = await p.then(
    () => {
      throw new Error('expected a ConfigError');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConfigError);
  return e as ConfigError;
}

const ROOT_CONFIG = {
  sites: [],
  functions: [
    { name: 'api', type: 'function', routes: SEED },
    { name: 'web', type: 'function', routes: OTHER },
  ],
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'af-config-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('parseRoutesOption', () => {
  it('parses a JSON string', async () => {
    expect(await parseRoutesOption(JSON.stringify(SEED))).toEqual(SEED);
    expect(await parseRoutesOption('  {"/a": "https://a.svc"}\n')).toEqual({ '/a': 'https://a.svc' });
  });

  it('reads a path to a JSON file when the value is not JSON', async () => {
    const dir = await dirWith({ 'routes.json': JSON.stringify(SEED) });
    expect(await parseRoutesOption(join(dir, 'routes.json'))).toEqual(SEED);
  });

  it("returns any JSON value unvalidated (validation is the caller's next step)", async () => {
    expect(await parseRoutesOption('[1, 2]')).toEqual([1, 2]);
    expect(await parseRoutesOption('null')).toBeNull();
  });

  it('says why the JSON failed and why the file failed', async () => {
    const e = await parseRoutesOption('{"/a": oops}').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(RoutesOptionError);
    expect(e).toMatchObject({ name: 'RoutesOptionError', code: 'ERR_ROUTES_OPTION' }); // Node-style, as every Error subclass's code
    const lines = (e as Error).message.split('\n');
    expect(lines[0]).toBe('Failed to parse routes. Expected JSON string or path to JSON file.');
    expect(lines[1]).toMatch(/^JSON parse error: .*JSON/);
    expect(lines[2]).toBe('File read error: no such file "{"/a": oops}"');
  });

  it('names a file that is not valid JSON', async () => {
    const dir = await dirWith({ 'routes.json': '{ "/a": "https://a.svc", }' });
    const file = join(dir, 'routes.json');
    const e = (await parseRoutesOption(file).catch((err: unknown) => err)) as RoutesOptionError;
    expect(e.message).toMatch(/^Failed to parse routes\. Expected JSON string or path to JSON file\.\nJSON parse error: /);
    expect(e.fileError).toContain(`"${file}" is not valid JSON`);
  });

  it('names a directory given as the file', async () => {
    const dir = await dirWith({});
    const e = (await parseRoutesOption(dir).catch((err: unknown) => err)) as RoutesOptionError;
    expect(e.fileError).toBe(`"${dir}" is a directory, not a JSON file`);
  });
});

describe('loadRoutesFromConfig: shapes', () => {
  it('af.config.ts, root { functions } shape, picked by name', async () => {
    const dir = await dirWith({ 'af.config.ts': `export default ${JSON.stringify(ROOT_CONFIG)};` });
    const api = await loadRoutesFromConfig(dir, 'api');
    expect(api).toMatchObject({ file: join(dir, 'af.config.ts'), functionName: 'api', routes: SEED });
    expect(api.functionConfig).toMatchObject({ name: 'api', type: 'function' });
    expect((await loadRoutesFromConfig(dir, 'web')).routes).toEqual(OTHER);
  });

  it('af.config.ts with TypeScript syntax (types, interfaces, satisfies, enums)', async () => {
    const dir = await dirWith({
      'af.config.ts': `
        interface Fn { name: string; type: 'function'; routes?: Record<string, string> }
        enum Env { Prod = 'https://users-service.com' }
        const routes: Record<string, string> = { '/api/users/*': Env.Prod };
        const config = { functions: [{ name: 'api', type: 'function', routes } as Fn] } satisfies { functions: Fn[] };
        export default config;
      `,
    });
    expect((await loadRoutesFromConfig(dir)).routes).toEqual({ '/api/users/*': 'https://users-service.com' });
  });

  it('af.config.ts, flat { name, type, routes } shape', async () => {
    const dir = await dirWith({ 'af.config.ts': `export default { name: 'api', type: 'function', routes: ${JSON.stringify(SEED)} };` });
    expect(await loadRoutesFromConfig(dir)).toMatchObject({ functionName: 'api', routes: SEED });
    expect((await loadRoutesFromConfig(dir, 'api')).routes).toEqual(SEED);
  });

  it('a default export that is a function, an async function or a promise', async () => {
    const body = `{ name: 'api', type: 'function', routes: ${JSON.stringify(SEED)} }`;
    for (const exported of [`() => (${body})`, `async () => (${body})`, `Promise.resolve(${body})`, `function () { return ${body}; }`]) {
      const dir = await dirWith({ 'af.config.ts': `export default ${exported};` });
      expect((await loadRoutesFromConfig(dir)).routes, exported).toEqual(SEED);
    }
  });

  it('af.config.js as an ES module and as CommonJS', async () => {
    const esm = await dirWith({ 'af.config.js': `export default ${JSON.stringify(ROOT_CONFIG)};` });
    expect((await loadRoutesFromConfig(esm, 'web')).routes).toEqual(OTHER);
    const cjs = await dirWith({ 'af.config.js': `module.exports = ${JSON.stringify({ name: 'api', type: 'function', routes: SEED })};` });
    expect((await loadRoutesFromConfig(cjs)).routes).toEqual(SEED);
  });

  it('af.config.json, root and flat shapes', async () => {
    const rootShape = await dirWith({ 'af.config.json': JSON.stringify(ROOT_CONFIG) });
    expect((await loadRoutesFromConfig(rootShape, 'api')).routes).toEqual(SEED);
    const flat = await dirWith({ 'af.config.json': JSON.stringify({ name: 'api', type: 'function', routes: SEED }) });
    expect(await loadRoutesFromConfig(flat)).toMatchObject({ file: join(flat, 'af.config.json'), functionName: 'api', routes: SEED });
  });

  it('reads .ts first, then .js, then .json', async () => {
    const flat = (routes: object) => JSON.stringify({ type: 'function', routes });
    const all = await dirWith({
      'af.config.ts': `export default ${flat({ '/ts': 'https://ts.svc' })};`,
      'af.config.js': `export default ${flat({ '/js': 'https://js.svc' })};`,
      'af.config.json': flat({ '/json': 'https://json.svc' }),
    });
    expect((await loadRoutesFromConfig(all)).routes).toEqual({ '/ts': 'https://ts.svc' });
    const jsAndJson = await dirWith({
      'af.config.js': `export default ${flat({ '/js': 'https://js.svc' })};`,
      'af.config.json': flat({ '/json': 'https://json.svc' }),
    });
    expect((await loadRoutesFromConfig(jsAndJson)).routes).toEqual({ '/js': 'https://js.svc' });
  });

  it('a single function is used without a name; a function without routes has routes undefined', async () => {
    const one = await dirWith({ 'af.config.json': JSON.stringify({ functions: [{ name: 'only', type: 'function', routes: SEED }] }) });
    expect(await loadRoutesFromConfig(one)).toMatchObject({ functionName: 'only', routes: SEED });
    const none = await dirWith({ 'af.config.json': JSON.stringify({ functions: [{ name: 'plain', type: 'function' }] }) });
    const loaded = await loadRoutesFromConfig(none);
    expect(loaded.functionName).toBe('plain');
    expect(loaded.routes).toBeUndefined();
  });

  it('loads the file as it is now: no module cache across calls', async () => {
    const dir = await dirWith({ 'af.config.ts': `export default { type: 'function', routes: { '/v1': 'https://one.svc' } };` });
    expect((await loadRoutesFromConfig(dir)).routes).toEqual({ '/v1': 'https://one.svc' });
    await writeFile(join(dir, 'af.config.ts'), `export default { type: 'function', routes: { '/v2': 'https://two.svc' } };`);
    expect((await loadRoutesFromConfig(dir)).routes).toEqual({ '/v2': 'https://two.svc' });
  });
});

describe('loadRoutesFromConfig: failures name the file and the reason', () => {
  it('no config file', async () => {
    const dir = await dirWith({ 'package.json': '{}' });
    const e = await configError(loadRoutesFromConfig(dir));
    expect(e.code).toBe('ERR_CONFIG_NOT_FOUND');
    expect(e.name).toBe('ConfigError');
    expect(e.file).toBe(dir);
    expect(e.message).toContain('af.config.ts, af.config.js, af.config.json');
    expect(e.message).toContain(dir);
  });

  it('af.config.json that is not JSON', async () => {
    const dir = await dirWith({ 'af.config.json': '{ "functions": [ }' });
    const e = await configError(loadRoutesFromConfig(dir));
    expect(e.code).toBe('ERR_CONFIG_INVALID_JSON');
    expect(e.file).toBe(join(dir, 'af.config.json'));
    expect(e.message).toContain(join(dir, 'af.config.json'));
    expect(e.message).toMatch(/not valid JSON.*: .+/);
  });

  it('af.config.ts with a syntax error', async () => {
    const dir = await dirWith({ 'af.config.ts': 'export default { functions: [ ;' });
    const e = await configError(loadRoutesFromConfig(dir));
    expect(e.code).toBe('ERR_CONFIG_LOAD_FAILED');
    expect(e.message).toContain(`Failed to load ${join(dir, 'af.config.ts')}: `);
  });

  it('af.config.ts that throws while loading, or imports a missing module', async () => {
    const throws = await dirWith({ 'af.config.ts': "throw new Error('no secrets here');\nexport default {};" });
    const e1 = await configError(loadRoutesFromConfig(throws));
    expect(e1.code).toBe('ERR_CONFIG_LOAD_FAILED');
    expect(e1.message).toContain('no secrets here');
    const missing = await dirWith({ 'af.config.ts': "import { routes } from './routes-that-do-not-exist';\nexport default { type: 'function', routes };" });
    const e2 = await configError(loadRoutesFromConfig(missing));
    expect(e2.code).toBe('ERR_CONFIG_LOAD_FAILED');
    expect(e2.message).toContain('routes-that-do-not-exist');
  });

  it('a default export function that throws or rejects', async () => {
    for (const exported of ["() => { throw new Error('boom'); }", "async () => { throw new Error('boom'); }", "Promise.reject(new Error('boom'))"]) {
      const dir = await dirWith({ 'af.config.ts': `export default ${exported};` });
      const e = await configError(loadRoutesFromConfig(dir));
      expect(e.code, exported).toBe('ERR_CONFIG_LOAD_FAILED');
      expect(e.message).toContain(join(dir, 'af.config.ts'));
      expect(e.message).toContain('boom');
    }
  });

  it('a default export that is not an object, or no default export', async () => {
    for (const [text, what] of [
      ['export default [1, 2];', 'an array'],
      ['export default 42;', 'a number'],
      ['export default () => "routes";', 'a string'],
      ['export default null;', 'null'],
    ] as const) {
      const dir = await dirWith({ 'af.config.ts': text });
      const e = await configError(loadRoutesFromConfig(dir));
      expect(e.code, text).toBe('ERR_CONFIG_INVALID_SHAPE');
      expect(e.message).toContain(`not ${what}`);
    }
    const named = await dirWith({ 'af.config.ts': "export const functions = [{ name: 'api', routes: {} }];" });
    const e = await configError(loadRoutesFromConfig(named));
    expect(e.code).toBe('ERR_CONFIG_INVALID_SHAPE');
    expect(e.message).toBe(`${join(named, 'af.config.ts')} has no default export: export the config with "export default { ... }"`);
  });

  it('an object of neither shape, "functions" that is not an array, a non-function type', async () => {
    const neither = await dirWith({ 'af.config.json': JSON.stringify({ sites: [{ name: 'blog' }] }) });
    const e1 = await configError(loadRoutesFromConfig(neither));
    expect(e1.code).toBe('ERR_CONFIG_INVALID_SHAPE');
    expect(e1.message).toContain('neither "functions" nor "routes"');
    expect(e1.message).toContain('"sites"');
    const notArray = await dirWith({ 'af.config.json': JSON.stringify({ functions: { api: {} } }) });
    expect((await configError(loadRoutesFromConfig(notArray))).message).toContain('"functions" in');
    const entry = await dirWith({ 'af.config.json': JSON.stringify({ functions: ['api'] }) });
    expect((await configError(loadRoutesFromConfig(entry))).message).toContain('functions[0]');
    const site = await dirWith({ 'af.config.json': JSON.stringify({ name: 'blog', type: 'site', routes: SEED }) });
    const e4 = await configError(loadRoutesFromConfig(site));
    expect(e4.code).toBe('ERR_CONFIG_INVALID_SHAPE');
    expect(e4.message).toContain('type "site"');
  });

  it('several functions and no name; an unknown name; no functions', async () => {
    const dir = await dirWith({ 'af.config.json': JSON.stringify(ROOT_CONFIG) });
    const e1 = await configError(loadRoutesFromConfig(dir));
    expect(e1.code).toBe('ERR_CONFIG_FUNCTION_REQUIRED');
    expect(e1.message).toContain('2 functions ("api", "web")');
    const e2 = await configError(loadRoutesFromConfig(dir, 'billing'));
    expect(e2.code).toBe('ERR_CONFIG_FUNCTION_NOT_FOUND');
    expect(e2.message).toBe(`No function named "billing" in ${join(dir, 'af.config.json')}: it defines "api", "web"`);
    const empty = await dirWith({ 'af.config.json': JSON.stringify({ functions: [] }) });
    expect((await configError(loadRoutesFromConfig(empty))).code).toBe('ERR_CONFIG_FUNCTION_NOT_FOUND');
  });

  it('a flat config whose name is not the one asked for', async () => {
    const dir = await dirWith({ 'af.config.json': JSON.stringify({ name: 'api', type: 'function', routes: SEED }) });
    const e = await configError(loadRoutesFromConfig(dir, 'web'));
    expect(e.code).toBe('ERR_CONFIG_FUNCTION_NOT_FOUND');
    expect(e.message).toContain('it defines only "api"');
  });
});
