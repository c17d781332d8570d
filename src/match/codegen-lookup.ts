/**
 * Optional code generation for the TypeScript matcher: the radix tree of ./node.ts emitted as
 * straight-line JavaScript, so a lookup is a chain of `charCodeAt` comparisons and literal
 * compares (`eq`, see LOOP_AT) with every branch, route index, method mask and capture slot a constant.
 *
 * It implements exactly the interpreter's walk (./interpreter.ts: same tree, same order:
 * static, constrained, parameter, catch-all; a refused slot or a failed branch falls through
 * to the next alternative), and the agreement properties run against both. Where code
 * generation is forbidden the interpreter serves (./codegen-available.ts).
 *
 * Large trees are split into several functions (a function whose source passes
 * MAX_FUNCTION_CHARS moves its largest subtrees out, and MAX_NESTING bounds nesting), so each
 * stays small enough for V8 to optimize and parse. `fitsCodegen` is the one decision whether a tree
 * gets generated code, taken on the real tree (the router asks it before choosing a backend).
 */
import { ALL_METHODS, type BackendGuards } from './core.js';
import { measureTree, startsWithFolded, type Node } from './node.js';
import { LONG_SEGMENT, type SegmentEnds } from './segments.js';
import type { LinearRegex } from '../table/route.js';

/**
 * The generated entry itself (no wrapper: one call less per lookup); `p` is 0 for a whole path,
 * which the caller has checked starts with `/` (the root's code does not read that character).
 */
export type GeneratedLookup = (path: string, p: number, end: number, offsets: Int32Array, method: number) => number;

/**
 * Subtrees past this many nodes always get a function of their own. Sizes are otherwise left to
 * `fit` (MAX_FUNCTION_CHARS), which measures the code itself: with 200 here, the GitHub tables'
 * root called a second function holding everything under `/` on every lookup.
 */
const INLINE_NODES = 4_000;
/**
 * Source size past which a function's largest inlined subtrees move into functions of their
 * own. V8 never optimizes a function of more than 60 KB of bytecode (0.95-0.96 bytes per
 * character of this code), but well under that limit size still costs: TurboFan's time grows
 * faster than linearly with a function's size, and a function deoptimized by a branch first
 * reached after optimization is recompiled whole. Measured (notes-lookup.md, Session 23), 56k
 * (the GitHub table in one function) vs 16k (8 functions): TurboFan 1,695 vs 452 ms CPU over a
 * bench/lookup.mjs run, the longest compile 809 vs 147 ms; compile + the first 1M lookups
 * 1,382-1,855 vs 682-690 ms CPU (the interpreter: 504-525); the price, a call on the paths into
 * a moved subtree: +5-8% (~8 ns) at steady state on the GitHub and gateway tables, none on
 * github-methods. 8k and 4k saved little more CPU and cost 8-15% on the GitHub table.
 */
const MAX_FUNCTION_CHARS = 16_000;
/** Nesting depth (tree levels) at which a subtree moves into its own function, for V8's parser. */
const MAX_NESTING = 40;
/**
 * Trees deeper than this are left to the interpreter: past it the generated code is a chain of
 * functions (see MAX_NESTING) that the JIT warms up one by one, which made deep lookups erratic,
 * and the emitter itself recurses per level. Real tables are far shallower; the interpreter (or
 * native code, which `auto` prefers) walks any depth at a steady cost.
 */
const MAX_HEIGHT = 128;
/**
 * The generated lookup is admitted only where it repays its cost within a few million lookups:
 * the lookup that crosses the tiering threshold generates it (3-25 ms CPU here, 60-180 ms at
 * 2,000-7,000 nodes), and V8 then spends up to a second or more optimizing it, again after each
 * deopt (a deopt recompiles the whole function: up to ~1 s of TurboFan per 16k-character
 * function). Measured with the literal guard (notes-lookup.md, Session 24, "the literal guard";
 * `bench/tier-crossover.mjs`: steady state in one process; compile + the first 3M lookups in
 * fresh processes): the gateway (74 nodes) and GitHub (228) tables repay it after ~1.8-2.6M
 * lookups, tenant tables of 5 and 10 tenants (37, 72) after 0.7-2.5M, 25 tenants (179) after
 * ~4-5M; GitHub under two API prefixes (456 nodes) after ~5.3M whether its copies are repeated or
 * distinct, and there native code is faster than generated at steady state; four (910) ~14M;
 * tenant tables of 711 nodes and more are slower generated than interpreted even at steady
 * state. Refused trees get native code under `auto` (faster than the interpreter on every table
 * measured, and than generated code from 456 nodes on), the interpreter elsewhere.
 * Repeated subtrees are no longer refused apart (session 24 refused trees under half distinct):
 * their extra bill was out-of-bounds reads in the unrolled literal tests, one deopt per copy
 * (25 tenants: 25 of 27 deopts), which `literal` now guards (0-1 deopts; break-even ~44M -> ~4-5M).
 */
