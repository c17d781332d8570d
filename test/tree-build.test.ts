/**
 * The tree of src/match/node.ts is built by reading each shape's static runs through a cursor
 * (no joined text). Law: it equals the tree a plain insertion of the joined runs builds, for any
 * list of shapes, and the offsets buffer is sized as `offsetsLength` sizes it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { offsetsLength } from '../src/match/core.js';
import { buildTree, type Node } from '../src/match/node.js';
import { createJsBackend } from '../src/match/tree.js';
import type { LinearRegex } from '../src/table/route.js';

const regex: LinearRegex = { source: '', test: () => true } as unknown as LinearRegex;
const regexes = (() => {
  const ids = new Map<string, number>();
  return (source: string) => {
    if (!ids.has(source)) ids.set(source, ids.size);
    return { regex, id: ids.get(source)! };
  };
})();

/** The reference: text joined per run, inserted one character comparison at a time. */
function referenceTree(shapes: readonly (readonly string[])[]): Ref {
  const root: Ref = { prefix: '', children: new Map(), param: new Map(), route: -1, catchAll: -1 };
  shapes.forEach((shape, index) => {
    let node = root;
    let text = '';
    for (const seg of shape) {
      if (seg === '*') {
        node = insertText(node, text);
        if (node.catchAll < 0) node.catchAll = index;
        return;
      }
      text += '/';
      if (seg.startsWith(':')) {
        node = insertText(node, text);
        text = '';
        let child = node.param.get(seg);
        if (child === undefined) node.param.set(seg, (child = { prefix: '', children: new Map(), param: new Map(), route: -1, catchAll: -1 }));
        node = child;
      } else text += seg;
    }
    node = insertText(node, text);
    if (node.route < 0) node.route = index;
  });
  return root;
}

interface Ref {
  prefix: string;
  children: Map<string, Ref>;
  param: Map<string, Ref>;
  route: number;
  catchAll: number;
}

function insertText(node: Ref, text: string): Ref {
  while (text.length > 0) {
    const child = node.children.get(text[0]!);
    if (child === undefined) {
      const leaf: Ref = { prefix: text, children: new Map(), param: new Map(), route: -1, catchAll: -1 };
      node.children.set(text[0]!, leaf);
      return leaf;
    }
    let common = 0;
    while (common < child.prefix.length && common < text.length && child.prefix[common] === text[common]) common++;
    if (common < child.prefix.length) {
      const upper: Ref = { prefix: child.prefix.slice(0, common), children: new Map(), param: new Map(), route: -1, catchAll: -1 };
      child.prefix = child.prefix.slice(common);
      upper.children.set(child.prefix[0]!, child);
      node.children.set(text[0]!, upper);
      node = upper;
    } else node = child;
    text = text.slice(common);
  }
  return node;
}

/** Both trees as one comparable value (children keyed by first character, parameters by shape text). */
function plain(node: Node): unknown {
  const params: Record<string, unknown> = {};
  if (node.param !== null) params[':'] = plain(node.param);
  for (const c of node.constrained) params[':' + c.source] = plain(c.node);
  return { prefix: node.prefix, route: node.route, catchAll: node.catchAll, children: Object.fromEntries(node.children.map((c) => [c.prefix[0], plain(c)])), params };
}

function plainRef(node: Ref): unknown {
  return {
    prefix: node.prefix,
    route: node.route,
    catchAll: node.catchAll,
    children: Object.fromEntries([...node.children].map(([k, c]) => [k, plainRef(c)])),
    params: Object.fromEntries([...node.param].map(([k, c]) => [k, plainRef(c)])),
  };
}

const segment = fc.oneof(fc.constantFrom('', 'a', 'ab', 'abc', 'b', 'ba', 'x1', ':', ':[0-9]+', ':[a-z]+'), fc.stringMatching(/^[a-c]{1,4}$/));
const shapeArb = fc.tuple(fc.array(segment, { maxLength: 5 }), fc.boolean()).map(([segs, star]) => (star ? [...segs, '*'] : segs));

describe('building the tree', () => {
  it('equals a plain insertion of the joined static runs, for any shapes in any order', () => {
    fc.assert(
      fc.property(fc.array(shapeArb, { maxLength: 25 }), (shapes) => {
        expect(plain(buildTree(shapes, regexes))).toEqual(plainRef(referenceTree(shapes)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('sizes the offsets buffer as offsetsLength does, without its own pass', () => {
    fc.assert(
      fc.property(fc.array(shapeArb, { minLength: 1, maxLength: 25 }), (shapes) => {
        const backend = createJsBackend(shapes, { caseSensitive: true, ignoreTrailingSlash: false, codegen: false, compileRegex: () => regex });
        expect(backend.offsets.length).toBe(offsetsLength(shapes));
      }),
      { numRuns: 500 },
    );
  });
});
