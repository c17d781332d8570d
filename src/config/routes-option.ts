/**
 * `parseRoutesOption(value)`: the `--routes` option of the `af` CLI and the `<routes>`
 * argument of `af-routes`. A JSON string first, then a path to a JSON file; when both fail,
 * the error says why each did (the wording of the existing `af` CLI).
 *
 * Part of the library entry (the `af` CLI imports it from there), used by `af-routes` too: no
 * CLI-only dependencies here.
 */
import { readFile } from 'node:fs/promises';

export const ROUTES_OPTION_ERROR = 'Failed to parse routes. Expected JSON string or path to JSON file.';

/**
 * Thrown by `parseRoutesOption` when the value is neither JSON nor a readable JSON file. Its
 * `code` is Node-style (`ERR_*`), as for every Error subclass of the library.
 */
export class RoutesOptionError extends Error {
  readonly code = 'ERR_ROUTES_OPTION';
  /** Why `JSON.parse(value)` failed. */
  readonly jsonError: string;
  /** Why reading `value` as a JSON file failed. */
  readonly fileError: string;
  constructor(jsonError: string, fileError: string) {
    super(`${ROUTES_OPTION_ERROR}\nJSON parse error: ${jsonError}\nFile read error: ${fileError}`);
    this.name = 'RoutesOptionError';
    this.jsonError = jsonError;
    this.fileError = fileError;
  }
}

export interface ParsedRoutesOption {
  /** The parsed JSON value (not validated: pass it to `validateRoutes` or `compile`). */
  routes: unknown;
  /** The file it was read from, when it was a path. */
  file?: string;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Like `parseRoutesOption`, and says whether the value was a file (for watching it). */
export async function parseRoutesOptionDetailed(value: string): Promise<ParsedRoutesOption> {
  if (typeof value !== 'string') {
    throw new RoutesOptionError(`expected a string, got ${value === null ? 'null' : typeof value}`, 'no path given');
  }
  let jsonError: string;
  try {
    return { routes: JSON.parse(value) };
  } catch (e) {
    jsonError = reason(e);
  }
  let text: string;
  try {
    text = await readFile(value, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `no such file "${value}"`
        : code === 'EISDIR'
          ? `"${value}" is a directory, not a JSON file`
          : code === 'ENAMETOOLONG'
            ? 'the value is too long to be a path'
            : reason(e);
    throw new RoutesOptionError(jsonError, why);
  }
  try {
    return { routes: JSON.parse(text), file: value };
  } catch (e) {
    throw new RoutesOptionError(jsonError, `"${value}" is not valid JSON: ${reason(e)}`);
  }
}

/**
 * Parses a routes option: a JSON string first, then a path to a JSON file (relative to the
 * working directory). Resolves to the parsed value, not yet validated. Rejects with a
 * `RoutesOptionError` whose message starts with
 * `Failed to parse routes. Expected JSON string or path to JSON file.` and gives both reasons.
 */
export async function parseRoutesOption(value: string): Promise<unknown> {
  return (await parseRoutesOptionDetailed(value)).routes;
}
