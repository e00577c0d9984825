// BGS021's edits: `register_tool(...)` statements under `if <add-on key config>:` (neighbours sharing one
// `if`), and each `unregister_tool(...)` statement in `try: … except AttributeError: pass`, the exception
// unregister_tool() raises for a tool that was never registered (measured in 3.4.1, 4.3.2 and 5.2.2).
import type { Edit, Fix, RuleContext, SyntaxNode } from '../../src/types.js';
import { wrapRuns, wrapStatements } from '../../src/syntax/edits.js';
import { editsWithImport } from '../../src/syntax/names.js';
import { lineEndOf, lineIndent } from '../../src/syntax/source.js';

/** The add-on key config: None at start-up in background mode in Blender 3.4. */
export const KEYCONFIG = 'bpy.context.window_manager.keyconfigs.addon';

/** What a skipped registration leaves for unregister_tool(). */
export const NOT_REGISTERED = 'AttributeError';

const EXCEPT_COMMENT = '# not registered: there was no add-on key config at start-up';

/** The fix for each register_tool statement (by id); statements that cannot be wrapped have none. */
export function registerFixes(ctx: RuleContext, statements: SyntaxNode[]): Map<number, Fix> {
  const fixes = new Map<number, Fix>();
  const byEdits = new Map<Edit[], Fix>();
  for (const [id, edits] of wrapRuns(ctx, statements, KEYCONFIG)) {
    if (!edits) continue;
    let fix = byEdits.get(edits);
    if (!fix) {
      fix = { safety: 'safe', description: `register the tool only \`if ${KEYCONFIG}:\``, edits: editsWithImport(ctx, 'bpy', edits) };
      byEdits.set(edits, fix);
    }
    fixes.set(id, fix);
  }
  return fixes;
}

/** The fix for one unregister_tool statement: `try:` around it, `except AttributeError: pass` after it. */
export function unregisterFix(ctx: RuleContext, statement: SyntaxNode): Fix | null {
  // wrapStatements does the indentation (nested lines, a one-line body opened into a block); its `if`
  // header becomes `try:`.
  const marker = 'BGSAFE_TRY';
  const edits = wrapStatements(ctx, statement, statement, marker);
  if (!edits) return null;
  const head = edits[0];
  const at = head.text.indexOf(`if ${marker}:`);
  if (at < 0) return null;
  const before = head.text.slice(0, at);
  const nl = ctx.newline;
  // A one-line body (`def unregister(): …`) puts the header on a new line of its own indent.
  const indent = before.startsWith(nl) ? before.slice(nl.length) : lineIndent(ctx.source, statement.startIndex);
  const after = head.text.slice(at + `if ${marker}:`.length);
  const unit = after.startsWith(`${nl}${indent}`) ? after.slice(nl.length + indent.length) : ctx.indentUnit;
  const end = lineEndOf(ctx.source, statement.endIndex);
  const handler = `${nl}${indent}except ${NOT_REGISTERED}:  ${EXCEPT_COMMENT}${nl}${indent}${unit}pass`;
  return {
    safety: 'safe',
    description: `put the call in \`try:\` … \`except ${NOT_REGISTERED}: pass\``,
    edits: [{ ...head, text: `${before}try:${after}` }, ...edits.slice(1), { start: end, end, text: handler }],
  };
}
