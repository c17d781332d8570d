/**
 * Where a command's route table comes from: the `<routes>` argument is a JSON string, a path
 * to a JSON file, a path to an af.config.ts/js/json, or a directory holding one.
 */
import { stat } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { ConfigError, findConfigFile, isConfigFileName, loadRoutesFromConfigFile, CONFIG_FILE_NAMES } from '../config/af-config.js';
import { parseRoutesOptionDetailed, RoutesOptionError } from '../config/routes-option.js';
import { CONFIG_CODES, UsageError } from './errors.js';

export interface RoutesSource {
  kind: 'inline' | 'json-file' | 'config';
  /** For messages: "inline JSON", "examples/seed.json", "af.config.ts (function api)". */
  label: string;
  /** The file to watch for changes (absolute), when there is one. */
  file?: string;
  /** The function name given with --function (config sources). */
  functionName?: string;
  /** Reads the table now (again, for a reload). Throws UsageError when it cannot. */
  load(): Promise<unknown>;
}

function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

function asUsage(e: unknown): never {
  if (e instanceof ConfigError) throw new UsageError(e.message, CONFIG_CODES[e.code]);
  if (e instanceof RoutesOptionError) throw new UsageError(e.message, 'routes-unreadable');
  throw e;
}

function configSource(file: string, functionName: string | undefined): RoutesSource {
  const label = display(file);
  const source: RoutesSource = {
    kind: 'config',
    label,
    file,
    ...(functionName !== undefined ? { functionName } : {}),
    async load() {
      try {
        const loaded = await loadRoutesFromConfigFile(file, functionName);
        if (loaded.functionName !== undefined) source.label = `${label} (function "${loaded.functionName}")`;
        return loaded.routes;
      } catch (e) {
        return asUsage(e);
      }
    },
  };
  return source;
}

/** Resolves `<routes>`; `undefined` means the af.config.* of the working directory. */
export async function resolveSource(arg: string | undefined, functionName: string | undefined): Promise<RoutesSource> {
  const value = arg ?? '.';
  let isDir = false;
  let isFile = false;
  try {
    const s = await stat(value);
    isDir = s.isDirectory();
    isFile = s.isFile();
  } catch {
    // Not a path: JSON, or a file that does not exist (parseRoutesOption says so).
  }
  if (isDir) {
    const file = await findConfigFile(value);
    if (file === null) {
      throw new UsageError(`No ${CONFIG_FILE_NAMES.join(', ')} in ${resolve(value)}`, 'config-not-found');
    }
    return configSource(file, functionName);
  }
  if (isFile && isConfigFileName(value)) return configSource(resolve(value), functionName);
  if (functionName !== undefined) {
    throw new UsageError('--function applies to an af.config.ts/js/json (or a directory holding one), not to a JSON table');
  }
  let first: Awaited<ReturnType<typeof parseRoutesOptionDetailed>>;
  try {
    first = await parseRoutesOptionDetailed(value);
  } catch (e) {
    return asUsage(e);
  }
  if (first.file === undefined) {
    const routes = first.routes;
    return { kind: 'inline', label: 'inline JSON', load: async () => routes };
  }
  const file = resolve(first.file);
  let initial: { routes: unknown } | null = first;
  return {
    kind: 'json-file',
    label: display(file),
    file,
    async load() {
      if (initial) {
        const { routes } = initial;
        initial = null;
        return routes;
      }
      try {
        return (await parseRoutesOptionDetailed(file)).routes;
      } catch (e) {
        if (e instanceof RoutesOptionError) throw new UsageError(`Cannot read ${display(file)}: ${e.fileError}`, 'routes-unreadable');
        throw e;
      }
    },
  };
}