const MAX_NODES = 300;
/** Literals up to this length are compared with unrolled `charCodeAt` (about 3x cheaper than `startsWith` here); only where `eq` does not serve (folded tables). */
const UNROLL = 12;
/**
 * Case-sensitive literals with at least this many characters after the first are compared by
 * ONE shared loop, `eq`, over their characters in one Uint16Array, not unrolled. Why: TurboFan
 * compiles every `path.charCodeAt(i)` site to ~390 bytes (the string representation dispatch
 * inlined), so the unrolled GitHub walk was 285 KB of machine code for a 32 KB L1i: 26.5 L1i
 * misses per mixed lookup (medley 0.3). With `eq` (not inlined by V8: a call per literal):
 * 7.0 misses, +156 instructions, and 0.87x the time (GitHub mixed, request-ab; gateway 16.4 ->
 * 2.2 misses, +130 instructions, time even). An inline loop per literal instead (no call: 14.2
 * misses, +60 instructions) timed 1.07-1.11x the `eq` form; 2 and 3 here counted the same
 * (notes-lookup.md, Session 27). `eq` compares two characters per turn (session 28: per GitHub
 * parameter hit 1,776 -> 1,754 instructions, fewer loop-exit mispredicts; the per-character cost
 * is the string read itself, ~25 instructions, which no form of the loop removes).
 */
const LOOP_AT = 2;

/** Whether this tree gets generated code (the only place that decides it). */
export function fitsCodegen(root: Node, sizes: Map<Node, number> = new Map()): boolean {
  // Measuring stops at the limits: a tree that will not be generated is not measured further.
  const { size, height } = measureTree(root, sizes, { size: MAX_NODES, height: MAX_HEIGHT });
  return size <= MAX_NODES && height <= MAX_HEIGHT;
}

/**
 * How many structurally different subtrees the tree holds (route indices aside: two tenants'
 * `/users/:id` subtrees are one). Not part of the rule any more: bench/tier-crossover.mjs reports
 * it per table, and test/codegen-admission.test.ts shows that repetitive tables are admitted.
 * Recursive: callers pass trees within MAX_HEIGHT.
 */
export function distinctSubtrees(root: Node): number {
  const ids = new Map<string, number>();
  const id = (node: Node): number => {
    // The prefix, then only numbers and separators: no two different subtrees share a key.
    let key = `${node.prefix}\u0000${node.route >= 0 ? 1 : 0}${node.catchAll >= 0 ? 1 : 0}`;
    for (const child of node.children) key += `,${id(child)}`;
    for (const c of node.constrained) key += `~${c.id}:${id(c.node)}`;
    if (node.param !== null) key += `;${id(node.param)}`;
    let n = ids.get(key);
    if (n === undefined) ids.set(key, (n = ids.size));
    return n;
  };
  id(root);
  return ids.size;
}

/** The admission limit (exported for tests, see MAX_NODES). */
export const CODEGEN_ADMISSION = { maxNodes: MAX_NODES } as const;

/**
 * A placeholder for an inlined subtree: U+0001, a number, U+0001. No other emitted code holds
 * that character (route text reaches the source only through JSON.stringify, which escapes it).
 */
// eslint-disable-next-line no-control-regex -- the control character is the point: emitted code never holds one
const TOKEN = /\u0001\d+\u0001/g;

/** A subtree's code inlined into its parent's, behind `token` until placed. */
interface Inlined {
  token: string;
  pos: string;
  code: string;
}

class Emitter {
  private readonly functions: string[] = [];
  private readonly sizes = new Map<Node, number>();
  private nextFn = 0;
  private nextVar = 0;
  /** The characters of the literals compared by `eq`, emitted as one Uint16Array `L`. */
  private readonly lits: number[] = [];
  /** Per `node` call under way, the subtrees it inlined (`continueAt`), still movable into functions. */
  private readonly inlined: Inlined[][] = [];
  /** Per node, the union of the method masks of every route at or below it (`methodsBelow`). */
  private readonly below = new Map<Node, number>();
  /**
   * Nodes entered where the character, if any before `end`, is known to be a `/`, so their code
   * reads none: the parameter nodes (plain and constrained), entered at their segment's end (the
   * scan stopped at that `/`), and the root, entered at position 0 of a path that the caller has
   * checked starts with `/` (`GeneratedLookup`).
   */
  private readonly atSlash = new Set<Node>();

