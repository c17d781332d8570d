/**
 * The TypeScript backend (SPEC sections 2, 3, 5, 10): the radix tree of ./node.ts, served by
 * generated code where the runtime allows it and the tree fits (./codegen-lookup.ts), else by
 * the interpreter (./interpreter.ts), which also serves the first lookups until the generated
 * code is built (`codegenAfter`, ./tiering.ts). Both take the same guards (src/match/core.ts), so
 * conditions behave identically in each.
 *
 * Per lookup it allocates nothing: captures go into a preallocated Int32Array.
 */
import type { LinearRegex } from '../table/route.js';
import { codegenAvailable } from './codegen-available.js';
import { fitsCodegen, generateLookup, type GeneratedLookup } from './codegen-lookup.js';
import { ALL_METHODS, type BackendGuards, type BackendOptions, type MatcherBackend } from './core.js';
import { Walker } from './interpreter.js';
import { build, type Node, type RegexTable } from './node.js';
import { SegmentEnds } from './segments.js';
import { Tier } from './tiering.js';

export interface JsBackendOptions extends BackendOptions {
  /** Generate code for the tree where it fits (default true). */
  codegen?: boolean;
  /**
   * Lookups the interpreter serves before the generated code is built and swapped in
   * (./tiering.ts; default 0: generated at construction).
   */
  codegenAfter?: number;
  /** Compiles a constrained parameter's REGEX (src/regex); required when a shape has one. */
  compileRegex?: (source: string) => LinearRegex;
}

export interface JsBackend extends MatcherBackend {
  readonly name: 'js';
  /**
   * Which of the two TypeScript matchers serves this table: 'generated' where the tree fits the
   * generator, even while the interpreter still serves the first `codegenAfter` lookups.
   */
  readonly engine: 'generated' | 'interpreter';
  /** Which one serves the next lookup (differs from `engine` only before the tier-up). */
  readonly serving: 'generated' | 'interpreter';
  /**
   * Work of the last interpreted walk (nodes entered plus characters compared or scanned),
   * counted only after `countWork()`: tests assert linear work with it instead of timing it.
   */
  readonly steps: number;
  countWork(): void;
  enumerate(path: string, visit: (route: number) => boolean): number;
}

/**
 * The tree of a table: built once, used to decide the backend (`fitsCodegen`) and to serve.
 * `params` is the most parameters of any shape (sizes the offsets buffer, as `offsetsLength`
 * of ./core.ts would, without a second pass over the shapes).
 */
export interface JsTree {
  root: Node;
  regexes: LinearRegex[];
  params: number;
}

export function jsTree(shapes: readonly (readonly string[])[], compileRegex?: (source: string) => LinearRegex): JsTree {
  const regexes: LinearRegex[] = [];
  const ids = new Map<string, number>();
  const table: RegexTable = (source) => {
    let id = ids.get(source);
    if (id === undefined) {
      if (compileRegex === undefined) throw new Error(`A constrained parameter (${source}) needs a regex engine`);
      id = regexes.length;
      ids.set(source, id);
      regexes.push(compileRegex(source));
    }
    return { regex: regexes[id]!, id };
  };
  const { root, params } = build(shapes, table);
  return { root, regexes, params };
}

class JsMatcher implements JsBackend {
  readonly name = 'js' as const;
  readonly offsets: Int32Array;
  readonly lazyMethod: boolean;
  private readonly ignoreTrailingSlash: boolean;
  private generated: GeneratedLookup | null = null;
  /** The pending generated code while the interpreter serves its first lookups (./tiering.ts). */
  private tier: Tier<GeneratedLookup> | null = null;
  /** Interpreted walks under way (a guard can re-enter): the tier-up waits for 0. */
  private depth = 0;
  private chosen: 'generated' | 'interpreter';
  private readonly walker: Walker;
  private readonly segments = new SegmentEnds();
  private readonly fold: boolean;

