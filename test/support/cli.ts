/**
 * The built `af-routes` binary for tests that spawn it: (re)built once with the project's tsup
 * config when missing or older than the sources (under a lock shared with test/cli-bin.test.ts,
 * so parallel runs do not build over each other), and long-running commands whose output a
 * test waits on. The same logic as test/cli-bin.test.ts, shared from here for new CLI tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'tsup';
import { cli as cliBuild } from '../../tsup.config.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
export const BIN = resolve(ROOT, PKG.bin['af-routes']!);

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtime(p) : (await stat(p)).mtimeMs);
  }
  return newest;
}

async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), name);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 120_000 || Date.now() > deadline) await rmdir(lock).catch(() => {});
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(lock).catch(() => {});
  }
}

/** Builds dist/cli.js when it is missing or older than src/, tsup.config.ts or package.json. */
export async function ensureBuilt(): Promise<void> {
  await withLock('af-routes-cli-build.lock', async () => {
    const sources = Math.max(await newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'tsup.config.ts')).mtimeMs, statSync(join(ROOT, 'package.json')).mtimeMs);
    if (existsSync(BIN) && statSync(BIN).mtimeMs >= sources) return;
    await build({ ...cliBuild, config: false, silent: true });
  });
}

/** A long-running command (serve) whose output the test waits on. */
export class Running {
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  private listeners = new Set<() => void>();
  constructor(readonly child: ChildProcess) {
    const notify = (): void => {
      for (const l of this.listeners) l();
    };
    child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      notify();
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString();
      notify();
    });
    this.exited = new Promise((r) =>
      child.on('exit', (code) => {
        notify();
        r(code);
      }),
    );
  }
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  /** Waits until stdout, from offset `since`, matches `re`. */
  waitFor(re: RegExp, since = 0, timeoutMs = 20_000): Promise<RegExpExecArray> {
    return new Promise((resolvePromise, reject) => {
      const check = (): void => {
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
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.alive) this.child.kill(signal);
    return this.exited;
  }
}

/** Starts `af-routes <args>`. */
export function startCli(args: string[], opts: { cwd?: string } = {}): Running {
  return new Running(spawn(BIN, args, { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
}