  constructor(
    private readonly fold: boolean,
    private readonly boundedEnd: boolean,
    private readonly guards: BackendGuards | null,
  ) {}

  program(root: Node): string | null {
    if (!fitsCodegen(root, this.sizes)) return null;
    this.atSlash.add(root);
    const main = this.function(root, 0, 0);
    const eq =
      this.lits.length === 0
        ? ''
        : `const L = new Uint16Array([${this.lits.join(',')}]);\nfunction eq(path, p, k, n) {\nconst l = L;\nlet i = 0;\nfor (; i + 1 < n; i += 2) if (path.charCodeAt(p + i) !== l[k + i] || path.charCodeAt(p + i + 1) !== l[k + i + 1]) return false;\nreturn i === n || path.charCodeAt(p + i) === l[k + i];\n}\n`;
    return `"use strict";\n${eq}${this.functions.join('\n')}\nreturn ${main};`;
  }

  /** A separate function that continues at `node` with the position in `p`. */
  private function(node: Node, nparams: number, nesting: number): string {
    const name = `n${this.nextFn++}`;
    const body = this.node(node, 'p', nparams, nesting);
    this.functions.push(`function ${name}(path, p, end, o, b) {\n${body}\nreturn -1;\n}`);
    return name;
  }

  /** `return route;`, behind the route's guards when it has any (a refused slot falls through). */
  private take(route: number): string {
    const g = this.guards;
    if (g === null) return `return ${route};`;
    const tests: string[] = [];
    const mask = g.methods[route]!;
    // With LAZY_METHOD (0) the request is read here, at the first slot that needs its method.
    if (mask !== ALL_METHODS) tests.push(g.methodBit === undefined ? `(b & ${mask}) !== 0` : `((b !== 0 ? b : (b = mb())) & ${mask}) !== 0`);
    if (g.checked[route] === 1) tests.push(`acc(${route})`);
    return tests.length === 0 ? `return ${route};` : `if (${tests.join(' && ')}) return ${route};`;
  }

  /** The union of the method masks of the routes at or below `node` (ALL_METHODS without guards). */
  private methodsBelow(node: Node): number {
    const g = this.guards;
    if (g === null) return ALL_METHODS;
    let mask = this.below.get(node);
    if (mask !== undefined) return mask;
    mask = 0;
    if (node.route >= 0) mask |= g.methods[node.route]!;
    if (node.catchAll >= 0) mask |= g.methods[node.catchAll]!;
    for (const child of node.below()) mask |= this.methodsBelow(child);
    this.below.set(node, mask);
    return mask;
  }

  /**
   * A test that the request's method can be taken somewhere below `child`, or null where that
   * tells nothing `parent`'s own test did not (the same methods below both). Where no route below
   * takes the method the walk skips the subtree instead of walking down to find every slot
   * refusing it: a 405 path otherwise walks as deep as a hit and backtracks out. An unknown
   * method (LAZY_METHOD, 0) prunes nothing.
   */
  private methodsTest(parent: Node, child: Node): string | null {
    const mask = this.methodsBelow(child);
    if (mask === ALL_METHODS || mask === this.methodsBelow(parent)) return null;
    return this.guards!.methodBit === undefined ? `(b & ${mask}) !== 0` : `((b & ${mask}) !== 0 || b === 0)`;
  }

  /** Code that matches below `node` (its prefix already consumed, position in `pos`); it returns on success and falls through on failure. */
  private node(node: Node, pos: string, nparams: number, nesting: number): string {
    this.inlined.push([]);
    const code = this.nodeCode(node, pos, nparams, nesting);
    return this.fit(code, this.inlined.pop()!);
  }

  /**
   * `code` with its inlined subtrees put in place, the largest ones first moved into functions
   * of their own while the whole passes MAX_FUNCTION_CHARS. A subtree's code reads only its
   * position variable and the function's parameters (path, end, o, b), so it moves as is, with
   * that variable as the new function's position parameter.
   */
  private fit(code: string, inlined: Inlined[]): string {
    let total = code.length;
    for (const piece of inlined) total += piece.code.length;
    if (total > MAX_FUNCTION_CHARS) {
      for (const piece of [...inlined].sort((a, b) => b.code.length - a.code.length)) {
        if (total <= MAX_FUNCTION_CHARS) break;
        const name = `n${this.nextFn++}`;
        this.functions.push(`function ${name}(path, ${piece.pos}, end, o, b) {\n${piece.code}\nreturn -1;\n}`);
        total -= piece.code.length;
        piece.code = `{ const r = ${name}(path, ${piece.pos}, end, o, b); if (r >= 0) return r; }`;
      }
    }
    if (inlined.length === 0) return code;
    // One pass over this node's own code (the pieces are already complete): linear in the source.
    const byToken = new Map(inlined.map((piece) => [piece.token, piece.code]));
    return code.replace(TOKEN, (token) => byToken.get(token)!);
  }

