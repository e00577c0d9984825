// Names and literal values read from the tree, and names for new variables: the string a plain literal
// holds, the targets of an assignment and the names a target binds, every identifier a file uses, and a
// name free among them.
import type { SyntaxNode, RuleContext } from '../types.js';

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
