// One tree-sitter parser and one compiled query per pattern text, for the whole process.
import { createRequire } from 'node:module';
import type ParserT from 'tree-sitter';
import type { SyntaxNode, Tree } from './types.js';

const require = createRequire(import.meta.url);
const Parser = require('tree-sitter') as typeof ParserT;
const Python = require('tree-sitter-python');

let parser: ParserT | undefined;
const queries = new Map<string, ParserT.Query>();

export function parsePython(source: string): Tree {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(Python);
  }
  // The Node binding reads the string in chunks; a larger buffer avoids many callbacks on big files.
  return parser.parse(source, undefined, { bufferSize: Math.max(32 * 1024, source.length + 1) });
}

export function compileQuery(pattern: string): ParserT.Query {
  let q = queries.get(pattern);
  if (!q) {
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

/** The patterns compiled so far (for the bench's accounting of query passes). */
export function compiledPatterns(): string[] {
  return [...queries.keys()];
}
