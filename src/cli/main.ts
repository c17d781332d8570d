/**
 * `af-routes`: the command-line entry (package.json `bin`, built to dist/cli.js).
 * Exit codes: 0 ok, 1 invalid route table, 2 unusable input or usage, 3 internal error.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runMatch, runValidate, type Io, type RequestFlags, type TableFlags } from './commands.js';
import { HELP } from './help.js';
import { UsageError } from './errors.js';

const io: Io = {
  out: (text) => void process.stdout.write(text + '\n'),
  err: (text) => void process.stderr.write(text + '\n'),
};

/** What every command that reads a table accepts: which function, the match options, help. */
const COMMON_TABLE_OPTIONS = {
  function: { type: 'string', short: 'f' },
  'ignore-trailing-slash': { type: 'boolean' },
  'case-insensitive': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const TABLE_OPTIONS = { ...COMMON_TABLE_OPTIONS, json: { type: 'boolean' } } as const satisfies ParseArgsConfig['options'];

/** `match` also describes the request that route conditions read (SPEC 10.1). */
const MATCH_COMMAND_OPTIONS = {
  ...TABLE_OPTIONS,
  method: { type: 'string', short: 'X' },
  host: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
  query: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const SERVE_OPTIONS = {
  ...COMMON_TABLE_OPTIONS,
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  watch: { type: 'boolean', default: true },
  // Scale-out (docs/scale-out.md): routes from Postgres, rate limits in Redis.
  'routes-from': { type: 'string' },
  'routes-table': { type: 'string' },
  'routes-column': { type: 'string' },
  'routes-id-column': { type: 'string' },
  'rate-limit-store': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  h2c: { type: 'boolean' },
  // Production gateway (docs/operations.md; parsed by ./serve-settings.ts).
  production: { type: 'boolean' },
  workers: { type: 'string' },
  'access-log': { type: 'string' },
  'admin-port': { type: 'string' },
  'admin-host': { type: 'string' },
  'drain-timeout': { type: 'string' },
  'allow-private-networks': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const EDIT_OPTIONS = {
  'ignore-trailing-slash': { type: 'boolean' },
  'case-insensitive': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  'editor-port': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const DEMO_OPTIONS = {
  port: { type: 'string', short: 'p' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export function version(): string {
  // dist/cli.js and src/cli/main.ts both find the package's package.json above them.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@alternatefutures/routing-core') return pkg.version ?? 'unknown';
    } catch {
      // Not here: go up.
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true, allowNegative: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nRun "af-routes ${command} --help" for usage.`);
  }
}

/** Parses `--port`: undefined when not given. */
export function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not "${value}"`);
  return Number(value);
}

/**
 * After a server command has shut down, the process ends on its own once nothing is left
 * open; should anything still hold it (a stuck upstream socket), this ends it anyway.
 */
function exitSoon(code: number): number {
  setTimeout(() => process.exit(code), 2_000).unref();
  return code;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.err(HELP.main!);
    return 2;
  }
  if (command === '--help' || command === '-h') {
    io.out(HELP.main!);
    return 0;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    io.out(version());
    return 0;
  }
  if (command === 'help') {
    const topic = rest[0];
    if (topic !== undefined && HELP[topic] === undefined) throw new UsageError(`Unknown command "${topic}". Commands: validate, match, serve, edit, demo.`);
    io.out(HELP[topic ?? 'main']!);
    return 0;
  }
  switch (command) {
    case 'validate': {
      const { values, positionals } = parse(command, rest, TABLE_OPTIONS);
      if (values.help) return (io.out(HELP.validate!), 0);
      if (positionals.length > 1) throw new UsageError(`validate takes one <routes> argument, got ${positionals.length} (quote a JSON table)`);
      return runValidate(positionals[0], values as TableFlags, io);
    }
    case 'match': {
      const { values, positionals } = parse(command, rest, MATCH_COMMAND_OPTIONS);
      if (values.help) return (io.out(HELP.match!), 0);
      const [routes, ...paths] = positionals;
      if (routes === undefined || paths.length === 0) throw new UsageError('Usage: af-routes match <routes> <path>...\nRun "af-routes match --help" for more.');
      return runMatch(routes, paths, values as TableFlags & RequestFlags, io);
    }
    case 'serve': {
      const { values, positionals } = parse(command, rest, SERVE_OPTIONS);
      if (values.help) return (io.out(HELP.serve!), 0);
      if (positionals.length > 1) throw new UsageError(`serve takes one <routes> argument, got ${positionals.length}`);
      const { runServe } = await import('./serve.js');
      const scaleOut = {
        routesFrom: values['routes-from'],
        routesTable: values['routes-table'],
        routesColumn: values['routes-column'],
        routesIdColumn: values['routes-id-column'],
        rateLimitStore: values['rate-limit-store'],
      };
      return exitSoon(await runServe(positionals[0], { ...values, ...scaleOut, port: parsePort(values.port), tlsCert: values['tls-cert'], tlsKey: values['tls-key'] }, io));
    }
    case 'edit': {
      const { values, positionals } = parse(command, rest, EDIT_OPTIONS);
      if (values.help) return (io.out(HELP.edit!), 0);
      if (positionals.length > 1) throw new UsageError(`edit takes one <routes.json> argument, got ${positionals.length}`);
      const { runEdit } = await import('./edit.js');
      return exitSoon(await runEdit(positionals[0], { ...values, port: parsePort(values.port), editorPort: parsePort(values['editor-port']) }, io));
    }
    case 'demo': {
      const { values, positionals } = parse(command, rest, DEMO_OPTIONS);
      if (values.help) return (io.out(HELP.demo!), 0);
      if (positionals.length > 0) throw new UsageError('demo takes no arguments');
      const { runDemo } = await import('./demo.js');
      return exitSoon(await runDemo({ port: parsePort(values.port) }, io));
    }
    default:
      throw new UsageError(`Unknown command "${command}". Commands: validate, match, serve, edit, demo (af-routes --help).`);
  }
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      // With --json, unusable input is reported as JSON too (on stdout), still with exit code 2.
      if (argv.includes('--json')) io.out(JSON.stringify({ valid: false, error: { code: e.code, message: e.message } }, null, 2));
      else io.err(`af-routes: ${e.message}`);
      process.exitCode = 2;
    } else {
      io.err(`af-routes: internal error (please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exitCode = 3;
    }
  },
);
