// BGS007 view3d-operator: what the rule reads off one `bpy.ops.view3d.*` call: whether it sits inside
// `context.temp_override(...)`, the error its poll() gives headless, how its statement can be made to
// skip it, and the quote the file writes `{'CANCELLED'}` with.
import type { SyntaxNode } from '../../src/types.js';
import { enclosingStatement } from '../../src/syntax/scope.js';

/** Operators whose poll() says `expected a view3d region` headless; the others say `failed, context is
 *  incorrect` (measured one by one in 3.4.1 and 4.3.2; `render_border` says the first in 4.3.2 only). */
const REGION_POLL = new Set([
  'clip_border', 'cursor3d', 'dolly', 'fly', 'move', 'rotate', 'select_box', 'select_circle', 'select_lasso',
  'snap_cursor_to_grid', 'snap_selected_to_grid', 'view_all', 'view_center_cursor', 'view_center_pick',
  'view_lock_clear', 'view_lock_to_active', 'view_pan', 'view_selected', 'walk', 'zoom', 'zoom_border',
]);

/** How a viewport-only call is skipped headless: its statement wrapped, its value replaced, or by hand. */
export type Plan = { kind: 'wrap'; statement: SyntaxNode } | { kind: 'value'; value: SyntaxNode } | { kind: 'manual'; reason: string };


/** Why `bpy.ops.view3d.<name>()` fails headless, with the error its poll() gives, for a message. */
export function why(name: string): string {
  const op = `bpy.ops.view3d.${name}.poll()`;
  const error =
    name === 'render_border'
      ? `\`RuntimeError: Operator ${op} failed, context is incorrect\` (Blender 3.4.1; 4.3.2: \`... expected a view3d region\`)`
      : REGION_POLL.has(name)
        ? `\`RuntimeError: Operator ${op} expected a view3d region\` (Blender 3.4.1 and 4.3.2)`
        : `\`RuntimeError: Operator ${op} failed, context is incorrect\` (Blender 3.4.1 and 4.3.2)`;
  return `there is no 3D viewport in background mode, so its poll() fails and it raises ${error}`;
}

/** How the statement of a viewport-only call can skip it headless. */
export function planFor(call: SyntaxNode): Plan {
  const statement = enclosingStatement(call);
  if (!statement) return { kind: 'manual', reason: 'the call is not part of a statement' };
  const parent = call.parent!;
  if (parent.type === 'expression_statement' && parent.id === statement.id && parent.namedChildCount === 1) {
    return { kind: 'wrap', statement };
  }
  // `result = bpy.ops.view3d.view_all()` and `return bpy.ops.view3d.view_all()`: the value is what the
  // operator returns when it does not run, `{'CANCELLED'}`.
  if (parent.type === 'return_statement' && parent.id === statement.id) return { kind: 'value', value: call };
  if (
    parent.type === 'assignment' &&
    parent.childForFieldName('right')?.id === call.id &&
    parent.parent?.id === statement.id &&
    statement.type === 'expression_statement' &&
    ['identifier', 'attribute', 'subscript'].includes(parent.childForFieldName('left')?.type ?? '')
  ) {
    return { kind: 'value', value: call };
  }
  return { kind: 'manual', reason: 'its result is used inside a larger expression' };
}

/** True inside `with context.temp_override(...):`. */
export function insideTempOverride(node: SyntaxNode): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'with_statement') {
      const clause = p.namedChildren.find((c) => c.type === 'with_clause');
      if (clause && /\btemp_override\b/.test(clause.text)) return true;
    }
  }
  return false;
}

