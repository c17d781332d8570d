/**
 * The TypeScript matcher: a radix tree over path characters (SPEC sections 2, 3, 5).
 *
 * Invariants:
 *  - A node's `prefix` is static text consumed on entering it; siblings never share a first
 *    character (children are split at the first difference), so at most one static child
 *    can continue a path.
 *  - A parameter child hangs only under a node whose text ends at a segment start (after
 *    `/`); its own prefix is empty and its children all start with `/`.
 *  - The catch-all of `/api/*` hangs at the node for `/api` (before the `/`): it matches when
 *    the path ends there or continues with `/`, and the remainder starts there.
 *  - Depth-first order static > parameter > catch-all gives SPEC section 3's precedence; each
 *    node is visited at most once per lookup (a node is reached only from its parent, at the
 *    one position its parent's text determines), so a lookup costs at most the tree's size
 *    and never exponential backtracking.
 *
 * Per lookup it allocates nothing: captures go into a preallocated Int32Array.
 */
import { generateLookup, type GeneratedLookup } from './codegen.js';
import { offsetsLength, type BackendOptions, type MatcherBackend } from './core.js';
import { SegmentEnds } from './segments.js';

export class Node {
  prefix: string;
  /** Static children; `first[i]` is `children[i].prefix.charCodeAt(0)`. */
  children: Node[] = [];
  first: number[] = [];
  /** Dense index by first character (ASCII), built when a node has many children. */
  index: (Node | undefined)[] | null = null;
  param: Node | null = null;
  /** Route index of a catch-all hanging here, or -1. */
  catchAll = -1;
  /** Route index of a route ending here, or -1. */
  route = -1;

  constructor(prefix: string) {
    this.prefix = prefix;
  }
}

const DENSE_INDEX_AT = 6;

/** Inserts static `text` below `node` and returns the node where it ends. */
function insertStatic(node: Node, text: string): Node {
  while (text.length > 0) {
    const c = text.charCodeAt(0);
    const i = node.first.indexOf(c);
    if (i < 0) {
      const child = new Node(text);
      node.children.push(child);
      node.first.push(c);
      return child;
    }
    const child = node.children[i]!;
    const p = child.prefix;
    let common = 1;
    const max = Math.min(p.length, text.length);
    while (common < max && p.charCodeAt(common) === text.charCodeAt(common)) common++;
    if (common < p.length) {
      // Split: the child keeps what it owns below the first difference.
      const upper = new Node(p.slice(0, common));
      child.prefix = p.slice(common);
      upper.children.push(child);
      upper.first.push(child.prefix.charCodeAt(0));
      node.children[i] = upper;
      node = upper;
    } else {
      node = child;
    }
    text = text.slice(common);
  }
  return node;
}

/** Builds dense child indexes (iteratively: a tree may be as deep as the limits allow). */
function finalize(root: Node): void {
  const pending = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.children.length >= DENSE_INDEX_AT) {
      node.index = new Array<Node | undefined>(128).fill(undefined);
      for (let i = 0; i < node.children.length; i++) if (node.first[i]! < 128) node.index[node.first[i]!] = node.children[i];
    }
    pending.push(...node.children);
    if (node.param !== null) pending.push(node.param);
  }
}