  constructor(
    shapes: readonly (readonly string[])[],
    options: JsBackendOptions,
    private readonly guards: BackendGuards | null,
    private readonly tree = jsTree(shapes, options.compileRegex),
  ) {
    const fold = !options.caseSensitive;
    this.fold = fold;
    this.ignoreTrailingSlash = options.ignoreTrailingSlash;
    this.offsets = new Int32Array(2 * tree.params + 2);
    this.lazyMethod = guards !== null && guards.methodBit !== undefined;
    this.walker = new Walker(tree.root, this.offsets, fold, this.segments, guards);
    const codegen = options.codegen !== false && codegenAvailable();
    const generate = () => generateLookup(tree.root, fold, this.ignoreTrailingSlash, this.segments, tree.regexes, guards);
    const after = options.codegenAfter ?? 0;
    if (!codegen) this.chosen = 'interpreter';
    else if (after <= 0) {
      this.generated = generate();
      this.chosen = this.generated !== null ? 'generated' : 'interpreter';
    } else if (fitsCodegen(tree.root)) {
      this.tier = new Tier(after, generate);
      this.chosen = 'generated';
    } else this.chosen = 'interpreter';
  }

  get engine(): 'generated' | 'interpreter' {
    return this.chosen;
  }

  get serving(): 'generated' | 'interpreter' {
    return this.generated !== null ? 'generated' : 'interpreter';
  }

  get steps(): number {
    return this.walker.steps;
  }

  countWork(): void {
    this.segments.counting = true;
  }

  private end(path: string): number {
    let end = path.length;
    if (this.ignoreTrailingSlash && end > 1 && path.charCodeAt(end - 1) === 0x2f) end--;
    return end;
  }

  lookup(path: string, method: number = ALL_METHODS): number {
    if (path.charCodeAt(0) !== 0x2f) return -1;
    const end = this.end(path);
    const generated = this.generated;
    if (generated === null) return this.interpret(path, end, method);
    // The memo holds something only while a lookup is under way on this matcher (every lookup
    // ends with `finish`): this one re-entered it from a guard, and must not read or clear the
    // outer path's segment ends.
    if (this.segments.known !== 0) return this.nested(path, end, method, null);
    const index = generated(path, 0, end, this.offsets, method);
    this.segments.finish();
    return index;
  }

  /**
   * An interpreted lookup. While the generated code is pending it is counted, and once the
   * threshold is reached the generated code is built and serves it, but only outside any walk
   * under way on this matcher: a swap never happens mid-walk.
   */
  private interpret(path: string, end: number, method: number): number {
    if (this.depth > 0 || this.segments.known !== 0) return this.nested(path, end, method, null);
    const tier = this.tier;
    if (tier !== null && tier.due()) {
      const generated = tier.generate();
      this.tier = null;
      this.generated = generated;
      if (generated !== null) return this.lookup(path, method);
      this.chosen = 'interpreter'; // unreachable for a tree fitsCodegen accepted; kept honest
    }
    this.depth = 1;
    try {
      return this.walker.lookup(path, end, method);
    } finally {
      this.depth = 0;
      this.segments.finish();
    }
  }

  enumerate(path: string, visit: (route: number) => boolean): number {
    if (path.charCodeAt(0) !== 0x2f) return -1;
    const end = this.end(path);
    if (this.depth > 0 || this.segments.known !== 0) return this.nested(path, end, ALL_METHODS, visit);
    this.depth = 1;
    try {
      return this.walker.enumerate(path, end, visit);
    } finally {
      this.depth = 0;
      this.segments.finish();
    }
  }

  /**
   * A lookup or enumeration started while a walk is under way on this matcher (a guard's
   * condition or an `enumerate` visitor looking a path up on the same router). The walker keeps
   * its stack and the segment memo keeps the outer path's segment ends in fields, so the inner
   * walk gets its own of both (rare: allocating them costs nothing on the usual path). Served
   * by the interpreter, whose answers are the generated code's.
   */
  private nested(path: string, end: number, method: number, visit: ((route: number) => boolean) | null): number {
    const walker = new Walker(this.tree.root, this.offsets, this.fold, new SegmentEnds(), this.guards);
    this.depth++;
    try {
      return visit === null ? walker.lookup(path, end, method) : walker.enumerate(path, end, visit);
    } finally {
      this.depth--;
    }
  }
}

export function createJsBackend(shapes: readonly (readonly string[])[], options: JsBackendOptions, guards: BackendGuards | null = null, tree?: JsTree): JsBackend {
  return new JsMatcher(shapes, options, guards, tree);
}
