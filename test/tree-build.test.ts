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

  it('keeps every dense child index equal to one built from the finished node', () => {
    // Many first characters under one node (digits, letters, and one past ASCII) so indexes form,
    // grow and see splits of indexed children.
    const wide = fc.oneof(segment, fc.stringMatching(/^[0-9a-z~\u00e9]{1,3}$/));
    const wideShape = fc.array(wide, { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.array(wideShape, { maxLength: 60 }), (shapes) => {
        const pending = [buildTree(shapes, regexes)];
        while (pending.length > 0) {
          const node = pending.pop()!;
          if (node.children.length < 6) expect(node.index).toBeNull();
          else {
            const ascii = node.first.filter((c) => c < 128);
            const expected = new Array<Node | undefined>(Math.max(0, ...ascii) + 1).fill(undefined);
            node.children.forEach((child, i) => {
              if (node.first[i]! < 128) expected[node.first[i]!] = child;
            });
            // Rounded up to 16 slots, never past 128; the slots past the highest character are empty.
            expect(node.index!.length).toBe((expected.length + 15) & ~15);
            for (let c = 0; c < node.index!.length; c++) expect(node.index![c]).toBe(expected[c]);
          }
          pending.push(...node.below());
        }
      }),
      { numRuns: 500 },
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
