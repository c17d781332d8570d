/**
 * The built `af-routes` (dist/cli.js) for tests that run it as a process: built from the
 * sources when missing or older (under the same lock as test/cli-bin.test.ts, so concurrent
 * runs build once), and a handle on a long-running command's output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'tsup';
import { cli as cliBuild } from '../../tsup.config.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'dist', 'cli.js');

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtime(p) : (await stat(p)).mtimeMs);
  }
  return newest;
}

export async function ensureCliBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'af-routes-cli-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 120_000 || Date.now() > deadline) await rmdir(lock).catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const sources = Math.max(await newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'tsup.config.ts')).mtimeMs, statSync(join(ROOT, 'package.json')).mtimeMs);
    if (existsSync(BIN) && statSync(BIN).mtimeMs >= sources) return;
    await build({ ...cliBuild, config: false, silent: true });
  } finally {
    await rmdir(lock).catch(() => {});
  }
}

/** A running `af-routes` command. */
export class CliProcess {
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const notify = () => {
      for (const l of this.listeners) l();
    };
    this.child.stdout!.on('data', (d: Buffer) => ((this.out += d.toString()), notify()));
    this.child.stderr!.on('data', (d: Buffer) => ((this.err += d.toString()), notify()));
    this.exited = new Promise((r) => this.child.on('exit', (code) => (notify(), r(code))));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until stdout (from offset `since`) matches `re`. */
  waitFor(re: RegExp, since = 0, timeoutMs = 20_000): Promise<RegExpExecArray> {
    return new Promise((resolvePromise, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      const check = () => {
        const m = re.exec(this.out.slice(since));
        if (m) {
          done();
          resolvePromise(m);
        } else if (!this.alive) {
          done();
          reject(new Error(`exited (${this.child.exitCode}) before ${re}\nstdout:\n${this.out}\nstderr:\n${this.err}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${re}\nstdout:\n${this.out}\nstderr:\n${this.err}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  async stop(): Promise<number | null> {
    if (this.alive) this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** Runs a command to its end. */
export async function runCli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = new CliProcess(args);
  const code = await p.exited;
  return { code, out: p.out, err: p.err };
}
