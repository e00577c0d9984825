// Facts about function definitions: the names of a function's parameters, the class it is a method of,
// the methods a class body defines, and the function around a node.
import type { SyntaxNode } from '../types.js';

/** The names of a function's parameters in order (`self`, `context`, `*args` → `args`, `x=1` → `x`);
 *  '' for a slot without a plain name (`*`, `/`, a comment). */
export function parameterNames(fn: SyntaxNode): string[] {
  const params = fn.childForFieldName('parameters');
  if (!params) return [];
  return params.namedChildren.map((p) => {
    if (p.type === 'identifier') return p.text;
    const name = p.childForFieldName('name') ?? p.firstNamedChild;
    return name?.type === 'identifier' ? name.text : '';
  });
}

/** The class whose body defines `fn` directly (decorated or not), or null for other functions. */
export function methodClass(fn: SyntaxNode): SyntaxNode | null {
  let holder = fn.parent;
  if (holder?.type === 'decorated_definition') holder = holder.parent;
  return holder?.type === 'block' && holder.parent?.type === 'class_definition' ? holder.parent : null;
}

/** The methods a class body defines (decorated ones too), by name; where a name is defined twice, the last. */
export function methodsOf(classBody: SyntaxNode | null): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  for (const stmt of classBody?.namedChildren ?? []) {
    const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    const name = def?.type === 'function_definition' ? def.childForFieldName('name')?.text : undefined;
    if (def && name) out.set(name, def);
  }
  return out;
}

const FUNCTION_TYPES = ['function_definition', 'lambda'];

/** The function or lambda whose body holds `node` (as `enclosingFunction` in scope.ts), found by the tree
 *  itself: no node on the way up is handed to JavaScript. */
export function functionAround(node: SyntaxNode): SyntaxNode | null {
  return node.closest(FUNCTION_TYPES) ?? null;
}
