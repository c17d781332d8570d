/**
 * The TypeScript matcher's tree: a radix tree over path characters (SPEC sections 2, 3, 10.2),
 * built once per table. The interpreter (./interpreter.ts) walks it and the code generator
 * (./codegen-lookup.ts) emits it as straight-line JavaScript; both read only what is here.
 *
 * Invariants:
 *  - A node's `prefix` is static text consumed on entering it; siblings never share a first
 *    character (children are split at the first difference), so at most one static child
 *    can continue a path.
 *  - Parameter children (the plain one and the constrained ones) hang only under a node whose
 *    text ends at a segment start (after `/`); their own prefix is empty and their children
 *    all start with `/`.
 *  - `constrained` is sorted by REGEX source in code-point order (SPEC 10.2), so the walk tries
 *    them in that order whatever the table's key order.
 *  - The catch-all of `/api/*` hangs at the node for `/api` (before the `/`): it matches when
 *    the path ends there or continues with `/`, and the remainder starts there.
 *  - Depth-first order static > constrained > parameter > catch-all gives SPEC section 3's
 *    precedence; each node is visited at most once per lookup (a node is reached only from its
 *    parent, at the one position its parent's text determines), so a lookup costs at most the
 *    tree's size and never exponential backtracking.
 *  - Shapes are distinct (validation rejects equal shapes as `conflict`); a repeated shape
 *    would keep the earlier route.
 */
import type { LinearRegex } from '../table/route.js';

/** A constrained parameter child: its REGEX, a table-wide id for the per-lookup memo, and its subtree. */
export interface Constrained {
  readonly source: string;
  readonly regex: LinearRegex;
  readonly id: number;
  readonly node: Node;
}

/*
 * Leaves share these empty lists (most nodes of a large table are leaves, and an array grown by
 * `push` keeps room for 17 entries): this module replaces a shared list before adding to it and
 * nothing else adds to a node's lists.
 */
const NO_NODES: Node[] = [];
const NO_FIRST: number[] = [];
const NO_CONSTRAINED: Constrained[] = [];

export class Node {
  prefix: string;
  /** Static children; `first[i]` is `children[i].prefix.charCodeAt(0)`. */
  children: Node[] = NO_NODES;
  first: number[] = NO_FIRST;
  /** Dense index by first character (ASCII), built when a node has many children. */
  index: (Node | undefined)[] | null = null;
  constrained: Constrained[] = NO_CONSTRAINED;
  param: Node | null = null;
  /** Route index of a catch-all hanging here, or -1. */
  catchAll = -1;
  /** Route index of a route ending here, or -1. */
  route = -1;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** Children in walk order (static, constrained, plain parameter). */
  below(): Node[] {
    const out = [...this.children];
    for (const c of this.constrained) out.push(c.node);
    if (this.param !== null) out.push(this.param);
    return out;
  }
}

const DENSE_INDEX_AT = 6;

function addChild(node: Node, child: Node, c: number): void {
  if (node.children === NO_NODES) {
    // Exact-size lists for a first child (one child is the common case below the root).
    node.children = [child];
    node.first = [c];
  } else {
    node.children.push(child);
    node.first.push(c);
    if (node.index !== null) indexChild(node, child, c);
    else if (node.children.length >= DENSE_INDEX_AT) buildIndex(node);
  }
}

/*
 * The dense child index is kept up to date while inserting (a node gets it on its
 * DENSE_INDEX_AT-th child), not built by a pass over the finished tree: that pass read every
 * node once more (17,750 for 10,000 routes, ~4% of compile's line samples), for the ~1% that
 * need an index. Sized to the highest first character (rounded up to 16), not 128: a node
 * branching on digits needs 64 slots (250 such nodes in the 10,000-route table, 1 KB each at 128).
 * Canonical static text is ASCII; a child starting past 127 is found by scanning `first`.
 */
