/**
 * `af-routes`: the real built binary (package.json `bin`), run as a subprocess, against real
 * upstream servers on 127.0.0.1 with ephemeral ports. The binary is (re)built with the
 * project's tsup config when it is missing or older than the sources.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ERROR_CODES } from '../src/cli/errors.js';
import { BIN, ensureCliBuilt, ROOT, Running, runCli, startCli } from './support/cli-process.js';

const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string>; scripts: Record<string, string> };
const EXAMPLES = join(ROOT, 'examples');
const SEED = {
  '/api/users/*': 'https://users-service.com',
  '/api/products/*': 'https://products-service.com',
  '/*': 'https://default.com',
};

// ---------------------------------------------------------------------------------------
// Running it: as the package's bin is run (by its shebang), built by ./support/cli-process.ts.

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function run(args: string[], opts: { cwd?: string } = {}): Promise<Result> {
  const r = await runCli(args, { ...opts, asBin: true });
  return { code: r.code, stdout: r.out, stderr: r.err };
}

/** Long-running commands (serve, demo), killed after each test if still running. */
const running = new Set<Running>();

function start(args: string[], opts: { cwd?: string } = {}): Running {
  const r = startCli(args, { ...opts, asBin: true });
  running.add(r);
  return r;
}

// ---------------------------------------------------------------------------------------
// Upstreams and requests.

