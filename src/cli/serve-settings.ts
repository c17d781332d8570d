/**
 * What `af-routes serve` runs with, from its flags: local development by default, or
 * `--production`, which changes these defaults (each still overridable by its own flag):
 *
 * | setting        | development        | --production                         |
 * | outbound policy| off                | on (`--allow-private-networks` turns it off) |
 * | error bodies   | show the target URL| never show it                        |
 * | access log     | text               | json                                 |
 * | workers        | 1                  | the available cores                  |
 * | drain on stop  | 5 s                | 10 s (`--drain-timeout`)             |
 */
import { availableParallelism } from 'node:os';
import { accessLogMode, type AccessLogMode } from './access-log.js';
import { UsageError } from './errors.js';

export interface ServeSettingsFlags {
  production?: boolean | undefined;
  workers?: string | undefined;
  'access-log'?: string | undefined;
  'admin-port'?: string | undefined;
  'admin-host'?: string | undefined;
  'drain-timeout'?: string | undefined;
  'allow-private-networks'?: boolean | undefined;
}

export interface ServeSettings {
  production: boolean;
  workers: number;
  accessLog: AccessLogMode;
  /** The admin server's port, or undefined: no admin server and no metrics SDK. */
  adminPort: number | undefined;
  adminHost: string;
  drainMs: number;
  blockPrivateNetworks: boolean;
  exposeTargets: boolean;
}

/** Most workers accepted: beyond this, processes cost more than they serve. */
const MAX_WORKERS = 256;

function integer(flag: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, not "${value}"`);
  return Number(value);
}

export function serveSettings(flags: ServeSettingsFlags): ServeSettings {
  const production = flags.production === true;
  let accessLog: AccessLogMode;
  try {
    accessLog = accessLogMode(flags['access-log'], production);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return {
    production,
    workers: flags.workers === undefined ? (production ? availableParallelism() : 1) : integer('workers', flags.workers, 1, MAX_WORKERS),
    accessLog,
    adminPort: flags['admin-port'] === undefined ? undefined : integer('admin-port', flags['admin-port'], 0, 65535),
    adminHost: flags['admin-host'] ?? '127.0.0.1',
    drainMs: flags['drain-timeout'] === undefined ? (production ? 10_000 : 5_000) : integer('drain-timeout', flags['drain-timeout'], 0, 3_600_000),
    blockPrivateNetworks: production && flags['allow-private-networks'] !== true,
    exposeTargets: !production,
  };
}