function buildIndex(node: Node): void {
  let top = 0;
  for (let i = 0; i < node.first.length; i++) if (node.first[i]! < 128 && node.first[i]! > top) top = node.first[i]!;
  const index = new Array<Node | undefined>(indexSize(top)).fill(undefined);
  for (let i = 0; i < node.children.length; i++) if (node.first[i]! < 128) index[node.first[i]!] = node.children[i];
  node.index = index;
}

/**
 * Slots for an index whose highest character is `top`: rounded up to 16, so an index growing
 * with its node's children (digits arriving one by one) is reallocated once or twice, not per
 * character; at most 128.
 */
function indexSize(top: number): number {
  return (top + 16) & ~15;
}

/** Puts `child` (first character `c`) in `node`'s dense index, growing it past its highest character. */
function indexChild(node: Node, child: Node, c: number): void {
  if (c >= 128) return;
  let index = node.index!;
  if (c >= index.length) {
    const grown = new Array<Node | undefined>(indexSize(c)).fill(undefined);
    for (let i = 0; i < index.length; i++) grown[i] = index[i];
    node.index = index = grown;
  }
  index[c] = child;
}

/*
 * A static run is the text `/shape[from]/shape[from+1]/.../shape[to-1]`, plus a final `/` when
 * a parameter follows (`slash`). It is read in place through a cursor (segment `i`, offset `j`,
 * -1 for the `/` before the segment) instead of being joined and sliced per tree level: those
 * intermediate strings were most of what building a 10,000-route tree allocated, and its cost
 * was mostly the scavenges copying them (bench/results/notes-compile.md, session 22).
 */

/** The run's text from the cursor on, as the prefix of a new node (the only string a run makes). */
function restOfRun(shape: readonly string[], i: number, j: number, to: number, slash: boolean): string {
  let s = i < to ? (j < 0 ? '/' + shape[i]! : shape[i]!.slice(j)) : '';
  for (let k = i + 1; k < to; k++) s += '/' + shape[k]!;
  return slash ? s + '/' : s;
}

/** Inserts the static run `shape[from..to)` (see above) below `node` and returns the node where it ends. */
function insertRun(node: Node, shape: readonly string[], from: number, to: number, slash: boolean): Node {
  let i = from;
  let j = -1;
  // `i === to` with `j === 0` marks the final `/` consumed (or absent).
  if (i === to && !slash) j = 0;
  while (!(i === to && j === 0)) {
    let c = i === to || j < 0 ? 0x2f : shape[i]!.charCodeAt(j);
    const k = node.first.indexOf(c);
    if (k < 0) {
      const child = new Node(restOfRun(shape, i, j, to, slash));
      addChild(node, child, c);
      return child;
    }
    const child = node.children[k]!;
    const p = child.prefix;
    let common = 0;
    for (;;) {
      // Consume `c` (it equals p[common]) and move the cursor on.
      common++;
      if (i === to) j = 0;
      else if (++j === shape[i]!.length) {
        i++;
        j = i === to && !slash ? 0 : -1;
      }
      if (common === p.length || (i === to && j === 0)) break;
      c = i === to || j < 0 ? 0x2f : shape[i]!.charCodeAt(j);
      if (c !== p.charCodeAt(common)) break;
    }
    if (common < p.length) {
      // Split: the child keeps what it owns below the first difference.
      const upper = new Node(p.slice(0, common));
      child.prefix = p.slice(common);
      addChild(upper, child, child.prefix.charCodeAt(0));
      node.children[k] = upper;
      if (node.index !== null) indexChild(node, upper, node.first[k]!);
      node = upper;
    } else {
      node = child;
    }
  }
  return node;
}

/** Compiles a constraint's REGEX; the same source always gets the same id (and one compiled regex). */
export type RegexTable = (source: string) => { regex: LinearRegex; id: number };

function constrainedChild(node: Node, source: string, regexes: RegexTable): Node {
  const found = node.constrained.find((c) => c.source === source);
  if (found !== undefined) return found.node;
  const { regex, id } = regexes(source);
  const child: Constrained = { source, regex, id, node: new Node('') };
  if (node.constrained === NO_CONSTRAINED) node.constrained = [child];
  else node.constrained.push(child);
  // Code-point order of the source (not localeCompare, not UTF-16 order for astral text).
  node.constrained.sort((a, b) => compareCodePoints(a.source, b.source));
  return child.node;
}

