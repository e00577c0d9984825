// BGS015 bgl-removed: the file's imports of `bgl` (`import bgl`, `import bgl as gl`, `from bgl import …`) and
// every use of what they bind, grouped by call: `bgl.glEnable(bgl.GL_BLEND)` is one call of `glEnable` whose
// argument is the constant `GL_BLEND`; a constant or the module used outside such a call is a use of its own.
import type { SyntaxNode, RuleContext } from '../../src/types.js';
import { bindingOf } from '../../src/syntax/bindings.js';
import { identifiersNamed } from '../../src/syntax/names.js';

export interface BglImport {
  statement: SyntaxNode;
  /** The statement imports bgl (or names from it) and nothing else. */
  onlyBgl: boolean;
  /** `from bgl import *`. */
  star: boolean;
}

export interface BglUse {
  /** `bgl.X` (an attribute), `X` (a name imported from bgl), or the bare module name. */
  node: SyntaxNode;
  /** The bgl member used, or null where the module itself is used (`gl = bgl`, `getattr(bgl, name)`). */
  member: string | null;
}

/** A use and, where it is called, its call: `bgl.glLineWidth(2)`. */
export interface BglItem {
  use: BglUse;
  call: SyntaxNode | null;
  /** The uses inside the call's arguments (`bgl.GL_BLEND`), which belong to this item. */
  argUses: BglUse[];
}

export interface BglFacts {
  imports: BglImport[];
  items: BglItem[];
}

/** The file's bgl imports and uses; null when it imports nothing from bgl. */
export function bglFacts(ctx: RuleContext): BglFacts | null {
  const imports: BglImport[] = [];
  const modules = new Set<string>();
  const members = new Map<string, string>();
  for (const id of identifiersNamed(ctx.tree, ctx.source, ['bgl'])) {
    const dotted = id.parent;
    const stmt = dotted?.type === 'dotted_name' && dotted.text === 'bgl' ? importOf(dotted) : null;
    if (!stmt || imports.some((i) => i.statement.id === stmt.id)) continue;
    imports.push(readImport(stmt, modules, members));
  }
  if (imports.length === 0) return null;
  const names = [...modules, ...members.keys()];
  const uses: BglUse[] = [];
  for (const id of names.length > 0 ? identifiersNamed(ctx.tree, ctx.source, names) : []) {
    const use = useOf(id, modules, members);
    if (use) uses.push(use);
  }
  return { imports, items: groupByCall(uses) };
}

/** The import statement a `bgl` dotted name belongs to (as the module imported or imported from). */
function importOf(dotted: SyntaxNode): SyntaxNode | null {
  const p = dotted.parent;
  if (p?.type === 'import_statement') return p;
  if (p?.type === 'aliased_import' && p.parent?.type === 'import_statement' && p.childForFieldName('name')?.id === dotted.id) return p.parent;
  if (p?.type === 'import_from_statement' && p.childForFieldName('module_name')?.id === dotted.id) return p;
  return null;
}

/** What one import statement binds from bgl: module aliases into `modules`, imported names into `members`. */
function readImport(stmt: SyntaxNode, modules: Set<string>, members: Map<string, string>): BglImport {
  if (stmt.type === 'import_from_statement') {
    const star = stmt.namedChildren.some((c) => c.type === 'wildcard_import');
    for (const n of stmt.childrenForFieldName('name')) {
      if (n.type === 'dotted_name') members.set(n.text, n.text);
      else if (n.type === 'aliased_import') {
        const alias = n.childForFieldName('alias')?.text;
        const name = n.childForFieldName('name')?.text;
        if (alias && name) members.set(alias, name);
      }
    }
    return { statement: stmt, onlyBgl: true, star };
  }
  let onlyBgl = true;
  for (const n of stmt.namedChildren) {
    const name = n.type === 'aliased_import' ? n.childForFieldName('name') : n;
    if (name?.text !== 'bgl') {
      onlyBgl = false;
      continue;
    }
    modules.add(n.type === 'aliased_import' ? n.childForFieldName('alias')?.text ?? 'bgl' : 'bgl');
  }
  return { statement: stmt, onlyBgl, star: false };
}

/** The use an identifier makes of bgl, or null where it is no read of a bgl name (a binding, an attribute
 *  of something else, a keyword argument's name). */
function useOf(id: SyntaxNode, modules: Set<string>, members: Map<string, string>): BglUse | null {
  const p = id.parent;
  if (!p) return null;
  if (p.type === 'attribute' && p.childForFieldName('attribute')?.id === id.id) return null;
  if (p.type === 'keyword_argument' && p.childForFieldName('name')?.id === id.id) return null;
  if (bindingOf(id)) return null;
  if (modules.has(id.text)) {
    if (p.type === 'attribute' && p.childForFieldName('object')?.id === id.id) {
      return { node: p, member: p.childForFieldName('attribute')?.text ?? null };
    }
    return { node: id, member: null };
  }
  return { node: id, member: members.get(id.text) ?? null };
}

/** Uses grouped into calls: a called use takes the uses inside its arguments along. */
function groupByCall(uses: BglUse[]): BglItem[] {
  const items: BglItem[] = [];
  const taken = new Set<number>();
  for (const use of uses) {
    const call = use.node.parent;
    if (taken.has(use.node.id)) continue;
    if (call?.type !== 'call' || call.childForFieldName('function')?.id !== use.node.id) continue;
    const args = call.childForFieldName('arguments');
    const argUses = args ? uses.filter((u) => u.node.startIndex >= args.startIndex && u.node.endIndex <= args.endIndex) : [];
    for (const u of argUses) taken.add(u.node.id);
    items.push({ use, call, argUses });
  }
  for (const use of uses) {
    if (taken.has(use.node.id) || items.some((i) => i.use.node.id === use.node.id)) continue;
    items.push({ use, call: null, argUses: [] });
  }
  return items.sort((a, b) => a.use.node.startIndex - b.use.node.startIndex);
}
