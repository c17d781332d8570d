/**
 * test/cli-workers.test.ts's view of a running `af-routes` (./cli-process.ts does the work): it
 * reads how a worker pool ended (`exited`: code and signal) and kills leftovers outright (a
 * test has already checked the graceful stop it cares about).
 */
import type { ChildProcess } from 'node:child_process';
import { CliProcess as Cli, type Exit } from './cli-process.js';

export { ensureCliBuilt as ensureBuilt } from './cli-process.js';

export class CliProcess {
  private readonly p: Cli;
  readonly exited: Promise<Exit>;
  constructor(args: string[]) {
    this.p = new Cli(args);
    this.exited = this.p.exit;
  }
  get child(): ChildProcess {
    return this.p.child;
  }
  get out(): string {
    return this.p.out;
  }
  get err(): string {
    return this.p.err;
  }
  get alive(): boolean {
    return this.p.alive;
  }
  /** Waits until stdout matches `re`. */
  waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    return this.p.waitFor(re, 0, timeoutMs);
  }
  async stop(): Promise<void> {
    await this.p.stop('SIGKILL');
  }
}