interface Upstream {
  url: string;
  port: number;
  received: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

const upstreams = new Set<Upstream>();

async function startUpstream(name: string, handler?: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Upstream> {
  const received: Upstream['received'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (handler) return handler(req, res, body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ upstream: name, method: req.method, url: req.url, host: req.headers.host, xff: req.headers['x-forwarded-for'] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const u: Upstream = {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
  upstreams.add(u);
  return u;
}

interface Response {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One request, the path sent exactly as given (no dot-segment resolution), no keep-alive. */
function send(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
  const u = new URL(base);
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolvePromise({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('request timed out')));
    req.end(opts.body);
  });
}

/** A port that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let work: string;
let caseNo = 0;
async function tempDir(): Promise<string> {
  const dir = join(work, `case-${++caseNo}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  await ensureCliBuilt();
  work = await mkdtemp(join(tmpdir(), 'af-routes-cli-'));
}, 120_000);

afterEach(async () => {
  for (const r of running) {
    if (r.alive) r.child.kill('SIGKILL');
    await r.exited;
  }
  running.clear();
  for (const u of upstreams) await u.close();
  upstreams.clear();
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------

describe('af-routes: the binary, help and version', () => {
  it('is the package.json bin, an executable ES module with a node shebang', () => {
    expect(PKG.bin['af-routes']).toBe('./dist/cli.js');
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(BIN).mode & 0o111).not.toBe(0);
    expect(PKG.scripts.start).toBe('node dist/cli.js demo');
  });

  it('--version prints the package version', async () => {
    for (const flag of ['--version', '-v']) {
      const r = await run([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(PKG.version);
    }
  });

  it('--help for the program and for each command', async () => {
    const main = await run(['--help']);
    expect(main.code).toBe(0);
    for (const command of ['validate', 'match', 'serve', 'demo']) {
      expect(main.stdout).toContain(`af-routes ${command}`);
      const r = await run([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout).toContain(`Usage: af-routes ${command}`);
      expect(r.stdout).toMatch(/Exit codes:\n {2}0 /);
      const viaHelp = await run(['help', command]);
      expect(viaHelp.stdout).toBe(r.stdout);
    }
  });

  it('usage errors exit 2: no command, unknown command, unknown option, missing arguments', async () => {
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stdout + none.stderr).toContain('Usage:');
    const unknown = await run(['deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "deploy"');
    const option = await run(['validate', '--frobnicate', 'examples/seed.json']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("Unknown option '--frobnicate'");
    const noPath = await run(['match', 'examples/seed.json']);
    expect(noPath.code).toBe(2);
    expect(noPath.stderr).toContain('Usage: af-routes match <routes> <path>...');
    const badPort = await run(['serve', 'examples/seed.json', '--port', 'http']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--port must be a number');
  });
});

describe('af-routes: the guide, the help and the program agree', () => {
  const GUIDE = readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8');

  it('docs/cli.md lists every error code the CLI can emit, each kebab-case, and no other', () => {
    const section = GUIDE.slice(GUIDE.indexOf('### Error codes'));
    const table = section.slice(section.indexOf('| code |'), section.indexOf('\n\n', section.indexOf('| code |')));
    const documented = [...table.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual([...CLI_ERROR_CODES]);
    for (const code of CLI_ERROR_CODES) expect(code).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it('--json reports unusable input with those codes (exit 2)', async () => {
    const badJson = await tempDir();
    await writeFile(join(badJson, 'af.config.json'), '{ "functions": [ }');
    const badTs = await tempDir();
    await writeFile(join(badTs, 'af.config.ts'), 'export default { functions: [ ;');
    const badShape = await tempDir();
    await writeFile(join(badShape, 'af.config.json'), '[]');
    const empty = await tempDir();
    // Every code but config-unreadable (a config file that exists and cannot be read: not
    // something a test running as root can make), which maps ERR_CONFIG_UNREADABLE.
    const cases: [string[], string, string?][] = [
      [['validate', 'nope', '--json'], 'routes-unreadable'],
      [['validate', '--frobnicate', '--json'], 'usage'],
      [['match', 'examples/seed.json', '--json'], 'usage'],
      [['validate', '--json'], 'config-not-found', empty],
      [['validate', badJson, '--json'], 'config-invalid-json'],
      [['validate', badTs, '--json'], 'config-load-failed'],
      [['validate', badShape, '--json'], 'config-invalid-shape'],
      [['validate', 'examples/config', '--json'], 'function-required'],
      [['match', 'examples/config', '-f', 'billing', '/x', '--json'], 'function-not-found'],
    ];
    for (const [args, code, cwd] of cases) {
      const r = await run(args, cwd ? { cwd } : {});
      expect(r.code, args.join(' ')).toBe(2);
      const report = JSON.parse(r.stdout) as { valid: boolean; error: { code: string; message: string } };
      expect(report, args.join(' ')).toMatchObject({ valid: false, error: { code } });
      expect(report.error.message.length).toBeGreaterThan(10);
    }
    expect(new Set([...cases.map((c) => c[1]), 'config-unreadable'])).toEqual(new Set(CLI_ERROR_CODES));
  });

  it('<routes> is tried in the order that --help and docs/cli.md give: directory, config file, JSON, JSON file', async () => {
    const steps = ['a directory', 'a config file', 'a json string', 'a path to a json file'];
    for (const command of ['validate', 'match', 'serve']) {
      const help = (await run([command, '--help'])).stdout;
      expect(
        [...help.matchAll(/^ {2}\d\. ([A-Za-z ]+?):/gm)].map((m) => m[1]!.toLowerCase()),
        command,
      ).toEqual(steps);
    }
    expect([...GUIDE.matchAll(/^\d\. \*\*([^*]+)\*\*/gm)].map((m) => m[1]!.toLowerCase())).toEqual(steps);

