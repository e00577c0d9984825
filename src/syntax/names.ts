// Names and literal values read from the tree, and names for new variables: the string a plain literal
// holds, the targets of an assignment and the names a target binds, every identifier a file uses, and a
// name free among them; the identifiers and method calls of a given name, found from the text; and the
// `import <name>` a fix needs, asked once per tree.
import type { Edit, SyntaxNode, RuleContext, Tree } from '../types.js';
import { functionAround } from './functions.js';
import { importPlacement } from './edits.js';

/**
 * The literal value of a plain Python string node: one quote character on each side, an optional `r`/`u`
 * prefix, and no quote or backslash inside (`'EDIT'`, `"object.select_all"`, `''`). Null for anything
 * else: other nodes, f-strings and bytes, triple quotes, escapes, implicit concatenation.
 */
export function stringValue(node: SyntaxNode | null | undefined): string | null {
  if (!node || node.type !== 'string') return null;
  const m = /^[rRuU]?(['"])([^'"\\]*)\1$/.exec(node.text);
  return m ? m[2] : null;
}

/** The targets of an assignment, chained ones too (`a = b = value` → a, b; `x += 1` → x), and the value
 *  assigned (null for an annotation alone, `x: int`). */
export function assignmentTargets(assignment: SyntaxNode): { targets: SyntaxNode[]; value: SyntaxNode | null } {
  const targets: SyntaxNode[] = [];
  for (let a = assignment; ; ) {
    const left = a.childForFieldName('left');
    if (left) targets.push(left);
    const right = a.childForFieldName('right');
    if (right?.type !== 'assignment') return { targets, value: right };
    a = right;
  }
}

/** Binding targets that hold further targets: `a, b = …`, `[a, *rest] = …`, `for (i, x) in …`. */
const TARGET_CONTAINERS = new Set([
  'pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'parenthesized_expression', 'list_splat_pattern',
]);

/** Adds to `out` the plain names the binding target `node` binds (`a, (b, *c)` → a, b, c; `x.y` and
 *  `x[0]` bind none). */
export function targetNames(node: SyntaxNode | null, out: Set<string>): void {
  if (!node) return;
  if (node.type === 'identifier') out.add(node.text);
  else if (TARGET_CONTAINERS.has(node.type)) for (const c of node.namedChildren) targetNames(c, out);
}

/** Every identifier the file uses: new variables avoid them all, so they can neither shadow a global
 *  nor clobber a local anywhere. */
export function usedNames(ctx: RuleContext): Set<string> {
  return new Set(ctx.tree.rootNode.descendantsOfType('identifier').map((n) => n.text));
}

/**
 * A name not in `taken`: the first of `options.prefer` that is free, else `base`, else `base` with the
 * smallest number from 2 that makes it free, after `options.separator` (`_` unless given: `render_2`).
 */
export function freeName(
  base: string,
  taken: ReadonlySet<string>,
  options: { prefer?: readonly string[]; separator?: string } = {},
): string {
  for (const name of [...(options.prefer ?? []), base]) if (!taken.has(name)) return name;
  const separator = options.separator ?? '_';
  let i = 2;
  while (taken.has(`${base}${separator}${i}`)) i++;
  return `${base}${separator}${i}`;
}

const identifierPatterns = new Map<string, RegExp>();

/**
 * The identifiers of the tree spelled as one of `names` (regular expression alternatives: plain names, or
 * patterns such as `draw\w*`), in source order. Found by searching the source text and asking the tree for
 * the node at each hit (hits in strings and comments are dropped), which costs far less than a query over
 * the whole tree: only the nodes found are handed to JavaScript.
 */
export function identifiersNamed(tree: Tree, source: string, names: readonly string[]): SyntaxNode[] {
  const key = names.join('|');
  let pattern = identifierPatterns.get(key);
  if (!pattern) identifierPatterns.set(key, (pattern = new RegExp(`\\b(?:${key})\\b`, 'g')));
  const out: SyntaxNode[] = [];
  let root: SyntaxNode | undefined;
  for (const m of source.matchAll(pattern)) {
    const start = m.index;
    const end = start + m[0].length;
    root ??= tree.rootNode;
    const n = root.descendantForIndex(start, end);
    if (n && n.type === 'identifier' && n.startIndex === start && n.endIndex === end) out.push(n);
  }
  return out;
}

/** The calls `<expression>.<name>(…)` of the tree for `name` one of `names` (the callee is an attribute
 *  ending in the name), in source order of the names; found as identifiersNamed finds names. */
export function methodCallsNamed(tree: Tree, source: string, names: readonly string[]): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const name of identifiersNamed(tree, source, names)) {
    const callee = name.parent;
    // The name is the attribute read (the object starts where the attribute does) and the callee the call's function.
    if (callee?.type !== 'attribute' || callee.startIndex === name.startIndex) continue;
    const call = callee.parent;
    if (call?.type === 'call' && call.startIndex === callee.startIndex) out.push(call);
  }
  return out;
}

interface ImportFacts {
  imported: boolean;
  /** The module's statements (comments left out). */
  statements: SyntaxNode[];
}

const importCache = new WeakMap<Tree, Map<string, ImportFacts>>();

/** Whether the module binds `name` by `import <name>` or `import <name>.x` outside any function (edits.ts
 *  `importsModule`: the same answer), and its statements; found once per tree and name, from the name's
 *  occurrences in the text rather than from every import statement of the file. */
function importFacts(ctx: RuleContext, name: string): ImportFacts {
  let byName = importCache.get(ctx.tree);
  if (!byName) importCache.set(ctx.tree, (byName = new Map()));
  let facts = byName.get(name);
  if (!facts) {
    const imported = identifiersNamed(ctx.tree, ctx.source, [name]).some((n) => {
      const dotted = n.parent;
      const stmt = dotted?.parent;
      if (dotted?.type !== 'dotted_name' || stmt?.type !== 'import_statement' || dotted.startIndex !== n.startIndex) return false;
      const text = dotted.text;
      return (text === name || text.startsWith(`${name}.`)) && !functionAround(stmt);
    });
    const statements = imported ? [] : ctx.tree.rootNode.namedChildren.filter((n) => n.type !== 'comment');
    byName.set(name, (facts = { imported, statements }));
  }
  return facts;
}

/**
 * The edit of edits.ts `ensureImport` (the same logic, the same edit): `import <name>` after the first run of
 * top-level imports (or after the docstring, else before the first statement), before the offset `before`
 * where given; null if the module already imports it. What it needs of the tree is found once per tree, where
 * `ensureImport` walks the whole tree on every call (a file with forty fixes asks forty times).
 */
export function importEdit(ctx: RuleContext, name: string, before?: number): Edit | null {
  const { imported, statements } = importFacts(ctx, name);
  return imported ? null : importPlacement(ctx, statements, name, before);
}

/** edits.ts `withImport` (the same edits): `edits`, plus `import <name>` before the first of them where the
 *  module does not import it yet, with importEdit. */
export function editsWithImport(ctx: RuleContext, name: string, edits: Edit[]): Edit[] {
  const imp = importEdit(ctx, name, Math.min(...edits.map((e) => e.start)));
  return imp ? [imp, ...edits] : edits;
}

/** A node's text without whitespace: `bpy.data.objects.new` however it is written (line breaks inside
 *  brackets, spaces around dots). */
export function compactText(node: SyntaxNode): string {
  return node.text.replace(/\s+/g, '');
}
