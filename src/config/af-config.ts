/**
 * `loadRoutesFromConfig(dir, functionName?)`: the routes of one function from an
 * `af.config.ts`, `af.config.js` or `af.config.json` (first found, in that order).
 *
 * Accepted shapes, after resolving the default export (an object, a function returning one,
 * or a promise of one; a `.json` file is the object itself):
 *   - root:  `{ functions: [{ name, type: 'function', routes }, ...], sites?: [...] }`
 *   - flat:  `{ name, type: 'function', routes }`
 *
 * Every failure throws a `ConfigError` that names the file and the reason; nothing is
 * swallowed into an empty result. Part of the library entry (the `af` CLI imports it from
 * there), used by `af-routes` too: `jiti` (for `.ts`/`.js`) is imported lazily, only when such
 * a file is loaded.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

export const CONFIG_FILE_NAMES = ['af.config.ts', 'af.config.js', 'af.config.json'] as const;

/** Why a config could not be used: `ConfigError.code`, Node-style like every Error subclass's. */
export type ConfigErrorCode =
  /** No af.config.ts/js/json in the directory. */
  | 'ERR_CONFIG_NOT_FOUND'
  /** The file exists but could not be read. */
  | 'ERR_CONFIG_UNREADABLE'
  /** af.config.json is not valid JSON. */
  | 'ERR_CONFIG_INVALID_JSON'
  /** af.config.ts/js failed to compile or threw while loading, or its default export function threw. */
  | 'ERR_CONFIG_LOAD_FAILED'
  /** The config is not one of the accepted shapes. */
  | 'ERR_CONFIG_INVALID_SHAPE'
  /** The named function is not in the config. */
  | 'ERR_CONFIG_FUNCTION_NOT_FOUND'
  /** Several functions and no name to choose one. */
  | 'ERR_CONFIG_FUNCTION_REQUIRED';

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  /** The config file (or, for `ERR_CONFIG_NOT_FOUND`, the directory searched). */
  readonly file: string;
  constructor(code: ConfigErrorCode, file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
    this.code = code;
    this.file = file;
  }
}

export interface ConfigRoutes {
  /** The config file read (absolute path). */
  file: string;
  /** The name of the function whose routes these are (when it has one). */
  functionName: string | undefined;
  /** The function's `routes` as written: not yet validated; `undefined` when it has none. */
  routes: unknown;
  /** The whole function entry of the config. */
  functionConfig: Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    return `an object of class ${(value as object).constructor?.name ?? 'unknown'}`;
  }
  return `a ${typeof value}`;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Is this path an af.config.* file name that `loadRoutesFromConfigFile` reads? */
export function isConfigFileName(path: string): boolean {
  return (CONFIG_FILE_NAMES as readonly string[]).includes(basename(path));
}

/** The first of af.config.ts, .js, .json in `dir`, or null. */
export async function findConfigFile(dir: string): Promise<string | null> {
  for (const name of CONFIG_FILE_NAMES) {
    const file = resolve(dir, name);
    try {
      if ((await stat(file)).isFile()) return file;
    } catch {
      // Not there: try the next name.
    }
  }
  return null;
}

/** The default export of an af.config.ts/js (`module.exports` for CommonJS). */
async function importDefault(file: string): Promise<unknown> {
  const { createJiti } = await import('jiti');
  // A fresh loader without caches, so a reload sees the file as it is now. interopDefault off:
  // the default export is taken here, so that one that is null or a promise stays what it is.
  const jiti = createJiti(file, { moduleCache: false, fsCache: false, interopDefault: false });
  const ns = (await jiti.import(file)) as Record<string, unknown> | null;
  if (ns !== null && typeof ns === 'object' && 'default' in ns) return ns.default;
  throw new ConfigError('ERR_CONFIG_INVALID_SHAPE', file, `${file} has no default export: export the config with "export default { ... }"`);
}

/** The config object a file exports (default export resolved; functions called; promises awaited). */
export async function readConfigFile(file: string): Promise<unknown> {
  const name = basename(file);
  if (file.endsWith('.json')) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new ConfigError('ERR_CONFIG_UNREADABLE', file, `Cannot read ${file}: ${reason(e)}`, { cause: e });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new ConfigError('ERR_CONFIG_INVALID_JSON', file, `${name} is not valid JSON (${file}): ${reason(e)}`, { cause: e });
    }
  }
  try {
    await readFile(file);
  } catch (e) {
    throw new ConfigError('ERR_CONFIG_UNREADABLE', file, `Cannot read ${file}: ${reason(e)}`, { cause: e });
  }
  let value: unknown;
  try {
    value = await importDefault(file);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError('ERR_CONFIG_LOAD_FAILED', file, `Failed to load ${file}: ${reason(e)}`, { cause: e });
  }
  try {
    if (typeof value === 'function') value = await (value as () => unknown)();
    else value = await value;
  } catch (e) {
    throw new ConfigError('ERR_CONFIG_LOAD_FAILED', file, `The default export of ${file} failed: ${reason(e)}`, { cause: e });
  }
  return value;
}

