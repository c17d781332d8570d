/**
 * Optional code generation for the TypeScript matcher: the radix tree of src/match/tree.ts
 * emitted as straight-line JavaScript, so a lookup is a chain of `charCodeAt` comparisons
 * and `startsWith` calls with every branch, route index and capture slot a constant.
 *
 * It implements exactly the interpreter's walk (same tree, same order: static, parameter,
 * catch-all; a failed branch falls through to the next alternative), and the agreement
 * properties run against both. Runtimes that forbid code generation from strings
 * (`--disallow-code-generation-from-strings`, CSP, some enclaves) keep the interpreter:
 * `generateLookup` returns null there.
 *
 * Large trees are split into several functions (a subtree past INLINE_NODES gets its own),
 * so each stays small enough for V8 to optimize.
 */
import type { RouteMatch } from './types.js';
import type { CompiledRoute } from './types.js';
import { LONG_SEGMENT, type SegmentEnds } from './segments.js';
import { startsWithFolded, type Node } from './tree.js';

export type GeneratedLookup = (path: string, end: number, offsets: Int32Array) => number;

const INLINE_NODES = 200;
/** Nesting depth (tree levels) at which a subtree moves into its own function, for V8's parser. */
const MAX_NESTING = 40;
/**
 * Trees deeper than this are left to the interpreter: past it the generated code is a chain of
 * functions (see MAX_NESTING) that the JIT warms up one by one, which made deep lookups erratic
 * (test/linear-time.test.ts), and the emitter itself recurses per level. Real tables are far
 * shallower; the interpreter walks any depth at a steady cost.
 */
const MAX_HEIGHT = 128;
/**
 * Past this many nodes the interpreter serves: measured on the 10,000-route table, generated
 * functions grew past V8's optimizable bytecode size and stayed in the baseline tiers (2.3 us
 * per lookup against the interpreter's 0.86 us), and compiling them cost seconds of CPU.
 */
const MAX_NODES = 4_000;
/** Literals up to this length are compared with unrolled `charCodeAt` (about 3x cheaper than `startsWith` here). */
const UNROLL = 12;

let available: boolean | undefined;

/**
 * Whether a table of these shapes gets a generated matcher, decided before building the tree:
 * a radix tree has at most two nodes per route (its end and one split) plus one per parameter,
 * and its depth is estimated from the longest pattern (MAX_HEIGHT).
 */
export function codegenFits(shapes: readonly (readonly string[])[]): boolean {
  let nodes = 1;
  for (const shape of shapes) {
    // Depth estimate: a segment usually adds one node, two with a parameter or a split.
    if (2 * shape.length + 1 > MAX_HEIGHT) return false;
    nodes += 2;
    for (const s of shape) if (s === ':') nodes++;
  }
  return codegenAvailable() && nodes <= MAX_NODES;
}

/** Whether `new Function` works here (it throws EvalError where code generation is forbidden). */
export function codegenAvailable(): boolean {
  if (available === undefined) {
    try {
      available = new Function('return 1')() === 1;
    } catch {
      available = false;
    }
  }
  return available;
}

/** Subtree sizes of every node and the tree's height, computed without recursion. */
function measure(root: Node, sizes: Map<Node, number>): { size: number; height: number } {
  const order: Node[] = [];
  const depth = new Map<Node, number>([[root, 1]]);
  let height = 1;
  const pending = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    order.push(node);
    const d = depth.get(node)!;
    if (d > height) height = d;
    const below = node.param !== null ? [...node.children, node.param] : node.children;
    for (const child of below) {
      depth.set(child, d + 1);
      pending.push(child);
    }
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    let n = 1;
    for (const child of node.children) n += sizes.get(child)!;
    if (node.param !== null) n += sizes.get(node.param)!;
    sizes.set(node, n);
  }
  return { size: sizes.get(root)!, height };
}