export function startsWithFolded(path: string, prefix: string, pos: number): boolean {
  for (let i = 0; i < prefix.length; i++) {
    let c = path.charCodeAt(pos + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

class JsMatcher implements MatcherBackend {
  readonly name = 'js' as const;
  readonly offsets: Int32Array;
  readonly conflicts: [number, number][] = [];
  private readonly root = new Node('');
  private readonly fold: boolean;
  private readonly ignoreTrailingSlash: boolean;
  private readonly generated: GeneratedLookup | null;
  private readonly walker: Walker;
  private readonly segments = new SegmentEnds();

  constructor(shapes: readonly (readonly string[])[], options: BackendOptions & { codegen?: boolean }) {
    this.fold = !options.caseSensitive;
    this.ignoreTrailingSlash = options.ignoreTrailingSlash;
    this.offsets = new Int32Array(offsetsLength(shapes));
    shapes.forEach((shape, index) => this.insert(shape, index));
    finalize(this.root);
    this.walker = new Walker(this.root, this.offsets, this.fold, this.segments);
    this.generated = options.codegen === false ? null : generateLookup(this.root, this.fold, this.ignoreTrailingSlash, this.segments);
  }


  private insert(shape: readonly string[], index: number): void {
    let node = this.root;
    let text = '';
    for (let i = 0; i < shape.length; i++) {
      const seg = shape[i]!;
      if (seg === '*') {
        node = insertStatic(node, text);
        if (node.catchAll >= 0) this.conflicts.push([node.catchAll, index]);
        else node.catchAll = index;
        return;
      }
      text += '/';
      if (seg === ':') {
        node = insertStatic(node, text);
        text = '';
        node = node.param ??= new Node('');
      } else {
        text += seg;
      }
    }
    node = insertStatic(node, text);
    if (node.route >= 0) this.conflicts.push([node.route, index]);
    else node.route = index;
  }

  lookup(path: string): number {
    if (path.charCodeAt(0) !== 0x2f) return -1;
    let end = path.length;
    if (this.ignoreTrailingSlash && end > 1 && path.charCodeAt(end - 1) === 0x2f) end--;
    const index = this.generated !== null ? this.generated(path, end, this.offsets) : this.walker.walk(path, end);
    this.segments.finish();
    return index;
  }
}

/** The static child that can continue at character `c` (already folded), if any. */
function childAt(node: Node, c: number): Node | undefined {
  if (node.index !== null) return c < 128 ? node.index[c] : undefined;
  const first = node.first;
  for (let i = 0; i < first.length; i++) if (first[i] === c) return node.children[i];
  return undefined;
}

/**
 * The interpreter: depth-first over the tree with an explicit stack (no recursion, so no
 * table the limits allow can overflow the call stack). Each frame tries its node's
 * alternatives in precedence order: stage 0 the static child, 1 the parameter, 2 the
 * catch-all. Capture offsets are written on the way down; the successful path overwrites
 * every slot its route reads, so a failed branch's writes are never seen.
 */
class Walker {
  private nodes: Node[] = [];
  private positions: number[] = [];
  private params: number[] = [];
  private stages: number[] = [];

  constructor(
    private readonly root: Node,
    private readonly offsets: Int32Array,
    private readonly fold: boolean,
    private readonly segments: SegmentEnds,
  ) {}

  private push(sp: number, node: Node, pos: number, nparams: number): number {
    this.nodes[sp] = node;
    this.positions[sp] = pos;
    this.params[sp] = nparams;
    this.stages[sp] = 0;
    return sp + 1;
  }

  walk(path: string, end: number): number {
    const { nodes, positions, params, stages, offsets, fold } = this;
    let sp = this.push(0, this.root, 0, 0);
    while (sp > 0) {
      const top = sp - 1;
      const node = nodes[top]!;
      const pos = positions[top]!;
      const nparams = params[top]!;
      const stage = stages[top]!;
      stages[top] = stage + 1;
      if (stage === 0) {
        if (pos === end) {
          if (node.route >= 0) return node.route;
          if (node.catchAll >= 0) {
            offsets[2 * nparams] = pos;
            return node.catchAll;
          }
          sp--;
          continue;
        }
        let c = path.charCodeAt(pos);
        if (fold && c >= 65 && c <= 90) c += 32;
        const child = childAt(node, c);
        if (child !== undefined) {
          const p = child.prefix;
          if (pos + p.length <= end && (fold ? startsWithFolded(path, p, pos) : path.startsWith(p, pos))) {
            sp = this.push(sp, child, pos + p.length, nparams);
          }
        }
      } else if (stage === 1) {
        if (node.param !== null && path.charCodeAt(pos) !== 0x2f) {
          const e = this.segments.end(path, pos, end);
          offsets[2 * nparams] = pos;
          offsets[2 * nparams + 1] = e;
          sp = this.push(sp, node.param, e, nparams + 1);
        }
      } else {
        sp--;
        if (node.catchAll >= 0 && path.charCodeAt(pos) === 0x2f) {
          offsets[2 * nparams] = pos;
          return node.catchAll;
        }
      }
    }
    return -1;
  }
}

export function createJsBackend(shapes: readonly (readonly string[])[], options: BackendOptions & { codegen?: boolean }): MatcherBackend {
  return new JsMatcher(shapes, options);
}