  private nodeCode(node: Node, pos: string, nparams: number, nesting: number): string {
    const atEnd: string[] = [];
    if (node.route >= 0) atEnd.push(this.take(node.route));
    if (node.catchAll >= 0) atEnd.push(`o[${2 * nparams}] = ${pos}; ${this.take(node.catchAll)}`);
    const alternatives: string[] = [];
    const c = `c${this.nextVar++}`;
    // Entered at a known `/` (a parameter's node at its segment's end, or the root): below `end`
    // the character is a `/`, so neither read it nor switch on it. Only a child starting with `/`
    // and a catch-all can follow there (node.ts's invariants); this saves a `charCodeAt` site
    // (~390 bytes of optimized code) and its test per parameter a lookup passes, and at the root.
    const slash = this.atSlash.has(node);
    let paramsOnly = false;
    const children = slash ? node.children.filter((child) => child.prefix.charCodeAt(0) === 47) : node.children;
    if (children.length > 0) {
      const cases = children.map((child) => {
        const code = child.prefix.charCodeAt(0);
        const len = child.prefix.length;
        const next = `p${this.nextVar++}`;
        const checks: string[] = [];
        if (this.boundedEnd && len > 1) checks.push(`${pos} + ${len} <= end`);
        else if (this.boundedEnd) checks.push(`${pos} < end`);
        const methods = this.methodsTest(node, child);
        if (methods !== null) checks.push(methods);
        if (len > 1) checks.push(this.literal(child.prefix, pos));
        const inner = `const ${next} = ${pos} + ${len};\n${this.continueAt(child, next, nparams, nesting + 1)}`;
        return { code, body: checks.length > 0 ? `if (${checks.join(' && ')}) {\n${inner}\n}` : `{\n${inner}\n}` };
      });
      if (slash) alternatives.push(cases[0]!.body);
      else if (cases.length === 1) alternatives.push(`if (${c} === ${cases[0]!.code}) ${cases[0]!.body}`);
      else alternatives.push(`switch (${c}) {\n${cases.map((k) => `case ${k.code}: ${k.body}\nbreak;`).join('\n')}\n}`);
    }
    if (!slash && (node.param !== null || node.constrained.length > 0)) {
      const e = `e${this.nextVar++}`;
      const branches: string[] = [];
      for (const k of node.constrained) {
        this.atSlash.add(k.node);
        const methods = this.methodsTest(node, k.node);
        branches.push(
          `if (${methods === null ? '' : `${methods} && `}se.accepts(${k.id}, rx[${k.id}], path, ${pos}, ${e})) {\no[${2 * nparams}] = ${pos}; o[${2 * nparams + 1}] = ${e};\n${this.continueAt(k.node, e, nparams + 1, nesting + 1)}\n}`,
        );
      }
      if (node.param !== null) {
        this.atSlash.add(node.param);
        const methods = this.methodsTest(node, node.param);
        const body = `o[${2 * nparams}] = ${pos}; o[${2 * nparams + 1}] = ${e};\n${this.continueAt(node.param, e, nparams + 1, nesting + 1)}`;
        branches.push(methods === null ? body : `if (${methods}) {\n${body}\n}`);
      }
      const scan = `let ${e};\nif (se.known === 0) { ${e} = path.indexOf('/', ${pos}); if (${e} < 0 || ${e} > end) ${e} = end; if (${e} - ${pos} >= ${LONG_SEGMENT}) se.remember(${pos}, ${e}); } else ${e} = se.end(path, ${pos}, end);\n`;
      // A node with parameters and nothing else reads no character either: the segment is empty
      // (no parameter matches) exactly when the scan stops where it started, at a `/`.
      if (node.children.length === 0 && node.catchAll < 0) {
        paramsOnly = true;
        alternatives.push(`${scan}if (${e} !== ${pos}) {\n${branches.join('\n')}\n}`);
      } else alternatives.push(`if (${c} !== 47) {\n${scan}${branches.join('\n')}\n}`);
    }
    if (node.catchAll >= 0)
      alternatives.push(slash ? `{ o[${2 * nparams}] = ${pos}; ${this.take(node.catchAll)} }` : `if (${c} === 47) { o[${2 * nparams}] = ${pos}; ${this.take(node.catchAll)} }`);
    let code = atEnd.length > 0 ? `if (${pos} === end) { ${atEnd.join(' ')} }\n` : '';
    if (alternatives.length > 0) {
      const read =
        slash || paramsOnly ? '' : this.fold ? `let ${c} = path.charCodeAt(${pos}); if (${c} >= 65 && ${c} <= 90) ${c} += 32;\n` : `const ${c} = path.charCodeAt(${pos});\n`;
      code += `if (${pos} < end) {\n${read}${alternatives.join('\n')}\n}`;
    }
    return code;
  }

