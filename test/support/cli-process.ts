/**
 * The built `af-routes` binary for every test that runs it as a process (test/cli-*.test.ts,
 * the editor tests, the scale-out e2e tests): building it, starting it, waiting for a line of
 * its output, stopping it. One copy of this, so that every test builds under the same lock and
 * waits and stops the same way.
 *
 * Building: dist/cli.js (and, for the editor, dist/editor.bundle.js, which `af-routes edit`
 * serves) is rebuilt with the project's tsup configs when missing or older than src/,
 * tsup.config.ts or package.json. One lock directory for all of them: parallel test files
 * must neither build over each other nor run a half-written dist/cli.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'tsup';
import { cli as cliBuild, editorBundle } from '../../tsup.config.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
/** package.json `bin` (dist/cli.js). */
export const BIN = resolve(ROOT, PKG.bin['af-routes']!);
export const BUNDLE = join(ROOT, 'dist', 'editor.bundle.js');

const LOCK = join(tmpdir(), 'af-routes-cli-build.lock');
/** A lock older than this was left by a killed run: an editor bundle build takes well under it. */
const STALE_LOCK_MS = 180_000;

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtime(p) : (await stat(p)).mtimeMs);
  }
  return newest;
}

async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + STALE_LOCK_MS;
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - (await stat(LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > STALE_LOCK_MS || Date.now() > deadline) await rmdir(LOCK).catch(() => {});
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(LOCK).catch(() => {});
  }
}

/** Builds dist/cli.js (and with `editor`, dist/editor.bundle.js) when missing or older than the sources. */
export async function ensureCliBuilt(opts: { editor?: boolean } = {}): Promise<void> {
  await withBuildLock(async () => {
    const sources = Math.max(await newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'tsup.config.ts')).mtimeMs, statSync(join(ROOT, 'package.json')).mtimeMs);
    const stale = (f: string) => !existsSync(f) || statSync(f).mtimeMs < sources;
    if (stale(BIN)) await build({ ...cliBuild, config: false, silent: true });
    if (opts.editor === true && stale(BUNDLE)) await build({ ...editorBundle, config: false, silent: true });
  });
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process whose output a test reads and waits on (any command: `af-routes`, `npm start`). */
export class Running {
  /** stdout so far. */
  out = '';
  /** stderr so far. */
  err = '';
  /** stdout and stderr so far, in the order they arrived. */
  all = '';
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** The exit code and signal. */
  readonly exit: Promise<Exit>;
  /** Resolves once the process has exited and its output is all read. */
  readonly closed: Promise<Exit>;
  private ended = false;
  private readonly listeners = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    const notify = (): void => {
      for (const l of this.listeners) l();
    };
    const collect = (stream: 'out' | 'err') => (d: Buffer) => {
      const text = d.toString();
      this[stream] += text;
      this.all += text;
      notify();
    };
    child.stdout!.on('data', collect('out'));
    child.stderr!.on('data', collect('err'));
    // A command that cannot be started at all ('error' with no pid) ends these promises too.
    const failedToStart = new Promise<never>((_, reject) => child.on('error', (e) => child.pid === undefined && reject(e)));
    this.exit = Promise.race([new Promise<Exit>((r) => child.once('exit', (code, signal) => (notify(), r({ code, signal })))), failedToStart]);
    this.closed = Promise.race([
      new Promise<Exit>((r) =>
        child.once('close', (code, signal) => {
          this.ended = true;
          notify();
          r({ code, signal });
        }),
      ),
      failedToStart,
    ]);
    this.exited = this.exit.then((e) => e.code);
    for (const p of [this.exit, this.closed, this.exited]) p.catch(() => {});
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until stdout, from offset `since`, matches `re`. */
  waitFor(re: RegExp, since = 0, timeoutMs = 30_000): Promise<RegExpExecArray> {
    return this.waitIn('out', re, since, timeoutMs);
  }

  /** Waits until stdout and stderr together (`all`), from offset `since`, match `re`. */
  waitForOutput(re: RegExp, since = 0, timeoutMs = 30_000): Promise<RegExpExecArray> {
    return this.waitIn('all', re, since, timeoutMs);
  }

  private waitIn(stream: 'out' | 'all', re: RegExp, since: number, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolvePromise, reject) => {
      const failure = (why: string) => new Error(`${why} ${re}\nstdout:\n${this.out}\nstderr:\n${this.err}`);
      const check = (): void => {
        const m = re.exec(this[stream].slice(since));
        if (m) {
          done();
          resolvePromise(m);
          // Only once its output is all read: the line may still be on its way when it exits.
        } else if (this.ended) {
          done();
          reject(failure(`exited (${this.child.exitCode ?? this.child.signalCode}) before`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(failure('timed out waiting for'));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `signal`; SIGKILL if it has not exited `killAfterMs` later (a hung process fails the test, not the run). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 10_000): Promise<number | null> {
    if (!this.alive) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface CliOptions {
  /** Default: the repository's root. */
  cwd?: string;
  /** Run dist/cli.js itself, by its `#!/usr/bin/env node` line, as a package's bin is run; default: with this Node. */
  asBin?: boolean;
}

/** `af-routes <args>`, running. */
export class CliProcess extends Running {
  constructor(args: string[], opts: CliOptions = {}) {
    const [command, argv] = opts.asBin === true ? [BIN, args] : [process.execPath, [BIN, ...args]];
    super(spawn(command, argv, { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  }
}

/** Starts `af-routes <args>`. */
export function startCli(args: string[], opts: CliOptions = {}): CliProcess {
  return new CliProcess(args, opts);
}

/** Runs `af-routes <args>` to its end (killed after `timeoutMs`): exit code and all its output. */
export async function runCli(args: string[], opts: CliOptions & { timeoutMs?: number } = {}): Promise<{ code: number | null; out: string; err: string }> {
  const p = new CliProcess(args, opts);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  try {
    const { code } = await p.closed;
    return { code, out: p.out, err: p.err };
  } finally {
    clearTimeout(timer);
  }
}
