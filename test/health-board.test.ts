/**
 * The admin `/routes` health board keeps the most telling state per target: an ejection (with
 * its length) is not overwritten by the passive "unhealthy" verdict that follows it, while any
 * later change of verdict (healthy again, an active check) replaces it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RoutingEvent } from '../src/telemetry/events.js';
import { createHealthBoard } from '../src/telemetry/health-board.js';

const route = '/api/*';
const target = 'http://10.0.0.1:8080';

describe('health board', () => {
  it('an ejection followed by its passive "unhealthy" keeps the ejection and its length', () => {
    const board = createHealthBoard();
    board.emit({ type: 'ejection', route, target, forMs: 30_000 });
    board.emit({ type: 'health', route, target, healthy: false, source: 'passive' });
    expect(board.list()).toEqual([expect.objectContaining({ route, target, healthy: false, source: 'ejection', ejectedForMs: 30_000 })]);
    board.emit({ type: 'health', route, target, healthy: true, source: 'passive' });
    expect(board.list()).toEqual([expect.objectContaining({ healthy: true, source: 'passive' })]);
    expect(board.list()[0]!.ejectedForMs).toBeUndefined();
  });

  it("law: the shown verdict is always the last event's verdict, one entry per target", () => {
    const event = fc.oneof(
      fc.record({ type: fc.constant('ejection' as const), route: fc.constant(route), target: fc.constantFrom(target, 'http://b'), forMs: fc.integer({ min: 1, max: 300_000 }) }),
      fc.record({
        type: fc.constant('health' as const),
        route: fc.constant(route),
        target: fc.constantFrom(target, 'http://b'),
        healthy: fc.boolean(),
        source: fc.constantFrom('passive' as const, 'active' as const),
      }),
    );
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 30 }), (events) => {
        const board = createHealthBoard();
        for (const e of events) board.emit(e as RoutingEvent);
        const shown = board.list();
        const targets = new Set(events.map((e) => e.target));
        expect(shown.map((s) => s.target).sort()).toEqual([...targets].sort());
        for (const s of shown) {
          const last = events.filter((e) => e.target === s.target).at(-1)!;
          expect(s.healthy).toBe(last.type === 'health' ? last.healthy : false);
        }
      }),
    );
  });
});
