/**
 * The interpreter: depth-first over the tree (./node.ts) with an explicit stack (no recursion,
 * so no table the limits allow can overflow the call stack). Each frame tries its node's
 * alternatives in precedence order: stage 0 the static child, stages 1..k the constrained
 * parameters, k+1 the plain parameter, k+2 the catch-all. Capture offsets are written on the
 * way down; the successful path overwrites every slot its route reads, so a failed branch's
 * writes are never seen.
 *
 * A route slot is taken when `slot(route)` says so: always for a table without conditions,
 * through the guards (method mask, `accept`) otherwise, and through a visitor when enumerating
 * every candidate (`explain`, the 405 check). A refused slot is passed over and the walk goes
 * on, so refusals never restart it: the work stays bounded by the tree.
 */
import { ALL_METHODS, type BackendGuards } from './core.js';
import { childAt, startsWithFolded, type Node } from './node.js';
import type { SegmentEnds } from './segments.js';

export class Walker {
  private nodes: Node[] = [];
  private positions: number[] = [];
  private params: number[] = [];
  private stages: number[] = [];
  private method = ALL_METHODS;
  private visit: ((route: number) => boolean) | null = null;
  /**
   * Work of the last walk when `segments.counting` is on: nodes entered plus characters
   * compared or scanned. Tests assert linear work with it instead of timing it.
   */
  get steps(): number {
    return this.entered + this.segments.work;
  }
  private entered = 0;

  constructor(
    private readonly root: Node,
    private readonly offsets: Int32Array,
    private readonly fold: boolean,
    private readonly segments: SegmentEnds,
    private readonly guards: BackendGuards | null,
  ) {}

  private push(sp: number, node: Node, pos: number, nparams: number): number {
    this.nodes[sp] = node;
    this.positions[sp] = pos;
    this.params[sp] = nparams;
    this.stages[sp] = 0;
    this.entered += 1 + node.prefix.length;
    return sp + 1;
  }

  private slot(route: number): boolean {
    if (this.visit !== null) return this.visit(route);
    const g = this.guards;
    if (g === null) return true;
    const mask = g.methods[route]!;
    if (mask !== ALL_METHODS) {
      // LAZY_METHOD (0): the request's method is read at the first slot that needs it.
      let method = this.method;
      if (method === 0) method = this.method = g.methodBit!();
      if ((mask & method) === 0) return false;
    }
    return g.checked[route] === 0 || g.accept(route);
  }

  lookup(path: string, end: number, method: number): number {
    this.method = method;
    this.visit = null;
    return this.walk(path, end);
  }

  enumerate(path: string, end: number, visit: (route: number) => boolean): number {
    this.visit = visit;
    try {
      return this.walk(path, end);
    } finally {
      this.visit = null;
    }
  }

  private walk(path: string, end: number): number {
    const { nodes, positions, params, stages, offsets, fold } = this;
    this.entered = 0;
    this.segments.work = 0;
    let sp = this.push(0, this.root, 0, 0);
    while (sp > 0) {
      const top = sp - 1;
      const node = nodes[top]!;
      const pos = positions[top]!;
      const nparams = params[top]!;
      const stage = stages[top]!;
      stages[top] = stage + 1;
      const k = node.constrained.length;
      if (pos === end) {
        // The path ends here: the route ending here, else a catch-all matching nothing.
        sp--;
        if (node.route >= 0 && this.slot(node.route)) return node.route;
        if (node.catchAll >= 0) {
          offsets[2 * nparams] = pos;
          if (this.slot(node.catchAll)) return node.catchAll;
        }
        continue;
      }
      if (stage === 0) {
        let c = path.charCodeAt(pos);
        if (fold && c >= 65 && c <= 90) c += 32;
        const child = childAt(node, c);
        if (child !== undefined) {
          const p = child.prefix;
          if (pos + p.length <= end && (fold ? startsWithFolded(path, p, pos) : path.startsWith(p, pos))) {
            sp = this.push(sp, child, pos + p.length, nparams);
          }
        }
      } else if (stage <= k + 1) {
        const next = stage <= k ? node.constrained[stage - 1]! : null;
        const target = next !== null ? next.node : node.param;
        if (target !== null && path.charCodeAt(pos) !== 0x2f) {
          const e = this.segments.end(path, pos, end);
          if (next === null || this.segments.accepts(next.id, next.regex, path, pos, e)) {
            offsets[2 * nparams] = pos;
            offsets[2 * nparams + 1] = e;
            sp = this.push(sp, target, e, nparams + 1);
          }
        }
      } else {
        sp--;
        if (node.catchAll >= 0 && path.charCodeAt(pos) === 0x2f) {
          offsets[2 * nparams] = pos;
          if (this.slot(node.catchAll)) return node.catchAll;
        }
      }
    }
    return -1;
  }
}