export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Builds the tree of a table's shapes (src/match/core.ts). */
export function buildTree(shapes: readonly (readonly string[])[], regexes: RegexTable): Node {
  return build(shapes, regexes).root;
}

/**
 * The tree and the most parameters any shape has (what `offsetsLength` of src/match/core.ts
 * computes in a walk of its own; counted here while inserting).
 */
export function build(shapes: readonly (readonly string[])[], regexes: RegexTable): { root: Node; params: number } {
  const root = new Node('');
  let params = 0;
  for (let index = 0; index < shapes.length; index++) {
    const n = insert(root, shapes[index]!, index, regexes);
    if (n > params) params = n;
  }
  return { root, params };
}

/** Inserts one shape; returns how many parameters it has. */
function insert(root: Node, shape: readonly string[], index: number, regexes: RegexTable): number {
  let node = root;
  let from = 0;
  let params = 0;
  for (let i = 0; i < shape.length; i++) {
    const seg = shape[i]!;
    const c = seg.charCodeAt(0);
    if (c === 0x2a /* * */ && seg.length === 1) {
      node = insertRun(node, shape, from, i, false);
      if (node.catchAll < 0) node.catchAll = index;
      return params;
    }
    if (c === 0x3a /* : */) {
      params++;
      node = insertRun(node, shape, from, i, true);
      from = i + 1;
      node = seg.length === 1 ? (node.param ??= new Node('')) : constrainedChild(node, seg.slice(1), regexes);
    }
  }
  node = insertRun(node, shape, from, shape.length, false);
  if (node.route < 0) node.route = index;
  return params;
}

/** The static child that can continue at character `c` (already folded), if any. */
export function childAt(node: Node, c: number): Node | undefined {
  const index = node.index;
  if (index !== null) return c < index.length ? index[c] : undefined;
  const first = node.first;
  for (let i = 0; i < first.length; i++) if (first[i] === c) return node.children[i];
  return undefined;
}

export function startsWithFolded(path: string, prefix: string, pos: number): boolean {
  for (let i = 0; i < prefix.length; i++) {
    let c = path.charCodeAt(pos + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Subtree sizes of every node and the tree's height, computed without recursion. `limits`:
 * stop as soon as the tree is known to exceed either (then `sizes` is left incomplete and the
 * answer only says "too large"): the code generator's decision needs no more, and a table of
 * 10,000 routes would otherwise pay a Map entry per node for nothing.
 */
export function measureTree(root: Node, sizes: Map<Node, number> = new Map(), limits?: { size: number; height: number }): { size: number; height: number } {
  const maxSize = limits?.size ?? Infinity;
  const maxHeight = limits?.height ?? Infinity;
  // Pre-order with a parallel depth stack; children are read in place (no `below()` copies).
  const order: Node[] = [];
  const nodes: Node[] = [root];
  const depths: number[] = [1];
  let height = 1;
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const d = depths.pop()!;
    order.push(node);
    if (d > height) height = d;
    if (order.length > maxSize || height > maxHeight) return { size: order.length, height };
    const children = node.children;
    for (let i = 0; i < children.length; i++) {
      nodes.push(children[i]!);
      depths.push(d + 1);
    }
    const constrained = node.constrained;
    for (let i = 0; i < constrained.length; i++) {
      nodes.push(constrained[i]!.node);
      depths.push(d + 1);
    }
    if (node.param !== null) {
      nodes.push(node.param);
      depths.push(d + 1);
    }
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    let n = 1;
    const children = node.children;
    for (let k = 0; k < children.length; k++) n += sizes.get(children[k]!)!;
    const constrained = node.constrained;
    for (let k = 0; k < constrained.length; k++) n += sizes.get(constrained[k]!.node)!;
    if (node.param !== null) n += sizes.get(node.param)!;
    sizes.set(node, n);
  }
  return { size: sizes.get(root)!, height };
}
