/**
 * `af-routes edit` for the editor tests: the built binary with dist/editor.bundle.js (which it
 * serves), started on free ports, its URLs read from its output, stopped with SIGTERM (SIGKILL
 * only if it does not stop). Building, starting and waiting are ./cli-process.ts's.
 */
import type { ChildProcess } from 'node:child_process';
import { CliProcess, ensureCliBuilt } from './cli-process.js';

export { BIN, BUNDLE, ROOT } from './cli-process.js';

/** Builds dist/cli.js and dist/editor.bundle.js when missing or stale (one build at a time). */
export const ensureEditorBuilt = (): Promise<void> => ensureCliBuilt({ editor: true });

export interface RunningEditor {
  child: ChildProcess;
  /** The editor page, `http://127.0.0.1:PORT/`. */
  editorUrl: string;
  /** The gateway, `http://127.0.0.1:PORT`. */
  gatewayUrl: string;
  /** stdout and stderr so far, in order. */
  output(): string;
  /** Resolves when the output (stdout and stderr, from `since`) matches. */
  waitFor(re: RegExp, since?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<number | null>;
}

export async function startEditor(file: string, extraArgs: string[] = []): Promise<RunningEditor> {
  const p = new CliProcess(['edit', file, '--port', '0', '--editor-port', '0', ...extraArgs]);
  const [, editorUrl] = await p.waitForOutput(/Editor: +(http:\/\/\S+\/)/, 0, 20_000);
  const [, gatewayUrl] = await p.waitForOutput(/Gateway: +(http:\/\/\S+)/, 0, 20_000);
  return {
    child: p.child,
    editorUrl: editorUrl!,
    gatewayUrl: gatewayUrl!,
    output: () => p.all,
    waitFor: async (re, since = 0, timeoutMs = 20_000) => {
      await p.waitForOutput(re, since, timeoutMs);
    },
    stop: () => p.stop('SIGTERM', 8_000),
  };
}
