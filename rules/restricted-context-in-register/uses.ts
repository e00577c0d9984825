// The uses of bpy.context and bpy.data in a file: `bpy.context.<attr>` / `bpy.data.<attr>`, names bound to
// them (`C = bpy.context`, `from bpy import data as D`), and `<alias>.<attr>` inside a function that binds
// such a name. Found from the `bpy` (or alias) tokens of the source, so that only those nodes are ever
// taken from the tree: a query over the whole file hands every `a.b.c` and every assignment to JavaScript.
import { enclosingFunction, isField } from '../../src/syntax/scope.js';
import type { SyntaxNode } from '../../src/types.js';

/** `bpy.context.<attr>` / `bpy.data.<attr>` (`which` is `context` or `data`). */
export interface Use {
  node: SyntaxNode;
  which: string;
  attr: string;
}

/** `name = bpy.context` / `from bpy import context` / `from bpy import data as name`. */
export interface AliasBinding {
  binding: SyntaxNode;
  which: SyntaxNode;
  bound: SyntaxNode;
}

const WHICH = /^(context|data)$/;

/** The uses of `bpy.context.…` / `bpy.data.…` and the names bound to them, each in source order (the
 *  assignments before the imports). */
export function bpyUses(source: string, root: SyntaxNode): { uses: Use[]; bindings: AliasBinding[] } {
  const uses: Use[] = [];
  const assignments: AliasBinding[] = [];
  const imports: AliasBinding[] = [];
  for (const id of identifiersNamed(source, root, 'bpy')) {
    const p = id.parent;
    if (p?.type === 'dotted_name') {
      imports.push(...importedFromBpy(p));
      continue;
    }
    if (p?.type !== 'attribute' || !isField(p, 'object', id)) continue;
    const which = p.childForFieldName('attribute');
    if (!which || !WHICH.test(which.text)) continue;
    const outer = p.parent;
    if (outer?.type === 'attribute' && isField(outer, 'object', p)) {
      const attr = outer.childForFieldName('attribute');
      if (attr?.type === 'identifier') uses.push({ node: outer, which: which.text, attr: attr.text });
    } else if (outer?.type === 'assignment' && isField(outer, 'right', p)) {
      const left = outer.childForFieldName('left');
      if (left?.type === 'identifier') assignments.push({ binding: outer, which, bound: left });
    }
  }
  return { uses, bindings: [...assignments, ...imports] };
}

/** `from bpy import context, data as D`: one binding per name, for the `bpy` of its module name. */
function importedFromBpy(moduleName: SyntaxNode): AliasBinding[] {
  const stmt = moduleName.parent;
  if (stmt?.type !== 'import_from_statement' || !isField(stmt, 'module_name', moduleName) || moduleName.text !== 'bpy') return [];
  const out: AliasBinding[] = [];
  for (const n of stmt.childrenForFieldName('name')) {
    if (n.type === 'dotted_name' && WHICH.test(n.text)) out.push({ binding: stmt, which: n, bound: n });
    if (n.type !== 'aliased_import') continue;
    const name = n.childForFieldName('name');
    const alias = n.childForFieldName('alias');
    if (name?.type === 'dotted_name' && WHICH.test(name.text) && alias) out.push({ binding: stmt, which: name, bound: alias });
  }
  return out;
}

/** `<alias>.<attr>` in the functions that bind an alias (by function node id: alias → `context` / `data`),
 *  in source order; only where the function itself (not a lambda or function inside it) holds the use. */
export function aliasUses(source: string, aliases: Map<number, Map<string, string>>, functions: Map<number, SyntaxNode>): Use[] {
  const out: Use[] = [];
  for (const [fnId, names] of aliases) {
    const fn = functions.get(fnId)!;
    for (const [name, which] of names) {
      for (const id of identifiersNamed(source, fn, name)) {
        const p = id.parent;
        if (p?.type !== 'attribute' || !isField(p, 'object', id)) continue;
        const attr = p.childForFieldName('attribute');
        if (attr?.type === 'identifier' && enclosingFunction(p)?.id === fnId) out.push({ node: p, which, attr: attr.text });
      }
    }
  }
  return out.sort((a, b) => a.node.startIndex - b.node.startIndex);
}

/** The identifier nodes under `scope` whose text is `name`, found from the source text. */
function identifiersNamed(source: string, scope: SyntaxNode, name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const end = scope.endIndex;
  for (let at = source.indexOf(name, scope.startIndex); at >= 0 && at + name.length <= end; at = source.indexOf(name, at + 1)) {
    if (isWordChar(source.charCodeAt(at - 1)) || isWordChar(source.charCodeAt(at + name.length))) continue;
    const n = scope.descendantForIndex(at, at + name.length);
    if (n.type === 'identifier' && n.startIndex === at && n.endIndex === at + name.length) out.push(n);
  }
  return out;
}

/** An ASCII letter, digit or `_`: next to the name, it makes the name part of a longer token (the tree has
 *  the last word on anything else). */
function isWordChar(c: number): boolean {
  return c === 95 || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
