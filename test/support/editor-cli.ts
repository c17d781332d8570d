/**
 * `af-routes edit` for the editor tests: the built binary (dist/cli.js, rebuilt with the
 * project's tsup configs when older than the sources, together with dist/editor.bundle.js
 * that it serves), started on free ports in a temporary directory, its URLs read from its
 * output, stopped with SIGTERM (SIGKILL only if it does not stop).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'tsup';
import { cli, editorBundle } from '../../tsup.config.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'dist', 'cli.js');
export const BUNDLE = join(ROOT, 'dist', 'editor.bundle.js');

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtime(p) : (await stat(p)).mtimeMs);
  }
  return newest;
}

/** Builds dist/cli.js and dist/editor.bundle.js when missing or stale (one build at a time). */
export async function ensureEditorBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'af-routes-editor-build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > deadline) await rmdir(lock).catch(() => {});
      await sleep(250);
    }
  }
  try {
    const sources = Math.max(await newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'tsup.config.ts')).mtimeMs);
    const stale = (f: string) => !existsSync(f) || statSync(f).mtimeMs < sources;
    if (stale(BIN)) await build({ ...cli, config: false, silent: true });
    if (stale(BUNDLE)) await build({ ...editorBundle, config: false, silent: true });
  } finally {
    await rmdir(lock).catch(() => {});
  }
}

export interface RunningEditor {
  child: ChildProcess;
  /** The editor page, `http://127.0.0.1:PORT/`. */
  editorUrl: string;
  /** The gateway, `http://127.0.0.1:PORT`. */
  gatewayUrl: string;
  output(): string;
  /** Resolves when stdout (from `since`) matches. */
  waitFor(re: RegExp, since?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<number | null>;
}

export async function startEditor(file: string, extraArgs: string[] = []): Promise<RunningEditor> {
  const child = spawn(process.execPath, [BIN, 'edit', file, '--port', '0', '--editor-port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = async (re: RegExp, since = 0, timeoutMs = 20_000) => {
    const end = Date.now() + timeoutMs;
    while (!re.test(out.slice(since))) {
      if (child.exitCode !== null) throw new Error(`af-routes edit exited (${child.exitCode}) before ${re}:\n${out}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${re}:\n${out}`);
      await sleep(25);
    }
  };
  await waitFor(/Editor: +http:\/\/\S+\//);
  const editorUrl = /Editor: +(http:\/\/\S+\/)/.exec(out)![1]!;
  const gatewayUrl = /Gateway: +(http:\/\/\S+)/.exec(out)![1]!;
  return {
    child,
    editorUrl,
    gatewayUrl,
    output: () => out,
    waitFor,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