class Emitter {
  private readonly functions: string[] = [];
  private readonly sizes = new Map<Node, number>();
  private nextFn = 0;
  private nextVar = 0;

  constructor(
    private readonly fold: boolean,
    private readonly boundedEnd: boolean,
  ) {}

  program(root: Node): string | null {
    const { size, height } = measure(root, this.sizes);
    if (size > MAX_NODES || height > MAX_HEIGHT) return null;
    const main = this.function(root, 0, 0);
    return `"use strict";\n${this.functions.join('\n')}\nreturn ${main};`;
  }

  /** A separate function that continues at `node` with the position in `p`. */
  private function(node: Node, nparams: number, nesting: number): string {
    const name = `n${this.nextFn++}`;
    const body = this.node(node, 'p', nparams, nesting);
    this.functions.push(`function ${name}(path, p, end, o) {\n${body}\nreturn -1;\n}`);
    return name;
  }

  /** Code that matches below `node` (its prefix already consumed, position in `pos`); it returns on success and falls through on failure. */
  private node(node: Node, pos: string, nparams: number, nesting: number): string {
    const atEnd: string[] = [];
    if (node.route >= 0) atEnd.push(`return ${node.route};`);
    if (node.catchAll >= 0) atEnd.push(`o[${2 * nparams}] = ${pos}; return ${node.catchAll};`);
    const alternatives: string[] = [];
    const c = `c${this.nextVar++}`;
    if (node.children.length > 0) {
      const cases = node.children.map((child) => {
        const code = child.prefix.charCodeAt(0);
        const len = child.prefix.length;
        const next = `p${this.nextVar++}`;
        const checks: string[] = [];
        if (this.boundedEnd && len > 1) checks.push(`${pos} + ${len} <= end`);
        else if (this.boundedEnd) checks.push(`${pos} < end`);
        if (len > 1) checks.push(this.literal(child.prefix, pos));
        const inner = `const ${next} = ${pos} + ${len};\n${this.continueAt(child, next, nparams, nesting + 1)}`;
        return { code, body: checks.length > 0 ? `if (${checks.join(' && ')}) {\n${inner}\n}` : `{\n${inner}\n}` };
      });
      if (cases.length === 1) alternatives.push(`if (${c} === ${cases[0]!.code}) ${cases[0]!.body}`);
      else alternatives.push(`switch (${c}) {\n${cases.map((k) => `case ${k.code}: ${k.body}\nbreak;`).join('\n')}\n}`);
    }
    if (node.param !== null) {
      const e = `e${this.nextVar++}`;
      alternatives.push(
        `if (${c} !== 47) {\nlet ${e};\nif (se.known === 0) { ${e} = path.indexOf('/', ${pos}); if (${e} < 0 || ${e} > end) ${e} = end; if (${e} - ${pos} >= ${LONG_SEGMENT}) se.remember(${pos}, ${e}); } else ${e} = se.end(path, ${pos}, end);\n` +
          `o[${2 * nparams}] = ${pos}; o[${2 * nparams + 1}] = ${e};\n${this.continueAt(node.param, e, nparams + 1, nesting + 1)}\n}`,
      );
    }
    if (node.catchAll >= 0) alternatives.push(`if (${c} === 47) { o[${2 * nparams}] = ${pos}; return ${node.catchAll}; }`);
    let code = atEnd.length > 0 ? `if (${pos} === end) { ${atEnd.join(' ')} }\n` : '';
    if (alternatives.length > 0) {
      const read = this.fold ? `let ${c} = path.charCodeAt(${pos}); if (${c} >= 65 && ${c} <= 90) ${c} += 32;` : `const ${c} = path.charCodeAt(${pos});`;
      code += `if (${pos} < end) {\n${read}\n${alternatives.join('\n')}\n}`;
    }
    return code;
  }

