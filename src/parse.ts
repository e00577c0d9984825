// Stage parse: one tree-sitter parser and one compiled query per pattern text, for the whole thread.
// The native binding is loaded on first use: the main thread of a batch on worker threads never parses.
import { createRequire } from 'node:module';
import type ParserT from 'tree-sitter';
import { noteParsed } from './reclaim.js';
import type { SyntaxNode, Tree } from './types.js';

const require = createRequire(import.meta.url);
type Binding = { Parser: typeof ParserT; Python: ParserT.Language };
let binding: Binding | undefined;
const treeSitter = (): Binding =>
  (binding ??= { Parser: require('tree-sitter') as typeof ParserT, Python: require('tree-sitter-python') as ParserT.Language });

let parser: ParserT | undefined;
const queries = new Map<string, ParserT.Query>();

export function parsePython(source: string): Tree {
  if (!parser) {
    const { Parser, Python } = treeSitter();
    parser = new Parser();
    parser.setLanguage(Python);
  }
  noteParsed(source.length);
  // The Node binding reads the string in chunks; a larger buffer avoids many callbacks on big files.
  return parser.parse(source, undefined, { bufferSize: Math.max(32 * 1024, source.length + 1) });
}

export function compileQuery(pattern: string): ParserT.Query {
  let q = queries.get(pattern);
  if (!q) {
    const { Parser, Python } = treeSitter();
    q = new Parser.Query(Python, pattern);
    queries.set(pattern, q);
  }
  return q;
}

/** The matches of a pattern in `node`'s subtree, by capture name. With `maxStartDepth: 0`, only matches of
 *  the pattern rooted at `node` itself (checking one node found some other way, at the cost of that node). */
export function queryMatches(pattern: string, node: SyntaxNode, options?: { maxStartDepth?: number }): Array<Record<string, SyntaxNode>> {
  return compileQuery(pattern)
    .matches(node, options)
    .map((m) => {
      const byName: Record<string, SyntaxNode> = {};
      for (const c of m.captures) byName[c.name] = c.node;
      return byName;
    });
}

/** Syntax errors of a tree: ERROR and MISSING nodes, as [start offset, description]. */
export function syntaxErrors(tree: Tree): Array<{ start: number; row: number; column: number; text: string }> {
  const out: Array<{ start: number; row: number; column: number; text: string }> = [];
  if (!tree.rootNode.hasError) return out;
  const walk = (n: SyntaxNode): void => {
    if (n.type === 'ERROR' || n.isMissing) {
      out.push({
        start: n.startIndex,
        row: n.startPosition.row,
        column: n.startPosition.column,
        text: n.isMissing ? `missing ${n.type}` : 'invalid syntax',
      });
      return;
    }
    if (!n.hasError) return;
    for (const c of n.children) walk(c);
  };
  walk(tree.rootNode);
  return out;
}
