/**
 * The JSON access log's batches (src/cli/access-log-batch.ts): whatever the lines (ASCII or
 * not, short or longer than a batch), the writes are the lines in order, each write whole
 * lines, none over `max` bytes unless it is one line alone (what keeps cluster workers' lines
 * from interleaving on a shared pipe), and nothing waits once a batch reaches `min`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineBatcher } from '../src/cli/access-log-batch.js';

const line = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 120 }), fc.constant('x'.repeat(5000))).map((s) => `{"path":${JSON.stringify(s)}}\n`);

/** Splits `writes` back into the lines they carry (every line ends with its only newline). */
function linesOf(write: string): string[] {
  return write.split(/(?<=\n)/);
}

describe('LineBatcher', () => {
  it('writes the lines in order, whole, in batches of at most max bytes', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 80 }), fc.integer({ min: 64, max: 4096 }), fc.integer({ min: 0, max: 4096 }), (lines, min, extra) => {
        const max = min + extra;
        const writes: string[] = [];
        const batcher = new LineBatcher({ write: (b) => writes.push(b.toString()) }, min, max);
        for (const l of lines) batcher.write(l);
        // Before the final flush, less than a batch waits.
        expect(batcher.pending).toBeLessThan(min);
        batcher.flush();
        expect(batcher.pending).toBe(0);
        expect(writes.join('')).toBe(lines.join(''));
        for (const w of writes) {
          const carried = linesOf(w);
          expect(w.endsWith('\n')).toBe(true);
          if (carried.length > 1) expect(Buffer.byteLength(w)).toBeLessThanOrEqual(max);
        }
      }),
    );
  });

  it('writes nothing for nothing, and a batch as soon as it reaches min', () => {
    const writes: string[] = [];
    const batcher = new LineBatcher({ write: (b) => writes.push(b.toString()) }, 10, 20);
    batcher.flush();
    expect(writes).toEqual([]);
    batcher.write('12345\n');
    expect(writes).toEqual([]);
    batcher.write('6789\n');
    expect(writes).toEqual(['12345\n6789\n']);
  });

  it('refuses bounds that cannot batch', () => {
    expect(() => new LineBatcher({ write() {} }, 0, 10)).toThrow(/need 0 < min <= max, got min 0, max 10/);
    expect(() => new LineBatcher({ write() {} }, 20, 10)).toThrow(/need 0 < min <= max/);
  });
});
