/**
 * The conflict check's index of route shapes (SPEC 3: two patterns conflict when their shapes,
 * what the matchers see, are equal segment for segment).
 *
 * It replaces a Map keyed by each shape's segments joined into one string: building that key and
 * hashing it into a 10,000-entry Map was ~20% of validating a 10,000-route table's line samples,
 * and the keys and the Map's growing tables were garbage the scavenger then had to sweep around
 * (bench/results/notes-compile.md, session 24). Here a shape is hashed over its characters into
 * an open-addressed table of typed arrays sized once for the whole table: no string and no object
 * per route. Equal hashes are confirmed by comparing the segments, so the answer never depends
 * on the hash; only the time does.
 *
 * One index serves every table in turn (`takeShapeIndex` / `giveShapeIndex`): a fresh index per
 * table made V8 throw away `analyze`'s and `add`'s optimized code on most GCs ("weak objects":
 * 30-40 recompilations in 30 validations of 10,000 routes instead of ~5, each 20-90 ms of the
 * compiler thread's CPU). A validation started while another is under way (a getter in the table
 * calling `validateRoutes`) gets an index of its own.
 *
 * The hash starts from a random seed per table, so a table cannot be written to make every shape
 * collide; and should probing still get long (more steps than a few per shape), the index moves
 * to a Map keyed by an injective string of each shape (JSON), the old way, for the rest of the
 * table: never quadratic.
 */

/** Slots an idle index keeps (256 KB): a 100,000-route table's are given back. */
const KEPT_SLOTS = 1 << 16;

/** Probe steps allowed per shape added (plus a constant) before the index falls back to a Map. */
const PROBES_PER_SHAPE = 8;
const PROBES_BASE = 1024;

export class ShapeIndex {
  /** Shapes in the order added: an entry's number is its position here. */
  private shapes: (readonly string[])[] = [];
  /** Open-addressed slots: entry number + 1, 0 when empty. Power-of-two length, at most half full. */
  private slots: Int32Array;
  /** Each entry's full 32-bit hash, compared before its segments. */
  private hashes: Int32Array;
  private seed = 0;
  private probes = 0;
  /** Set once probing got long: from then on shapes are found by their JSON text. */
  private fallback: Map<string, number> | null = null;

  /**
   * `expected`: about how many shapes will be added (the table's route count); the index grows
   * past it if needed. `hash` replaces the seeded hash (tests force collisions with it).
   */
  constructor(
    expected: number,
    private readonly hash: ((shape: readonly string[], seed: number) => number) | null = null,
  ) {
    this.slots = new Int32Array(0);
    this.hashes = new Int32Array(0);
    this.reset(expected);
  }

  /** Empties the index for a table of about `expected` shapes (keeps its arrays where they fit). */
  reset(expected: number): void {
    let size = 16;
    while (size < expected * 2) size *= 2;
    if (this.slots.length === size) this.slots.fill(0);
    else this.slots = new Int32Array(size);
    const entries = Math.max(8, expected);
    if (this.hashes.length < entries || this.hashes.length > 2 * entries + 64) this.hashes = new Int32Array(entries);
    this.shapes = [];
    this.probes = 0;
    this.fallback = null;
    this.seed = (Math.random() * 0x100000000) | 0;
  }

  /** Forgets the table's shapes (the index is kept for the next table, never its shapes). */
  clear(): void {
    this.shapes = [];
    this.fallback = null;
    // A huge table's arrays are not kept for the next one.
    if (this.slots.length > KEPT_SLOTS) this.reset(0);
  }

  get size(): number {
    return this.shapes.length;
  }

  /**
   * Adds `shape` unless an equal one is already in: returns the number of that earlier entry
   * (the order in which shapes were added, from 0), or -1 when `shape` is new (it then gets the
   * next number).
   */
  add(shape: readonly string[]): number {
    if (this.fallback !== null) return this.addByKey(shape);
    const h = this.hash !== null ? this.hash(shape, this.seed) | 0 : hashShape(shape, this.seed);
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = h & mask;
    for (;;) {
      const entry = slots[i]! - 1;
      if (entry < 0) break;
      if (this.hashes[entry] === h && sameShape(this.shapes[entry]!, shape)) return entry;
      i = (i + 1) & mask;
      if (++this.probes > PROBES_BASE + PROBES_PER_SHAPE * this.shapes.length) {
        this.useMap();
        return this.addByKey(shape);
      }
    }
    const entry = this.shapes.length;
    this.shapes.push(shape);
    if (entry === this.hashes.length) {
      const grown = new Int32Array(Math.max(8, entry * 2));
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[entry] = h;
    slots[i] = entry + 1;
    if (this.shapes.length * 2 > slots.length) this.grow();
    return -1;
  }

  /** Doubles the slots (only when more shapes come than `expected` said). */
  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let entry = 0; entry < this.shapes.length; entry++) {
      let i = this.hashes[entry]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = entry + 1;
    }
    this.slots = slots;
  }

  private useMap(): void {
    const map = new Map<string, number>();
    for (let entry = 0; entry < this.shapes.length; entry++) map.set(JSON.stringify(this.shapes[entry]), entry);
    this.fallback = map;
    this.slots = new Int32Array(0);
    this.hashes = new Int32Array(0);
  }

  private addByKey(shape: readonly string[]): number {
    const key = JSON.stringify(shape);
    const earlier = this.fallback!.get(key);
    if (earlier !== undefined) return earlier;
    this.fallback!.set(key, this.shapes.length);
    this.shapes.push(shape);
    return -1;
  }

  /** True once the index has moved to its Map (tests read it). */
  get degraded(): boolean {
    return this.fallback !== null;
  }
}

/**
 * FNV-1a over the characters, from a seed; each segment ends with its length mixed in (above any
 * UTF-16 unit), so `["a/b"]` and `["a", "b"]` differ before their segments are compared.
 */
function hashShape(shape: readonly string[], seed: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let s = 0; s < shape.length; s++) {
    const seg = shape[s]!;
    for (let i = 0; i < seg.length; i++) h = Math.imul(h ^ seg.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ (0x10000 + seg.length), 0x01000193);
  }
  // A final avalanche: the slot is the low bits, which FNV alone mixes least.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

function sameShape(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

let idle: ShapeIndex | null = new ShapeIndex(0);

/** The shared index (a new one while it is in use); `reset` it for the table before adding. */
export function takeShapeIndex(): ShapeIndex {
  const index = idle;
  if (index === null) return new ShapeIndex(0);
  idle = null;
  return index;
}

/** Gives an index from `takeShapeIndex` back, emptied. */
export function giveShapeIndex(index: ShapeIndex): void {
  index.clear();
  if (idle === null) idle = index;
}
