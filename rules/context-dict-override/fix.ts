// BGS016 context-dict-override: the edits of the rewrite. The call's statement goes under
// `with <owner>.temp_override(<dict>):` and loses its dict argument (an execution-context string after it
// stays); where the add-on also supports Blender before 3.2 (no `temp_override` there), the new code goes
// under `if bpy.app.version >= (3, 2, 0):` and the old call, as it was, under `else:`.
import type { Edit, RuleContext, SyntaxNode } from '../../src/types.js';
import { wrapInBlocks } from '../../src/syntax/edits.js';
import { enclosingStatement } from '../../src/syntax/scope.js';
import { lineEndOf, lineIndent, startsLine } from '../../src/syntax/source.js';

export const VERSION_TEST = 'bpy.app.version >= (3, 2, 0)';

/** The statement the call can be wrapped in: the call alone, `x = call(...)` or `return call(...)`; null
 *  where the call is part of a larger expression (a condition, a lambda, a comprehension…). */
export function wrappableStatement(call: SyntaxNode): SyntaxNode | null {
  const statement = enclosingStatement(call);
  const parent = call.parent;
  if (!statement || !parent) return null;
  if (parent.type === 'expression_statement' && parent.id === statement.id && parent.namedChildCount === 1) return statement;
  if (parent.type === 'return_statement' && parent.id === statement.id) return statement;
  if (
    parent.type === 'assignment' &&
    parent.childForFieldName('right')?.id === call.id &&
    parent.parent?.id === statement.id &&
    statement.type === 'expression_statement' &&
    statement.namedChildCount === 1 &&
    ['identifier', 'attribute', 'subscript'].includes(parent.childForFieldName('left')?.type ?? '')
  ) {
    return statement;
  }
  return null;
}

/** The edit that takes the first argument `arg` out of `args`, with the comma and space after it (or the
 *  comma before it where it is the last argument). */
function dropArgument(args: SyntaxNode, arg: SyntaxNode): Edit {
  const next = arg.nextSibling;
  if (next?.type === ',') {
    const after = next.nextNamedSibling;
    return { start: arg.startIndex, end: after && after.type !== 'comment' ? after.startIndex : next.endIndex, text: '' };
  }
  return { start: arg.startIndex, end: arg.endIndex, text: '' };
}

/**
 * The edits that rewrite `statement` (holding the operator call with `args`, whose first argument is the
 * dict `arg`) into `with <withHeader>:` + the call without the dict; with `branch`, under the version test
 * with the old statement kept under `else:`. Null where the statement's layout leaves no certain edit.
 */
export function rewriteEdits(
  ctx: RuleContext,
  statement: SyntaxNode,
  args: SyntaxNode,
  arg: SyntaxNode,
  withHeader: string,
  branch: boolean,
): Edit[] | null {
  const drop = dropArgument(args, arg);
  const headers = branch ? [`if ${VERSION_TEST}:`, `with ${withHeader}:`] : [`with ${withHeader}:`];
  if (branch && (!startsLine(ctx.source, statement.startIndex) || hasMultilineString(statement))) return null;
  const wrap = wrapInBlocks(ctx, statement, statement, headers);
  if (!wrap) return null;
  // Indents of lines inside the dropped argument go with it.
  const edits = [...wrap.filter((e) => e.start < drop.start || e.start >= drop.end), drop];
  if (branch) edits.push(elseBranch(ctx, statement));
  return edits;
}

/** `else:` and the old statement, one unit deeper, after the statement's line (a trailing comment stays
 *  with the new code). */
function elseBranch(ctx: RuleContext, statement: SyntaxNode): Edit {
  const { source, newline: nl } = ctx;
  const indent = lineIndent(source, statement.startIndex);
  const unit = indent.length > 0 && /^\t+$/.test(indent) ? '\t' : ctx.indentUnit;
  const old = statement.text
    .split('\n')
    .map((line, i) => (i === 0 || /^[ \t\r]*$/.test(line) ? line : line.startsWith(indent) ? indent + unit + line.slice(indent.length) : unit + line))
    .join('\n');
  const at = lineEndOf(source, statement.endIndex);
  return { start: at, end: at, text: `${nl}${indent}else:${nl}${indent}${unit}${old}` };
}

function hasMultilineString(node: SyntaxNode): boolean {
  return node.descendantsOfType('string').some((s) => s.endPosition.row > s.startPosition.row);
}
