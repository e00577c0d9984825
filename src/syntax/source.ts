// Facts about a source text that edits must respect: newlines, the indent unit, lines, and the
// interiors of multi-line strings, which are never re-indented.
import { queryMatches } from '../parse.js';
import type { SyntaxNode, Tree } from '../types.js';

export function detectNewline(source: string): '\r\n' | '\n' {
  const crlf = source.split('\r\n').length - 1;
  const lf = source.split('\n').length - 1 - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/** The indent unit most blocks of the file use: "\t" or N spaces; four spaces when nothing tells.
 *  Blocks come from a query (native), so only they are brought into JavaScript, not the whole tree. */
export function detectIndentUnit(tree: Tree, source: string): string {
  const votes = new Map<string, number>();
  for (const { block } of queryMatches('(block) @block', tree.rootNode)) {
    const owner = block.parent;
    if (!owner || block.startPosition.row <= owner.startPosition.row) continue;
    const outer = lineIndent(source, owner.startIndex);
    const inner = lineIndent(source, block.startIndex);
    if (inner.startsWith(outer) && inner.length > outer.length) {
      const unit = inner.slice(outer.length);
      if (/^(\t|( +))$/.test(unit)) votes.set(unit, (votes.get(unit) ?? 0) + 1);
    }
  }
  let best = '    ';
  let bestVotes = 0;
  for (const [unit, n] of votes) {
    if (n > bestVotes) {
      best = unit;
      bestVotes = n;
    }
  }
  return best;
}

export function lineStartOf(source: string, offset: number): number {
  return source.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset of the "\n" (or "\r\n") that ends the line holding `offset`, or the source's length. */
export function lineEndOf(source: string, offset: number): number {
  const nl = source.indexOf('\n', offset);
  if (nl < 0) return source.length;
  return nl > 0 && source[nl - 1] === '\r' ? nl - 1 : nl;
}

/** The whitespace that starts the line holding `offset`. */
export function lineIndent(source: string, offset: number): string {
  const start = lineStartOf(source, offset);
  const m = /^[ \t]*/.exec(source.slice(start, start + 200));
  return m ? m[0] : '';
}

/** True when only whitespace stands between the start of its line and `offset`. */
export function startsLine(source: string, offset: number): boolean {
  return /^[ \t]*$/.test(source.slice(lineStartOf(source, offset), offset));
}

/** True when only whitespace, a comment, or nothing follows `offset` up to the end of its line. */
export function endsLine(source: string, offset: number): boolean {
  return /^[ \t]*(#.*)?$/.test(source.slice(offset, lineEndOf(source, offset)));
}

/** Ranges [start, end) of string nodes that span several lines: a line starting inside one is part
 *  of the string's value and must never be re-indented. */
export function multilineStringRanges(tree: Tree): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const visit = (n: SyntaxNode): void => {
    if (n.type === 'string') {
      if (n.endPosition.row > n.startPosition.row) out.push([n.startIndex, n.endIndex]);
      return;
    }
    if (n.endPosition.row === n.startPosition.row) return;
    for (const c of n.children) visit(c);
  };
  visit(tree.rootNode);
  return out;
}

export function insideAny(offset: number, ranges: Array<[number, number]>): boolean {
  return ranges.some(([s, e]) => offset > s && offset < e);
}

/** 1-based line and column of an offset. */
export function positionOf(lineStarts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo] + 1 };
}

export function lineStarts(source: string): number[] {
  const out = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

const quoteCache = new WeakMap<Tree, string>();

/** The quote the file uses for enum-like strings: in set literals (`{'FINISHED'}`) where it has any, else
 *  in most of its plain strings. `'` or `"`. */
export function quoteStyle(ctx: { tree: Tree }): string {
  let q = quoteCache.get(ctx.tree);
  if (q) return q;
  const count = (inSet: boolean): [number, number] => {
    let single = 0;
    let double = 0;
    // In sets: the openings of the strings the sets hold (a string's first child), rather than every
    // string's opening asked for its grandparent.
    const starts = inSet
      ? ctx.tree.rootNode.descendantsOfType('set').flatMap((set) => set.namedChildren.filter((c) => c.type === 'string').map((c) => c.firstChild!))
      : ctx.tree.rootNode.descendantsOfType('string_start');
    for (const s of starts) {
      if (s.type !== 'string_start') continue;
      const t = s.text.replace(/^[rRbBuUfF]+/, '');
      if (t === "'") single++;
      else if (t === '"') double++;
    }
    return [single, double];
  };
  let [single, double] = count(true);
  if (single + double === 0) [single, double] = count(false);
  q = double > single ? '"' : "'";
  quoteCache.set(ctx.tree, q);
  return q;
}
