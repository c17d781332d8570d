/**
 * "No socket left open after each test" (SPEC section 8), shared by the proxy and runtime
 * tests: register everything a test opens with `track`; after each test it is closed, and the
 * process must be back to the TCP handles it had before the file's first test.
 */
import { afterEach, beforeAll, expect } from 'vitest';
import { eventually, openTcpHandles } from './servers.js';

type Closable = { close(): Promise<void> };

export function closeAfterEachAndCheckSockets(): <T extends Closable>(p: Promise<T> | T) => Promise<T> {
  let baseline = 0;
  const open: Closable[] = [];
  beforeAll(() => {
    baseline = openTcpHandles();
  });
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
    await eventually(() => openTcpHandles() === baseline, 2_000, 'all TCP handles to close');
    expect(openTcpHandles()).toBe(baseline);
  });
  return async (p) => {
    const v = await p;
    open.push(v);
    return v;
  };
}
