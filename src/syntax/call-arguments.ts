// The arguments of a call, sorted: positional ones, keyword ones by name, and whether it spreads
// `*args`/`**kwargs` (then its real arguments are not known).
import type { SyntaxNode } from '../types.js';

/** The call's positional arguments (not keyword arguments, comments or `*args`/`**kwargs`). */
export function positionalArgs(args: SyntaxNode): SyntaxNode[] {
  return args.namedChildren.filter(
    (c) => !['keyword_argument', 'comment', 'list_splat', 'dictionary_splat'].includes(c.type),
  );
}

/** The keyword arguments by name (the last one where a name is repeated). */
export function keywordArgs(args: SyntaxNode): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  for (const c of args.namedChildren) {
    if (c.type !== 'keyword_argument') continue;
    const name = c.childForFieldName('name')?.text;
    const value = c.childForFieldName('value');
    if (name && value) out.set(name, value);
  }
  return out;
}

/** True when the call spreads `*args` or `**kwargs`: its real arguments are not known. */
export function hasSplat(args: SyntaxNode): boolean {
  return args.namedChildren.some((c) => c.type === 'list_splat' || c.type === 'dictionary_splat');
}
