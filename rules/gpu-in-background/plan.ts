// BGS001's fixes: how one statement is made safe (its value becomes None headless, or it is wrapped in
// `if not bpy.app.background:`, or it is reported with what to do by hand).
import type { Edit, Fix, RuleContext, SyntaxNode } from '../../src/types.js';
import { guardValue, withImport, wrapRuns } from '../../src/syntax/edits.js';
import { assignmentTargets } from '../../src/syntax/names.js';

export const CONDITION = 'not bpy.app.background';

const PATTERN_TARGETS = new Set(['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list']);

/** How one statement is made safe. */
export type Plan =
  | { kind: 'value'; value: SyntaxNode; fix: string }
  | { kind: 'wrap' }
  | { kind: 'manual'; reason: string; manual: string };

export const FIX_ASSIGN = 'the assigned value becomes `None` in background mode (`… if not bpy.app.background else None`), as Blender\'s own add-ons do';
export const FIX_RETURN = 'the returned value becomes `None` in background mode (`return … if not bpy.app.background else None`)';
export const FIX_WRAP = 'the statement is wrapped in `if not bpy.app.background:`';
export const MANUAL_WRAP = 'put the statement on a line of its own and wrap it in `if not bpy.app.background:`, or create the object lazily in the draw callback that uses it';

export function planFor(statement: SyntaxNode, call: SyntaxNode): Plan {
  const within = (outer: SyntaxNode): boolean => call.startIndex >= outer.startIndex && call.endIndex <= outer.endIndex;
  if (['function_definition', 'class_definition', 'decorated_definition'].includes(statement.type)) {
    return {
      kind: 'manual',
      reason: 'the call is part of a definition (a decorator, a default value or a base class), which cannot be skipped without losing the definition',
      manual: 'move the call out of the definition into code that runs only with a GPU (the draw callback), or create the value with `… if not bpy.app.background else None` in a statement of its own',
    };
  }
  if (statement.type === 'return_statement') {
    const value = statement.firstNamedChild;
    if (value && within(value)) return { kind: 'value', value, fix: FIX_RETURN };
    return { kind: 'wrap' };
  }
  if (statement.type === 'expression_statement' && statement.namedChildCount === 1 && statement.firstNamedChild!.type === 'assignment') {
    // `a = b = value` and `a: T = value`: every target must be able to take None.
    const { targets, value } = assignmentTargets(statement.firstNamedChild!);
    if (!value || !within(value)) return { kind: 'wrap' };
    if (targets.some((t) => PATTERN_TARGETS.has(t.type))) {
      return {
        kind: 'manual',
        reason: 'the value is unpacked into several names, so it cannot simply become `None`',
        manual: 'wrap the statement in `if not bpy.app.background:` and bind each name to `None` in an `else:` branch, or create the objects lazily in the draw callback that uses them',
      };
    }
    if (value.type === 'yield' || value.type === 'expression_list') return { kind: 'wrap' };
    return { kind: 'value', value, fix: FIX_ASSIGN };
  }
  return { kind: 'wrap' };
}

export interface Hit {
  call: SyntaxNode;
  statement: SyntaxNode;
  kind: 'gpuCall' | 'gpuObjectUse';
  data: Record<string, string>;
}

/** One plan per statement, and the fix of each statement that has one; consecutive statements to wrap
 *  share one `if`, and `import bpy` is added where the file lacks it. */
export function planFixes(ctx: RuleContext, hits: Hit[]): { plans: Map<number, Plan>; fixes: Map<number, Fix> } {
    const plans = new Map<number, Plan>();
    const statements = new Map<number, SyntaxNode>();
    for (const h of hits) {
      statements.set(h.statement.id, h.statement);
      const plan = planFor(h.statement, h.call);
      const prev = plans.get(h.statement.id);
      // Two calls in one statement: a value guard covers both only when both are in the value.
      if (!prev || (prev.kind === 'value' && plan.kind !== 'value') || plan.kind === 'manual') plans.set(h.statement.id, plan);
    }
    const fixes = new Map<number, Fix>();
    const makeFix = (edits: Edit[], description: string): Fix => ({ safety: 'safe', description, edits: withImport(ctx, 'bpy', edits) });
    const toWrap = [...statements.values()].filter((s) => plans.get(s.id)!.kind === 'wrap');
    const wrapFixes = new Map<Edit[], Fix>();
    for (const [id, edits] of wrapRuns(ctx, toWrap, CONDITION)) {
      if (edits) {
        let fix = wrapFixes.get(edits);
        if (!fix) wrapFixes.set(edits, (fix = makeFix(edits, 'wrap in `if not bpy.app.background:`')));
        fixes.set(id, fix);
      } else {
        plans.set(id, {
          kind: 'manual',
          reason: 'the statement shares its line with other code, so it cannot be wrapped in a block safely',
          manual: MANUAL_WRAP,
        });
      }
    }
    for (const s of statements.values()) {
      const plan = plans.get(s.id)!;
      if (plan.kind === 'value') fixes.set(s.id, makeFix(guardValue(plan.value, CONDITION), 'make the value `None` in background mode'));
    }

  return { plans, fixes };
}
