/**
 * The public surface of an entry, read with the TypeScript compiler (no build needed): the
 * names it exports as values and as types only, and every type its public declarations name
 * that a user cannot import (the "referenced but not exported" kind, which a bundled .d.ts
 * then carries as an unexported declaration).
 */
import ts from 'typescript';

export interface Surface {
  values: string[];
  types: string[];
  /** `Name (in Exported)`: a type declared in the package, named by a public declaration, exported by no entry given. */
  dangling: string[];
}

function resolve(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** The type positions of a declaration's public shape (not function bodies or private members). */
function publicTypeNodes(decl: ts.Node, out: ts.TypeReferenceNode[]): void {
  const visit = (node: ts.Node): void => {
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) out.push(node as ts.TypeReferenceNode);
    if (ts.isBlock(node)) return; // a body
    if ((ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node)) && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) return;
    if (ts.isPropertyDeclaration(node) && node.initializer && !node.type) return;
    if (ts.isVariableDeclaration(node)) {
      if (node.type) visit(node.type);
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(decl);
}

export function surfaceOf(entries: readonly string[]): Surface[] {
  const program = ts.createProgram([...entries], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const exported = new Set<ts.Symbol>();
  const perEntry = entries.map((entry) => {
    const source = program.getSourceFile(entry);
    if (!source) throw new Error(`not in the program: ${entry}`);
    const symbols = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);
    for (const s of symbols) exported.add(resolve(checker, s));
    return symbols;
  });
  return perEntry.map((symbols) => {
    const values: string[] = [];
    const types: string[] = [];
    const dangling = new Set<string>();
    for (const s of symbols) {
      const target = resolve(checker, s);
      (target.flags & ts.SymbolFlags.Value ? values : types).push(s.name);
      for (const decl of target.declarations ?? []) {
        const refs: ts.TypeReferenceNode[] = [];
        publicTypeNodes(decl, refs);
        for (const ref of refs) {
          const name = ts.isTypeReferenceNode(ref) ? ref.typeName : (ref as unknown as ts.ExpressionWithTypeArguments).expression;
          const symbol = checker.getSymbolAtLocation(name);
          if (!symbol) continue;
          const used = resolve(checker, symbol);
          if (used.flags & ts.SymbolFlags.TypeParameter) continue;
          const file = used.declarations?.[0]?.getSourceFile().fileName ?? '';
          if (!file.includes('/src/') || file.includes('node_modules')) continue;
          if (!exported.has(used)) dangling.add(`${used.name} (in ${s.name})`);
        }
      }
    }
    return { values: values.sort(), types: types.sort(), dangling: [...dangling].sort() };
  });
}