const SHAPES = "expected { functions: [{ name, type: 'function', routes }] } or { name, type: 'function', routes }";

/** Picks the function and its routes from a config object read from `file`. */
export function selectFunction(config: unknown, file: string, functionName?: string): ConfigRoutes {
  if (!isPlainObject(config)) {
    throw new ConfigError('ERR_CONFIG_INVALID_SHAPE', file, `${file} must export an object (${SHAPES}), not ${describe(config)}`);
  }
  if ('functions' in config) {
    const functions = config.functions;
    if (!Array.isArray(functions)) {
      throw new ConfigError('ERR_CONFIG_INVALID_SHAPE', file, `"functions" in ${file} must be an array, not ${describe(functions)}`);
    }
    functions.forEach((fn, i) => {
      if (!isPlainObject(fn)) {
        throw new ConfigError('ERR_CONFIG_INVALID_SHAPE', file, `functions[${i}] in ${file} must be an object, not ${describe(fn)}`);
      }
    });
    const entries = functions as Record<string, unknown>[];
    const names = entries.map((fn) => (typeof fn.name === 'string' ? fn.name : '(unnamed)'));
    if (functionName !== undefined) {
      const found = entries.find((fn) => fn.name === functionName);
      if (!found) {
        const known = names.length ? `it defines ${names.map((n) => `"${n}"`).join(', ')}` : 'it defines no functions';
        throw new ConfigError('ERR_CONFIG_FUNCTION_NOT_FOUND', file, `No function named "${functionName}" in ${file}: ${known}`);
      }
      return { file, functionName, routes: found.routes, functionConfig: found };
    }
    if (entries.length === 0) {
      throw new ConfigError('ERR_CONFIG_FUNCTION_NOT_FOUND', file, `${file} defines no functions ("functions" is empty)`);
    }
    if (entries.length > 1) {
      throw new ConfigError(
        'ERR_CONFIG_FUNCTION_REQUIRED',
        file,
        `${file} defines ${entries.length} functions (${names.map((n) => `"${n}"`).join(', ')}): name the one whose routes to use (af-routes: --function <name>)`,
      );
    }
    const only = entries[0]!;
    return { file, functionName: typeof only.name === 'string' ? only.name : undefined, routes: only.routes, functionConfig: only };
  }
  const looksLikeFunction = 'routes' in config || config.type === 'function';
  if (!looksLikeFunction) {
    const keys = Object.keys(config);
    throw new ConfigError(
      'ERR_CONFIG_INVALID_SHAPE',
      file,
      `${file} has neither "functions" nor "routes" (${SHAPES}; found ${keys.length ? keys.map((k) => `"${k}"`).join(', ') : 'an empty object'})`,
    );
  }
  if (config.type !== undefined && config.type !== 'function') {
    throw new ConfigError('ERR_CONFIG_INVALID_SHAPE', file, `${file} has type ${JSON.stringify(config.type)}; a function config has type "function"`);
  }
  const own = typeof config.name === 'string' ? config.name : undefined;
  if (functionName !== undefined && own !== functionName) {
    throw new ConfigError(
      'ERR_CONFIG_FUNCTION_NOT_FOUND',
      file,
      `No function named "${functionName}" in ${file}: it defines ${own === undefined ? 'one function without a name' : `only "${own}"`}`,
    );
  }
  return { file, functionName: own, routes: config.routes, functionConfig: config };
}

/** The routes of one function from a given af.config.ts/js/json file. */
export async function loadRoutesFromConfigFile(file: string, functionName?: string): Promise<ConfigRoutes> {
  const abs = resolve(file);
  return selectFunction(await readConfigFile(abs), abs, functionName);
}

/**
 * The routes of one function from the first of `af.config.ts`, `af.config.js`,
 * `af.config.json` in `dir`. With several functions, `functionName` picks one (required
 * then); with one, it is checked when given. Resolves to the function's `routes` as
 * written (not yet validated; `undefined` when the function has none), the file read and
 * the function entry. Rejects with a `ConfigError` (`code`, `file`, a message naming both).
 */
export async function loadRoutesFromConfig(dir: string, functionName?: string): Promise<ConfigRoutes> {
  const abs = resolve(dir);
  const file = await findConfigFile(abs);
  if (file === null) {
    throw new ConfigError('ERR_CONFIG_NOT_FOUND', abs, `No ${CONFIG_FILE_NAMES.join(', ')} in ${join(abs, '')}`);
  }
  return loadRoutesFromConfigFile(file, functionName);
}
