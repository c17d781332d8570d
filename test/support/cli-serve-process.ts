/**
 * The built `af-routes` binary as a long-running subprocess (serve), for tests that need real
 * processes (cluster workers, signals). The binary is rebuilt when older than the sources,
 * under the same lock test/cli-bin.test.ts takes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'tsup';
import { cli as cliBuild } from '../../tsup.config.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'dist/cli.js');

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtime(p) : (await stat(p)).mtimeMs);
  }
  return newest;
}

export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'af-routes-cli-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > deadline) await rmdir(lock).catch(() => {});
      await sleep(200);
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

/** `node dist/cli.js ...args` with its output collected. */
export class CliProcess {
  out = '';
  err = '';
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private listeners = new Set<() => void>();

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      this.notify();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString();
      this.notify();
    });
    this.exited = new Promise((r) =>
      this.child.on('exit', (code, signal) => {
        this.notify();
        r({ code, signal });
      }),
    );
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    return new Promise((resolvePromise, reject) => {
      const check = () => {
        const m = re.exec(this.out);
        if (m) {
          done();
          resolvePromise(m);
        } else if (!this.alive) {
          done();
          reject(new Error(`exited before ${re}\nstdout:\n${this.out}\nstderr:\n${this.err}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${re}\nstdout:\n${this.out}\nstderr:\n${this.err}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  async stop(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }
}