    const dir = await tempDir();
    const table = JSON.stringify(SEED);
    // 1 before 3: a directory named `{}` holding a config (read as JSON, `{}` is an empty table).
    await mkdir(join(dir, '{}'));
    await writeFile(join(dir, '{}', 'af.config.json'), JSON.stringify({ type: 'function', routes: SEED }));
    expect((await run(['validate', '{}'], { cwd: dir })).stdout).toContain(`${join('{}', 'af.config.json')}: valid (3 routes`);
    // 2: a config file given as a file is a config (as a JSON table, its keys are not patterns).
    expect((await run(['validate', join('{}', 'af.config.json')], { cwd: dir })).stdout).toContain('af.config.json: valid (3 routes');
    // 3 before 4: `null` is the JSON null, not the file called `null`.
    await writeFile(join(dir, 'null'), table);
    expect((await run(['validate', 'null'], { cwd: dir })).stdout).toContain('inline JSON: valid, no routes');
    // 4: what is not JSON is a path to a JSON file.
    await writeFile(join(dir, 'routes'), table);
    expect((await run(['validate', 'routes'], { cwd: dir })).stdout).toContain('routes: valid (3 routes');
  });

  it('only src/cli/ imports src/cli/: the library and its helpers (src/config/) stand without the CLI', async () => {
    const cliDir = join(ROOT, 'src', 'cli');
    const offenders: string[] = [];
    const walk = async (dir: string): Promise<string[]> =>
      (await Promise.all((await readdir(dir, { withFileTypes: true })).map(async (e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])))).flat();
    const files = (await walk(join(ROOT, 'src'))).filter((f) => f.endsWith('.ts') && !f.startsWith(cliDir + '/'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from\s*|import\s*\(\s*)['"](\.[^'"]*)['"]/g)) {
        const target = resolve(dirname(file), spec!);
        if (target === cliDir || target.startsWith(cliDir + '/')) offenders.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('af-routes validate', () => {
  it('a valid table: exit 0, listed in precedence order', async () => {
    const r = await run(['validate', JSON.stringify(SEED)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('inline JSON: valid (3 routes, 0 warnings)');
    const order = ['/api/products/*', '/api/users/*', '/*'].map((p) => r.stdout.indexOf(`. ${p} `));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('the examples: every table but invalid.json validates', async () => {
    const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.json'));
    expect(files).toEqual(expect.arrayContaining(['seed.json', 'invalid.json', 'microservices.json', 'spa.json']));
    for (const f of files) {
      const r = await run(['validate', join('examples', f)]);
      expect(r.code, `${f}: ${r.stdout}${r.stderr}`).toBe(f === 'invalid.json' ? 1 : 0);
    }
    expect(JSON.parse(readFileSync(join(EXAMPLES, 'seed.json'), 'utf8'))).toEqual(SEED);
  });

  it('an invalid table: exit 1, every problem with pattern, target, rule and what to do', async () => {
    const r = await run(['validate', 'examples/invalid.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^examples\/invalid\.json: invalid \(6 errors, 1 warning\)/);
    for (const code of ['wildcard-misplaced', 'conflict', 'target-unknown-placeholder', 'target-bad-protocol', 'target-fragment', 'pattern-no-leading-slash']) {
      expect(r.stdout).toContain(`error [${code}]`);
    }
    expect(r.stdout).toContain('warning [params-unused]');
    expect(r.stdout).toContain('    pattern: /legacy/*\n    target:  ftp://old.example.com\n');
    expect(r.stdout).toContain('    conflicts with: /users/:id');
    expect(r.stdout.match(/ {4}fix: {5}\S/g)).toHaveLength(7);
  });

  it('--json: machine-readable issues, same exit codes', async () => {
    const bad = await run(['validate', 'examples/invalid.json', '--json']);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as {
      valid: boolean;
      routes: number;
      errors: { code: string; severity: string; hint?: string; pattern?: string }[];
      warnings: { code: string }[];
    };
    expect(report.valid).toBe(false);
    expect(report.routes).toBe(8);
    expect(report.errors.map((e) => e.code).sort()).toEqual([
      'conflict',
      'pattern-no-leading-slash',
      'target-bad-protocol',
      'target-fragment',
      'target-unknown-placeholder',
      'wildcard-misplaced',
    ]);
    expect(report.errors.every((e) => e.severity === 'error' && typeof e.hint === 'string' && e.pattern !== undefined)).toBe(true);
    expect(report.warnings.map((w) => w.code)).toEqual(['params-unused']);
    const good = await run(['validate', 'examples/seed.json', '--json']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toEqual({ source: 'examples/seed.json', valid: true, routes: 3, errors: [], warnings: [] });
  });

  it('unusable input: exit 2 with both reasons (text and --json)', async () => {
    const r = await run(['validate', '{"/api/*": https://a.svc}']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Failed to parse routes. Expected JSON string or path to JSON file.\nJSON parse error: ');
    expect(r.stderr).toContain('File read error: no such file "{"/api/*": https://a.svc}"');
    const j = await run(['validate', 'missing.json', '--json']);
    expect(j.code).toBe(2);
    const report = JSON.parse(j.stdout) as { valid: boolean; error: { code: string; message: string } };
    expect(report.valid).toBe(false);
    expect(report.error.message).toContain('File read error: no such file "missing.json"');
    const dir = await tempDir();
    await writeFile(join(dir, 'routes.json'), '{"/a": "https://a.svc",}');
    const broken = await run(['validate', join(dir, 'routes.json')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('is not valid JSON');
  });

  it('af.config.ts/js/json files and directories, with --function', async () => {
    const api = await run(['validate', 'examples/config', '--function', 'api']);
    expect(api.code).toBe(0);
    expect(api.stdout).toContain('examples/config/af.config.ts (function "api"): valid (3 routes, 0 warnings)');
    const web = await run(['validate', 'examples/config/af.config.ts', '-f', 'web']);
    expect(web.code).toBe(0);
    expect(web.stdout).toContain('valid (2 routes');
    const which = await run(['validate', 'examples/config']);
    expect(which.code).toBe(2);
    expect(which.stderr).toContain('defines 2 functions ("api", "web")');
    const unknown = await run(['validate', 'examples/config', '--function', 'billing']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No function named "billing"');
    const json = await run(['validate', 'examples/config-json/af.config.json']);
    expect(json.code).toBe(0);
    expect(json.stdout).toContain('(function "gateway"): valid (3 routes');

    // No argument: the working directory's config; a .js config with a bad table exits 1.
    const dir = await tempDir();
    await writeFile(join(dir, 'af.config.js'), `export default async () => ({ name: 'fn', type: 'function', routes: { '/a/*': 'ftp://a.svc' } });`);
    const cwd = await run(['validate'], { cwd: dir });
    expect(cwd.code).toBe(1);
    expect(cwd.stdout).toContain('af.config.js (function "fn"): invalid (1 error, 0 warnings)');
    expect(cwd.stdout).toContain('error [target-bad-protocol]');

    // A config that fails to load, a directory with no config, --function on a JSON table.
    const broken = await tempDir();
    await writeFile(join(broken, 'af.config.ts'), 'export default { functions: [ ;');
    const b = await run(['validate', broken]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`Failed to load ${join(broken, 'af.config.ts')}`);
    const empty = await tempDir();
    const e = await run(['validate'], { cwd: empty });
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('No af.config.ts, af.config.js, af.config.json in');
    const misuse = await run(['validate', 'examples/seed.json', '--function', 'api']);
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toContain('--function applies to an af.config');
  });

  it('validates under the options that change what a table means', async () => {
    const slash = JSON.stringify({ '/docs': 'https://a.svc', '/docs/': 'https://b.svc' });
    expect((await run(['validate', slash])).code).toBe(0);
    const r = await run(['validate', slash, '--ignore-trailing-slash']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error [conflict]');
    const cased = JSON.stringify({ '/Api': 'https://a.svc', '/api': 'https://b.svc' });
    expect((await run(['validate', cased])).code).toBe(0);
    expect((await run(['validate', cased, '--case-insensitive'])).code).toBe(1);
  });
});

describe('af-routes match', () => {
  it('the winner, why, its parameters, remainder and forwarded URL', async () => {
    const r = await run(['match', 'examples/seed.json', '/api/users/42?tab=orders']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  route:      /api/users/*  ->  https://users-service.com\n');
    expect(r.stdout).toContain('  remainder:  "/42"\n');
    expect(r.stdout).toContain('  forwards:   https://users-service.com/42?tab=orders\n');
    expect(r.stdout).toMatch(/1\. \/api\/users\/\* +\[static, static, catch-all\] +wins/);
    expect(r.stdout).toMatch(/2\. \/\* +\[catch-all\] +behind: at segment 1 "api", static beats catch-all/);
  });

  it('SPEC section 3: precedence examples, candidates in precedence order (--json)', async () => {
    const rows: [Record<string, string>, string, string, string[]][] = [
      [{ '/api/users': 'https://a.svc', '/api/*': 'https://b.svc' }, '/api/users', '/api/users', ['/api/users', '/api/*']],
      [{ '/api/:x/c': 'https://a.svc/:x', '/api/b/*': 'https://b.svc' }, '/api/b/c', '/api/b/*', ['/api/b/*', '/api/:x/c']],
      [{ '/a/:x/c': 'https://a.svc/:x', '/a/*': 'https://b.svc' }, '/a/b/d', '/a/*', ['/a/*']],
      [{ '/api/*': 'https://a.svc', '/api/v2/*': 'https://b.svc', '/*': 'https://c.svc' }, '/api/v2/users/1', '/api/v2/*', ['/api/v2/*', '/api/*', '/*']],
      [{ '/api': 'https://a.svc', '/api/*': 'https://b.svc' }, '/api', '/api', ['/api', '/api/*']],
      [{ '/api/:id': 'https://a.svc/:id', '/api/*': 'https://b.svc' }, '/api', '/api/*', ['/api/*']],
    ];
    for (const [table, path, winner, order] of rows) {
      const r = await run(['match', JSON.stringify(table), path, '--json']);
      expect(r.code).toBe(0);
      const [x] = JSON.parse(r.stdout) as { match: { pattern: string } | null; candidates: { pattern: string }[] }[];
      expect(x!.match?.pattern, `${path} in ${JSON.stringify(table)}`).toBe(winner);
      expect(x!.candidates.map((c) => c.pattern)).toEqual(order);
    }
  });

  it('parameters, normalization, no match, a rejected path, a full URL', async () => {
    const table = JSON.stringify({ '/users/:id/orders/*': 'https://orders.svc/v2/:id/*', '/api/*': 'https://api.svc' });
    const r = await run(['match', table, '/users/7/orders/9', '/a//../api/x', '/nothing/here', '/api/%2Fetc', 'https://gw.example.com/api/y?q=1', '--json']);
    expect(r.code).toBe(0);
    const [params, normalized, none, rejected, url] = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(params).toMatchObject({ match: { pattern: '/users/:id/orders/*', params: { id: '7' }, remainder: '/9' }, url: 'https://orders.svc/v2/7/9' });
    expect(normalized).toMatchObject({ path: '/api/x', match: { pattern: '/api/*', remainder: '/x' }, url: 'https://api.svc/x' });
    expect(none).toMatchObject({ input: '/nothing/here', match: null, url: null, candidates: [] });
    expect(rejected).toMatchObject({ rejected: { status: 400, code: 'encoded-slash' }, match: null });
    expect(url).toMatchObject({ input: 'https://gw.example.com/api/y?q=1', path: '/api/y', query: 'q=1', url: 'https://api.svc/y?q=1' });
    const text = await run(['match', table, '/nothing/here', '/a//../api/x', '/api/%2Fetc']);
    expect(text.stdout).toContain("/nothing/here\n  no route matches: the function's own code would run");
    expect(text.stdout).toContain('/a//../api/x\n  normalized: /api/x\n');
    expect(text.stdout).toContain('/api/%2Fetc\n  rejected: 400 (encoded-slash)');
  });

  it('an invalid table exits 1 with its problems; a config with --function works', async () => {
    const bad = await run(['match', 'examples/invalid.json', '/x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error [conflict]');
    const cfg = await run(['match', 'examples/config', '-f', 'web', '/blog/2024/hello']);
    expect(cfg.code).toBe(0);
    expect(cfg.stdout).toContain('  forwards:   https://blog.example.com/2024/hello');
  });
});

describe('af-routes serve', () => {
  it('proxies to a real upstream, prints the table and one access-log line per request, stops on SIGTERM', async () => {
    const users = await startUpstream('users');
    const fallback = await startUpstream('default');
    const dead = await closedPort();
    const dir = await tempDir();
    const file = join(dir, 'routes.json');
    await writeFile(
      file,
      JSON.stringify({ '/*': fallback.url, '/api/users/*': `${users.url}/v1/users`, '/gone/*': `http://127.0.0.1:${dead}`, '/api/users/me': `${users.url}/profile` }),
    );
    const gw = start(['serve', file, '--port', '0']);
    const [, url] = await gw.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/);
    // The table, in precedence order.
    const order = ['/api/users/me', '/api/users/*', '/gone/*', '/*'].map((p) => gw.out.indexOf(`. ${p} `));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    await gw.waitFor(/Watching .*routes\.json for changes\.\nCtrl\+C to stop\./);

    const hit = await send(url!, '/api/users/42?fields=name');
    expect(hit.status).toBe(200);
    expect(JSON.parse(hit.body)).toMatchObject({ upstream: 'users', method: 'GET', url: '/v1/users/42?fields=name', host: `127.0.0.1:${users.port}`, xff: '127.0.0.1' });
    await gw.waitFor(/ GET \/api\/users\/42\?fields=name -> \/api\/users\/\* 200 upstream=200 [\d.]+ms\n/);

    const me = await send(url!, '/api/users/me', { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(me.status).toBe(200);
    expect(users.received.at(-1)).toMatchObject({ method: 'POST', url: '/profile', body: 'hello' });
    await gw.waitFor(/ POST \/api\/users\/me -> \/api\/users\/me 200 upstream=200 /);

    const other = await send(url!, '/about');
    expect(JSON.parse(other.body)).toMatchObject({ upstream: 'default', url: '/about' });

    const down = await send(url!, '/gone/x');
    expect(down.status).toBe(502);
    expect(down.headers['content-type']).toMatch(/json/);
    await gw.waitFor(/ GET \/gone\/x -> \/gone\/\* 502 upstream=- [\d.]+ms error=\S+/);

    const bad = await send(url!, '/api/%2F');
    expect(bad.status).toBe(400);
    await gw.waitFor(/ GET \/api\/%2F -> \(no route\) 400 upstream=- /);

    expect(await gw.stop('SIGTERM')).toBe(0);
    expect(gw.out).toContain('SIGTERM: shutting down');
    expect(gw.out).toContain('Stopped.');
    await expect(send(url!, '/about')).rejects.toThrow();
  });

  it('a table without a catch-all answers 404 for unmatched paths', async () => {
    const users = await startUpstream('users');
    const gw = start(['serve', JSON.stringify({ '/api/*': users.url }), '--port', '0']);
    const [, url] = await gw.waitFor(/Listening on (\S+)/);
    await gw.waitFor(/Ctrl\+C to stop\./);
    expect(gw.out).not.toContain('Watching');
    const r = await send(url!, '/nope');
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toMatch(/json/);
    expect(users.received).toHaveLength(0);
    await gw.waitFor(/ GET \/nope -> \(no route\) 404 upstream=- /);
    expect(await gw.stop()).toBe(0);
  });

  it('reloads the file on change; a bad table or bad JSON keeps the old one serving', async () => {
    const one = await startUpstream('one');
    const two = await startUpstream('two');
    const dir = await tempDir();
    const file = join(dir, 'routes.json');
    await writeFile(file, JSON.stringify({ '/*': one.url }));
    const gw = start(['serve', file, '--port', '0']);
    const [, url] = await gw.waitFor(/Listening on (\S+)/);
    await gw.waitFor(/Watching .*routes\.json for changes/);
    expect(JSON.parse((await send(url!, '/x')).body).upstream).toBe('one');

    // Good change: the new table serves.
    let mark = gw.out.length;
    await writeFile(file, JSON.stringify({ '/*': one.url, '/v2/*': two.url }));
    await gw.waitFor(/Reloaded .*routes\.json: 2 routes, in precedence order:\n +1\. \/v2\/\* +-> /, mark);
    expect(JSON.parse((await send(url!, '/v2/y')).body)).toMatchObject({ upstream: 'two', url: '/y' });

    // A table that fails validation: reported, the previous table keeps serving.
    mark = gw.out.length;
    await writeFile(file, JSON.stringify({ '/*': one.url, '/v2/*': 'ftp://two.svc', '/u/:a': two.url, '/u/:b': two.url }));
    await gw.waitFor(/error \[conflict\]/, mark);
    const failed = gw.out.slice(mark);
    expect(failed).toContain('failed; still serving the previous 2 routes');
    expect(failed).toContain('error [target-bad-protocol]');
    expect(JSON.parse((await send(url!, '/v2/z')).body)).toMatchObject({ upstream: 'two', url: '/z' });

    // JSON that does not parse (a half-saved file): reported, still serving.
    mark = gw.out.length;
    await writeFile(file, '{ "/*": ');
    await gw.waitFor(/is not valid JSON/, mark);
    expect(JSON.parse((await send(url!, '/v2/w')).body)).toMatchObject({ upstream: 'two', url: '/w' });

    // Fixed: served again, by the new table.
    mark = gw.out.length;
    await writeFile(file, JSON.stringify({ '/*': two.url }));
    await gw.waitFor(/Reloaded .*routes\.json: 1 route,/, mark);
    expect(JSON.parse((await send(url!, '/x')).body).upstream).toBe('two');
    expect(await gw.stop('SIGINT')).toBe(0);
  });

  it('serves and reloads an af.config.ts function (editors that save by rename too)', async () => {
    const one = await startUpstream('one');
    const two = await startUpstream('two');
    const dir = await tempDir();
    const config = (target: string) =>
      `const target: string = '${target}';\nexport default { functions: [{ name: 'api', type: 'function', routes: { '/api/*': target } }, { name: 'web', type: 'function' }] };\n`;
    await writeFile(join(dir, 'af.config.ts'), config(one.url));
    const gw = start(['serve', '--function', 'api', '--port', '0'], { cwd: dir });
    const [, url] = await gw.waitFor(/Listening on (\S+)/);
    expect(gw.out).toContain('af.config.ts (function "api"), 1 route');
    expect(JSON.parse((await send(url!, '/api/a')).body)).toMatchObject({ upstream: 'one', url: '/a' });
    const mark = gw.out.length;
    await writeFile(join(dir, 'af.config.ts.tmp'), config(two.url));
    await import('node:fs/promises').then((fs) => fs.rename(join(dir, 'af.config.ts.tmp'), join(dir, 'af.config.ts')));
    await gw.waitFor(/Reloaded af\.config\.ts \(function "api"\): 1 route/, mark);
    expect(JSON.parse((await send(url!, '/api/b')).body)).toMatchObject({ upstream: 'two', url: '/b' });
    expect(await gw.stop()).toBe(0);
  });

  it('SIGINT lets an in-flight request finish, then exits 0', async () => {
    const slow = await startUpstream('slow', (_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('finally');
      }, 700);
    });
    const gw = start(['serve', JSON.stringify({ '/*': slow.url }), '--port', '0']);
    const [, url] = await gw.waitFor(/Listening on (\S+)/);
    const pending = send(url!, '/slow');
    while (slow.received.length === 0) await sleep(10);
    gw.child.kill('SIGINT');
    await gw.waitFor(/SIGINT: shutting down/);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.body).toBe('finally');
    expect(await gw.exited).toBe(0);
    expect(gw.out).toMatch(/ GET \/slow -> \/\* 200 upstream=200 /);
  });

  it('an invalid table at start exits 1 without listening; a busy --port exits 2', async () => {
    const bad = await run(['serve', 'examples/invalid.json', '--port', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('not serving');
    expect(bad.stderr).toContain('error [wildcard-misplaced]');
    expect(bad.stdout).not.toContain('Listening');
    const taken = await startUpstream('taken');
    const busy = await run(['serve', 'examples/seed.json', '--port', String(taken.port)]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`Port ${taken.port} on 127.0.0.1 is in use`);
  });
});

describe('af-routes demo', () => {
  /** The curl commands the demo prints, each with the comment above it. */
  function curlCommands(out: string): { note: string; args: string[] }[] {
    const lines = out.split('\n');
    const commands: { note: string; args: string[] }[] = [];
    lines.forEach((line, i) => {
      const m = /^ {2}curl -s (.*)$/.exec(line);
      if (!m) return;
      const args = [...m[1]!.matchAll(/'([^']*)'|(\S+)/g)].map((a) => a[1] ?? a[2]!);
      commands.push({ note: lines[i - 1]!.trim(), args });
    });
    return commands;
  }

  /** Runs one printed curl command with node's http client (the flags the demo uses). */
  function runCurl(args: string[]): Promise<Response> {
    let method: string | undefined;
    const headers: Record<string, string> = {};
    let body: string | undefined;
    let url = '';
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-X') method = args[++i];
      else if (a === '-H') {
        const [k, ...v] = args[++i]!.split(':');
        headers[k!.trim()] = v.join(':').trim();
      } else if (a === '-d') {
        body = args[++i];
        method ??= 'POST';
      } else if (a === '-i' || a === '--path-as-is') continue;
      else url = a;
    }
    const m = /^(http:\/\/[^/]+)(\/.*)$/.exec(url);
    expect(m, url).not.toBeNull();
    return send(m![1]!, m![2]!, { method: method ?? 'GET', headers, body });
  }

  it('starts demo services and a gateway; every printed curl command does what its comment says', async () => {
    // Hold port 8080 (if it is free) to prove the fallback to a free port.
    const blocker = createServer();
    const held = await new Promise<boolean>((r) => {
      blocker.once('error', () => r(false));
      blocker.listen(8080, '127.0.0.1', () => r(true));
    });
    try {
      const demo = start(['demo']);
      const [, gateway] = await demo.waitFor(/Gateway: (http:\/\/127\.0\.0\.1:\d+)/);
      await demo.waitFor(/Ctrl\+C to stop\./);
      if (held) {
        expect(gateway).not.toBe('http://127.0.0.1:8080');
        expect(demo.out).toContain('Port 8080 is busy; the gateway uses port');
      }
      const services = new Map<string, string>();
      for (const m of demo.out.matchAll(/^ {2}(users|products|default) +(http:\/\/127\.0\.0\.1:\d+)$/gm)) services.set(m[2]!, m[1]!);
      expect([...services.values()].sort()).toEqual(['default', 'products', 'users']);

      const commands = curlCommands(demo.out);
      expect(commands.length).toBeGreaterThanOrEqual(6);
      let routed = 0;
      let rejected = 0;
      for (const { note, args } of commands) {
        const res = await runCurl(args);
        const forwarded = / -> (http:\/\/127\.0\.0\.1:\d+)(\/[^?\s]*)(?:\?(\S*))?$/.exec(note);
        if (forwarded) {
          routed++;
          expect(res.status, note).toBe(200);
          const echo = JSON.parse(res.body) as { service: string; received: { method: string; path: string; query: string; headers: Record<string, string>; body?: string } };
          expect(echo.service, note).toBe(services.get(forwarded[1]!));
          expect(echo.received.path, note).toBe(forwarded[2]);
          expect(echo.received.query, note).toBe(forwarded[3] ?? '');
          expect(echo.received.headers['x-forwarded-for']).toBe('127.0.0.1');
          if (note.includes('POST')) expect(echo.received).toMatchObject({ method: 'POST', body: '{"name":"Ada"}' });
        } else {
          expect(note).toMatch(/rejected by the gateway with 400/);
          rejected++;
          expect(res.status).toBe(400);
        }
      }
      expect(routed).toBeGreaterThanOrEqual(6);
      expect(rejected).toBe(1);
      expect(demo.out).toMatch(/ GET \/api\/users\/42 -> \/api\/users\/\* 200 upstream=200 /);
      expect(demo.out).toMatch(/ GET \/api\/users\/me -> \/api\/users\/me 200 upstream=200 /);
      expect(await demo.stop('SIGINT')).toBe(0);
      expect(demo.out).toContain('Stopped.');
    } finally {
      if (held) await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('npm start runs the demo', async () => {
    const child = spawn('npm', ['start', '--silent', '--', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const npm = new Running(child);
    try {
      const [, gateway] = await npm.waitFor(/Gateway: (http:\/\/127\.0\.0\.1:\d+)/);
      const r = await send(gateway!, '/api/products/7?color=red');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ service: 'products', received: { path: '/7', query: 'color=red' } });
    } finally {
      // npm runs the demo in a shell: signal the whole process group.
      if (npm.alive) process.kill(-child.pid!, 'SIGTERM');
      await npm.exited;
      // The demo shuts down gracefully: wait (bounded) for every process of the group to end.
      let groupGone = false;
      for (const deadline = Date.now() + 10_000; !groupGone && Date.now() < deadline;) {
        try {
          process.kill(-child.pid!, 0);
          await sleep(50);
        } catch {
          groupGone = true;
        }
      }
      if (!groupGone) process.kill(-child.pid!, 'SIGKILL');
      expect(groupGone).toBe(true);
    }
  });
});
