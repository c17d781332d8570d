/**
 * The request targets every entry point refuses (SPEC section 4, docs/runtime.md), with the
 * status and code each must be answered with, and a check that runs them against a server.
 */
import { expect } from 'vitest';
import { send } from '../support-browser/upstream.js';

export const REFUSED_PATHS: readonly { path: string; status: number; code: string }[] = [
  { path: '/api/a%2Fb', status: 400, code: 'encoded-slash' },
  { path: '/api/%00', status: 400, code: 'encoded-nul' },
  { path: '/api/' + 'a'.repeat(9_000), status: 414, code: 'path-too-long' },
  { path: '/api' + '/s'.repeat(300), status: 414, code: 'too-many-segments' },
];

/**
 * Sends each refused target under `prefix` and expects the JSON error answer; `reached()` (how
 * many requests the upstream and the app saw) must not move.
 */
export async function expectRefusedPaths(origin: string, reached: () => number, prefix = ''): Promise<void> {
  const before = reached();
  for (const { path, status, code } of REFUSED_PATHS) {
    const res = await send(origin, prefix + path);
    expect(res.status, path.slice(0, 40)).toBe(status);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json(), path.slice(0, 40)).toMatchObject({ error: { code }, route: null });
  }
  expect(reached()).toBe(before);
}
