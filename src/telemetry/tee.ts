/** One `EventSink` from several (the host's own and the metrics), none failing another. No dependencies: the portable entry uses it. */
import type { EventSink } from './events.js';

/** One sink that calls each of `sinks` (undefined ones skipped), none failing another. */
export function teeEvents(...sinks: (EventSink | undefined)[]): EventSink | undefined {
  const list = sinks.filter((s): s is EventSink => s !== undefined);
  if (list.length <= 1) return list[0];
  return {
    emit(event) {
      for (const s of list) {
        try {
          s.emit(event);
        } catch {
          /* one sink's failure is not another's */
        }
      }
    },
  };
}
