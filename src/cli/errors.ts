/**
 * The errors `af-routes` reports as unusable input (exit code 2), and their codes. With `--json`
 * they are printed as `{ "valid": false, "error": { "code", "message" } }`: the codes are
 * kebab-case like every issue and JSON error-body code of the project (an Error subclass's own
 * `.code` is Node-style, `ERR_*`). docs/cli.md lists every one (test/cli-bin.test.ts checks it).
 */
import type { ConfigErrorCode } from '../config/af-config.js';

export const CLI_ERROR_CODES = [
  /** A command line that cannot be used: unknown command or option, missing argument, bad or busy --port. */
  'usage',
  /** `<routes>` is neither JSON nor a readable JSON file (`RoutesOptionError`). */
  'routes-unreadable',
  /** The af.config.* codes of `ConfigError`, in kebab-case (`CONFIG_CODES` below). */
  'config-not-found',
  'config-unreadable',
  'config-invalid-json',
  'config-load-failed',
  'config-invalid-shape',
  'function-not-found',
  'function-required',
] as const;

export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];

/** `ConfigError.code` → the CLI's code (a Record: a new ConfigError code cannot be forgotten). */
export const CONFIG_CODES: Readonly<Record<ConfigErrorCode, CliErrorCode>> = {
  ERR_CONFIG_NOT_FOUND: 'config-not-found',
  ERR_CONFIG_UNREADABLE: 'config-unreadable',
  ERR_CONFIG_INVALID_JSON: 'config-invalid-json',
  ERR_CONFIG_LOAD_FAILED: 'config-load-failed',
  ERR_CONFIG_INVALID_SHAPE: 'config-invalid-shape',
  ERR_CONFIG_FUNCTION_NOT_FOUND: 'function-not-found',
  ERR_CONFIG_FUNCTION_REQUIRED: 'function-required',
};

/** Input that cannot be used at all (exit code 2). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly code: CliErrorCode = 'usage',
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
