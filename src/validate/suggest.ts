/**
 * "Did you mean" for unknown field names (SPEC 10: a typo must never silently switch a policy
 * off): the nearest known name by edit distance. Names are compared on at most 64 characters,
 * so a hostile megabyte key costs no more than a short one.
 */

const MAX_COMPARED = 64;

/** Levenshtein distance (insert, delete, substitute), two rows. */
export function editDistance(a: string, b: string): number {
  a = a.slice(0, MAX_COMPARED);
  b = b.slice(0, MAX_COMPARED);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The known name nearest to `name` (ASCII case ignored for the distance), or undefined when none is near. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Near: at most a third of the longer name wrong (and always allow 2), so `tiemout` finds
  // `timeout` but `x` does not "mean" `host`.
  const longer = Math.max(Math.min(name.length, MAX_COMPARED), best?.length ?? 0);
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(longer / 3)) ? best : undefined;
}