  /** A test that `prefix` (whose first character is already known to match) stands at `pos`. */
  private literal(prefix: string, pos: string): string {
    if (prefix.length - 1 > UNROLL) {
      return this.fold ? `sw(path, ${JSON.stringify(prefix)}, ${pos})` : `path.startsWith(${JSON.stringify(prefix.slice(1))}, ${pos} + 1)`;
    }
    const tests: string[] = [];
    for (let i = 1; i < prefix.length; i++) {
      const code = prefix.charCodeAt(i);
      // Folding: for a (lower-case) letter, `| 32` maps exactly its two cases onto it.
      const letter = code >= 97 && code <= 122;
      tests.push(this.fold && letter ? `(path.charCodeAt(${pos} + ${i}) | 32) === ${code}` : `path.charCodeAt(${pos} + ${i}) === ${code}`);
    }
    return tests.join(' && ');
  }

  private continueAt(node: Node, pos: string, nparams: number, nesting: number): string {
    if (this.sizes.get(node)! <= INLINE_NODES && nesting < MAX_NESTING) return this.node(node, pos, nparams, nesting);
    const fn = this.function(node, nparams, 0);
    return `{ const r = ${fn}(path, ${pos}, end, o); if (r >= 0) return r; }`;
  }
}

/** A lookup specialized to this tree, or null where code generation is unavailable or unwise. */
export function generateLookup(root: Node, fold: boolean, ignoreTrailingSlash: boolean, segments: SegmentEnds): GeneratedLookup | null {
  if (!codegenAvailable()) return null;
  const source = new Emitter(fold, ignoreTrailingSlash).program(root);
  if (source === null) return null;
  const entry = new Function('sw', 'se', source)(startsWithFolded, segments) as (path: string, p: number, end: number, o: Int32Array) => number;
  return (path, end, offsets) => entry(path, 0, end, offsets);
}

export type MatchBuilder = (route: CompiledRoute, path: string, offsets: Int32Array) => RouteMatch;

/** Past this many distinct parameter shapes, the rarer shapes use `materialize`. */
const MAX_SHAPES = 256;

/**
 * One match builder for the whole table: a switch on the route's parameter shape (its list of
 * parameter names and whether it has a catch-all), each case an object literal with fixed keys.
 * One function means one call target where `match` calls it (V8 can inline it), and one hidden
 * class per parameter shape instead of a dictionary grown key by key. Same slicing and decoding
 * as `materialize`, which serves where code generation is unavailable.
 */
export function generateMatchBuilder(
  routes: readonly CompiledRoute[],
  decode: (value: string) => string,
  fallback: MatchBuilder,
): { build: MatchBuilder; shapeOf: Int32Array } | null {
  if (!codegenAvailable()) return null;
  const ids = new Map<string, number>();
  const cases: string[] = [];
  const shapeOf = new Int32Array(routes.length).fill(-1);
  routes.forEach((route, i) => {
    const key = JSON.stringify([route.paramNames, route.catchAll]);
    let id = ids.get(key);
    if (id === undefined) {
      if (ids.size >= MAX_SHAPES) return;
      id = ids.size;
      ids.set(key, id);
      const names = route.paramNames;
      const params = names.map((name, k) => `${JSON.stringify(name)}: d(path.slice(o[${2 * k}], o[${2 * k + 1}]))`).join(', ');
      const rest = route.catchAll ? `, remainder: path.slice(o[${2 * names.length}])` : '';
      cases.push(`case ${id}: return { pattern: r.pattern, target: r.target, params: { ${params} }${rest}, route: r, variant: r.variants[0] };`);
    }
    shapeOf[i] = id;
  });
  const source = `"use strict";\nreturn function build(r, path, o) {\nswitch (s[r.index]) {\n${cases.join('\n')}\n}\nreturn fallback(r, path, o);\n};`;
  const build = new Function('d', 's', 'fallback', source)(decode, shapeOf, fallback) as MatchBuilder;
  return { build, shapeOf };
}