  /** A test that `prefix` (whose first character is already known to match) stands at `pos`. */
  private literal(prefix: string, pos: string): string {
    if (!this.fold && prefix.length - 1 >= LOOP_AT) {
      const k = this.lits.length;
      for (let i = 1; i < prefix.length; i++) this.lits.push(prefix.charCodeAt(i));
      const call = `eq(path, ${pos} + 1, ${k}, ${prefix.length - 1})`;
      return this.boundedEnd ? call : `${pos} + ${prefix.length} <= end && ${call}`;
    }
    if (prefix.length - 1 > UNROLL) {
      return this.fold ? `sw(path, ${JSON.stringify(prefix)}, ${pos})` : `path.startsWith(${JSON.stringify(prefix.slice(1))}, ${pos} + 1)`;
    }
    // The length check first: without it a shorter path makes `charCodeAt` read past its end,
    // and each such read deoptimizes the whole generated function (one recompile per literal
    // site: 23 of 26 deopts on the 25-tenant table, notes-lookup.md Session 24). Against `end`,
    // not `path.length`: a literal reaching past `end` can match nothing after it anyway. Where
    // `boundedEnd`, `nodeCode` already checks the same before calling this.
    const tests: string[] = this.boundedEnd ? [] : [`${pos} + ${prefix.length} <= end`];
    for (let i = 1; i < prefix.length; i++) {
      const code = prefix.charCodeAt(i);
      // Folding: for a (lower-case) letter, `| 32` maps exactly its two cases onto it.
      const letter = code >= 97 && code <= 122;
      tests.push(this.fold && letter ? `(path.charCodeAt(${pos} + ${i}) | 32) === ${code}` : `path.charCodeAt(${pos} + ${i}) === ${code}`);
    }
    return tests.join(' && ');
  }

  private continueAt(node: Node, pos: string, nparams: number, nesting: number): string {
    if (this.sizes.get(node)! <= INLINE_NODES && nesting < MAX_NESTING) {
      // A placeholder until the enclosing `node` call has seen all its subtrees (`fit`).
      const token = `\u0001${this.nextVar++}\u0001`;
      this.inlined.at(-1)!.push({ token, pos, code: this.node(node, pos, nparams, nesting) });
      return token;
    }
    const fn = this.function(node, nparams, 0);
    return `{ const r = ${fn}(path, ${pos}, end, o, b); if (r >= 0) return r; }`;
  }
}

/**
 * The generated program's source (null where the tree does not fit): one function per line
 * group, `function nK(path, p, end, o, b)`, the entry returned last. Exported for tests.
 */
export function lookupSource(root: Node, fold: boolean, ignoreTrailingSlash: boolean, guards: BackendGuards | null): string | null {
  return new Emitter(fold, ignoreTrailingSlash, guards).program(root);
}

/** The function size budget (exported for tests, see MAX_FUNCTION_CHARS). */
export const FUNCTION_CHARS_LIMIT = MAX_FUNCTION_CHARS;

/** A lookup specialized to this tree, or null where the tree does not fit (`fitsCodegen`). */
export function generateLookup(
  root: Node,
  fold: boolean,
  ignoreTrailingSlash: boolean,
  segments: SegmentEnds,
  regexes: readonly LinearRegex[],
  guards: BackendGuards | null,
): GeneratedLookup | null {
  const source = lookupSource(root, fold, ignoreTrailingSlash, guards);
  if (source === null) return null;
  const accept = guards === null ? null : (route: number) => guards.accept(route);
  const methodBit = guards?.methodBit === undefined ? null : () => guards.methodBit!();
  // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call -- code generation is the point; callers check codegenAvailable() first
  return new Function('sw', 'se', 'rx', 'acc', 'mb', source)(startsWithFolded, segments, regexes, accept, methodBit) as GeneratedLookup;
}
