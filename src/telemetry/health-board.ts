/**
 * The last known health of each target, from the routing events (`health`, `ejection`): what
 * the admin `/routes` endpoint shows beside each route. A sink, so it is fed like the metrics.
 */
import type { EventSink } from './events.js';

export interface TargetHealth {
  route: string;
  target: string;
  healthy: boolean;
  /** `passive`, `active`, or `ejection` (ejected for `ejectedForMs`). */
  source: 'passive' | 'active' | 'ejection';
  /** ISO time of the event. */
  since: string;
  ejectedForMs?: number;
}

export interface HealthBoard extends EventSink {
  /** The latest state of every target an event named. */
  list(): TargetHealth[];
}

export function createHealthBoard(): HealthBoard {
  const board = new Map<string, TargetHealth>();
  return {
    emit(event) {
      if (event.type === 'health') {
        const key = event.route + '\n' + event.target;
        // An ejection is followed by the passive verdict "unhealthy" for the same failure: the
        // ejection says more (for how long), so it stays the shown state until a verdict changes.
        if (event.source === 'passive' && !event.healthy && board.get(key)?.source === 'ejection') return;
        board.set(key, { route: event.route, target: event.target, healthy: event.healthy, source: event.source, since: new Date().toISOString() });
      } else if (event.type === 'ejection') {
        board.set(event.route + '\n' + event.target, {
          route: event.route,
          target: event.target,
          healthy: false,
          source: 'ejection',
          since: new Date().toISOString(),
          ejectedForMs: event.forMs,
        });
      }
    },
    list: () => [...board.values()],
  };
}
