/**
 * Records whose keys come from requests and upstreams (header names, ...): no prototype, so
 * `__proto__` or `constructor` are ordinary keys. `Object.create(null)` gives such a record in
 * V8's dictionary mode, where every `for...in` collects and sorts the keys anew (the hit path
 * walks the stages' response headers once per request); an object built by a constructor
 * whose prototype is itself prototype-less keeps fast properties, and records filled in the
 * same order share one hidden class and its cached key list.
 */
const NullRecord = function NullRecord() {} as unknown as new () => Record<string, never>;
NullRecord.prototype = Object.create(null) as object;

/** An empty record without `Object.prototype` in its chain (`'toString' in r` is false). */
export function emptyRecord<T>(): Record<string, T> {
  return new NullRecord() as Record<string, T>;
}
