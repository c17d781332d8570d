/**
 * An upper bound on the size of a regex's compiled program, read from its source without
 * compiling it: every literal, class, escape and `.` counts 1; a group counts what it holds
 * (all alternatives) plus 2; `*`, `+`, `?` add 1; `{n}`, `{n,}` and `{n,m}` multiply what they repeat
 * by their largest bound. RE2's program for `x{1000}` has about 1,000 instructions, and both
 * compiling and matching cost that size (matching: times the value's length), so a bound on
 * it bounds validation and lookups whatever a table holds. Linear in the source; never throws.
 */

/** Stops counting here: anything larger is refused anyway. */
const CEILING = 1e9;

const REPEAT = /^\{(\d{1,7})(?:(,)(\d{0,7}))?\}/;

export function expandedSize(source: string): number {
  // One frame per open group: the sizes of its items so far (the last can take a quantifier).
  const frames: number[][] = [[]];
  const top = () => frames[frames.length - 1]!;
  const add = (n: number) => top().push(n);
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === 'Q') {
        // \Q...\E: literal text, one instruction per character.
        const end = source.indexOf('\\E', i + 2);
        const stop = end < 0 ? source.length : end;
        for (let k = i + 2; k < stop; k++) add(1);
        i = end < 0 ? source.length : end + 2;
        continue;
      }
      if ((next === 'p' || next === 'P') && source[i + 2] === '{') {
        const close = source.indexOf('}', i + 3);
        i = close < 0 ? source.length : close + 1;
      } else i += 2;
      add(1);
    } else if (c === '[') {
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < source.length && source[i] !== ']') {
        if (source[i] === '\\') i += 2;
        else if (source[i] === '[' && source[i + 1] === ':') {
          const close = source.indexOf(':]', i + 2);
          i = close < 0 ? i + 1 : close + 2;
        } else i++;
      }
      i++;
      add(1);
    } else if (c === '(') {
      i++;
      if (source[i] === '?') {
        // (?flags) alone sets flags and holds nothing; (?flags:...), (?P<n>...), (?<n>...) open a group.
        let k = i + 1;
        while (k < source.length && /[A-Za-z<>_0-9-]/.test(source[k]!)) k++;
        if (source[k] === ')') {
          i = k + 1;
          continue;
        }
        i = source[k] === ':' ? k + 1 : k;
      }
      frames.push([]);
    } else if (c === ')') {
      i++;
      if (frames.length > 1) {
        const inner = frames.pop()!;
        // +2: a capturing group saves its start and end (RE2 emits two instructions).
        add(Math.min(CEILING, inner.reduce((a, b) => a + b, 0) + 2));
      }
    } else if (c === '|') {
      i++;
      add(1);
    } else if (c === '*' || c === '+' || c === '?') {
      i++;
      const items = top();
      if (items.length > 0) items[items.length - 1]! += 1;
    } else if (c === '{' && REPEAT.test(source.slice(i, i + 20))) {
      const m = REPEAT.exec(source.slice(i, i + 20))!;
      i += m[0].length;
      const bound = Math.max(Number(m[1]), m[3] ? Number(m[3]) : 0) + (m[2] !== undefined && !m[3] ? 1 : 0);
      const items = top();
      if (items.length > 0) items[items.length - 1] = Math.min(CEILING, items[items.length - 1]! * Math.max(1, bound));
    } else {
      i++;
      add(1);
    }
  }
  let total = 0;
  for (const frame of frames) for (const n of frame) total = Math.min(CEILING, total + n);
  return total;
}
