// BGS004 context-area-none: `context.area`, `.region`, `.space_data` and `.region_data` dereferenced in code
// that runs without a UI: an operator's `execute()` or `poll()`, app handlers and timers. Headless (a
// `--python` script, a render node) those members are None, so `context.area.type` raises AttributeError.
// The fix adds the None check a careful author writes: `context.area and …` in a condition, or
// `if context.area is not None:` around the statements that use it; anything less clear is reported.
import type { Edit, SyntaxNode, RuleContext } from '../../src/types.js';
import { defineRule } from '../../src/rule.js';
import { nextStatement, wrapRuns } from '../../src/syntax/edits.js';
import { functionAround } from '../../src/syntax/functions.js';
import { identifiersNamed } from '../../src/syntax/names.js';
import { enclosingStatement, isField } from '../../src/syntax/scope.js';
import { behindNoneCheck } from './guards.js';
import { ATTRIBUTE_PATTERN, chainTop, MEMBERS, Members } from './members.js';
import { HeadlessPlaces, type Place } from './places.js';
import { conditionPlan, firstLine, statementPlan, type Plan } from './plans.js';

const ERROR_EXAMPLE = "AttributeError: 'NoneType' object has no attribute 'type'";

export const contextAreaNone = defineRule({
  code: 'BGS004',
  slug: 'context-area-none',
  summary: '`context.area` / `.region` / `.space_data` / `.region_data` used without a None check in an operator\'s execute() or poll(), a handler or a timer',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'Attribute reads through `context.area`, `context.region`, `context.space_data` or `context.region_data` ' +
      '(the context parameter of the method, or `bpy.context`) in code that runs without a UI: an operator\'s ' +
      '`execute()` and `poll()` (a class deriving from `Operator`, named `*_OT_*`, or defining `execute`), functions ' +
      'appended to `bpy.app.handlers.*` or decorated with `@persistent`, and functions given to ' +
      '`bpy.app.timers.register` (also through `functools.partial`). Left alone: `draw`, `modal`, `invoke` and ' +
      '`poll()` of panels, menus and other UI classes (they only run with a UI), and code already behind a check: ' +
      '`if context.area:`, `if context.area is not None:`, `context.area and …`, `if not context.area: return`, ' +
      '`context.area.type == \'X\' and context.space_data…` (the first test already fails without an area), ' +
      '`isinstance(context.space_data, …)`, an `assert`, or a `try` whose `except` catches AttributeError. ' +
      'Module-level code and `register()` are left to BGS003: there `bpy.context` itself is restricted and has no ' +
      '`area` at all (`AttributeError: \'_RestrictContext\' object has no attribute \'area\'`, 3.4.1 and 4.3.2), so a ' +
      'None check would not help. Not found: a member bound to a name first (`area = context.area; area.type`) and ' +
      'helpers that an operator calls with its context.',
    whyItBreaks:
      'Without a window (`blender --background`, a `--python` script, an app handler) the context has a window and a ' +
      'screen but no area: `context.area`, `context.region`, `context.space_data` and `context.region_data` are None ' +
      `(measured in Blender 3.4.1 and 4.3.2, in a \`--python\` script and in \`depsgraph_update_post\`/\`frame_change_post\` handlers). ` +
      `\`context.area.type\` raises \`${ERROR_EXAMPLE}\`. From \`execute()\` the call \`bpy.ops.<op>()\` then raises ` +
      '`RuntimeError: Error: Python: Traceback (most recent call last): … AttributeError: \'NoneType\' object has no ' +
      'attribute \'type\'` in both versions. A `poll()` that raises behaves differently by version: Blender 4.3.2 prints ' +
      'the traceback and treats the poll as failed (`RuntimeError: Operator bpy.ops.<op>.poll() failed, context is ' +
      'incorrect`), while Blender 3.4.1 prints the traceback and runs the operator anyway. A `poll()` that returns ' +
      'None or False is treated as failed in both versions, without a traceback. Timers never fire in background ' +
      'mode (measured); they are included because a timer is not called from an area in the interface either ' +
      '(not measured here: there is no display).',
    example: {
      before: [
        'class VIEW3D_OT_reset_grid(bpy.types.Operator):',
        '    bl_idname = "view3d.reset_grid"',
        '    bl_label = "Reset Grid"',
        '',
        '    @classmethod',
        '    def poll(cls, context):',
        "        return context.area.type == 'VIEW_3D'",
        '',
        '    def execute(self, context):',
        '        context.scene.unit_settings.scale_length = 1.0',
        '        context.area.tag_redraw()',
        "        return {'FINISHED'}",
        '',
      ].join('\n'),
      after: [
        'class VIEW3D_OT_reset_grid(bpy.types.Operator):',
        '    bl_idname = "view3d.reset_grid"',
        '    bl_label = "Reset Grid"',
        '',
        '    @classmethod',
        '    def poll(cls, context):',
        "        return context.area is not None and context.area.type == 'VIEW_3D'",
        '',
        '    def execute(self, context):',
        '        context.scene.unit_settings.scale_length = 1.0',
        '        if context.area is not None:',
        '            context.area.tag_redraw()',
        "        return {'FINISHED'}",
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe: wherever the member exists (every operator run from the interface) the added check is true and the ' +
      'code runs as before; only where it is None, which used to raise, the code is skipped. In a condition the test ' +
      'that reads the member gets `context.area and …` in front (what `poll()` returns gets `context.area is not None ' +
      'and …`, so it stays a bool), which makes it false without an area; a negative test against fixed values ' +
      '(`context.area.type != \'VIEW_3D\'`) gets `context.area is None or …`, which makes it true. Statements that only ' +
      'redraw or relabel the editor or change its own settings (`context.area.tag_redraw()`, ' +
      '`context.space_data.show_gizmo = False`, `context.region_data.view_rotation = q`) go under ' +
      '`if context.area is not None:` (consecutive ones share one block; where a neighbour cannot be skipped, none ' +
      'is wrapped). Reported without a fix: a ' +
      'statement that sets names used later (`width = context.area.width`), a `return`, `with`, `assert` or other ' +
      'statement that cannot simply be skipped, a statement that does work through the editor (`context.space_data.' +
      'node_tree.nodes.clear()`, `image.save_render(...)`: skipping it would silently drop the work), a test under ' +
      '`not` or another comparison whose meaning without an area is unclear (`len(context.area.regions) == 0`), and ' +
      'statements sharing a line with other code. One headless difference: in Blender 3.4.1 a `poll()` that raised ' +
      'let the operator run anyway (after printing the traceback); once fixed, it fails the poll headless, as it ' +
      'already did in 4.3.2.',
  },
  messages: {
    conditionGuard:
      '`{use}` in {where} raises AttributeError when `{member}` is None, as it is in background mode, in scripts and in ' +
      'handlers (`{error}`); the test becomes `{check}`',
    statementGuard:
      '`{use}` in {where} raises AttributeError when `{member}` is None, as it is in background mode, in scripts and in ' +
      'handlers (`{error}`); the statement goes under `if {member} is not None:`',
    manual:
      '`{use}` in {where} raises AttributeError when `{member}` is None, as it is in background mode, in scripts and in ' +
      'handlers (`{error}`). Not fixed automatically because {reason}. By hand: {manual}',
  },
  prefilter: ['.area', '.region', '.space_data'],
  errorPatterns: [new RegExp(`AttributeError: 'NoneType' object has no attribute '${ATTRIBUTE_PATTERN}'`)],

  check(ctx) {
    const hits = unguardedUses(ctx);
    if (hits.length === 0) return;
    const wraps = guardRuns(ctx, hits);
    for (const h of hits) reportUse(ctx, h, wraps);
  },
});

type MessageId = 'conditionGuard' | 'statementGuard' | 'manual';

/** A use of a member in a headless place, with what makes it safe. */
interface Hit {
  /** `context.area.type`: the attribute read through the member. */
  deref: SyntaxNode;
  /** `context.area`: the member itself. */
  base: SyntaxNode;
  place: Place;
  plan: Plan;
  /** The statement to make safe, for a use not in a condition. */
  statement: SyntaxNode | null;
}

/** The uses of a member in the file's headless places that no None check guards yet: one per test and
 *  per statement. */
function unguardedUses(ctx: RuleContext): Hit[] {
  const places = new HeadlessPlaces(ctx);
  const hits: Hit[] = [];
  const seen = new Set<number>();
  for (const { base, bpy, context } of memberUses(ctx)) {
    const deref = base.parent;
    if (!deref || deref.type !== 'attribute' || !isField(deref, 'object', base)) continue;
    const fn = functionAround(base);
    const place = fn ? places.get(fn) : undefined;
    if (!place) continue;
    if (bpy ? bpy.text !== 'bpy' || context.text !== 'context' : context.text !== place.contextName) continue;
    const m = new Members(place.contextName);
    if (behindNoneCheck(deref, place.fn, m)) continue;
    const condition = conditionPlan(deref, base, place, m);
    const plan = condition ?? statementPlan(deref, base, place, m);
    const statement = condition ? null : enclosingStatement(deref);
    const key = plan.kind === 'condition' ? plan.key : statement?.id ?? deref.id;
    if (seen.has(key)) continue;
    seen.add(key);
    hits.push({ deref, base, place, plan, statement });
  }
  return hits;
}

/** The members read as `<name>.area` (any name; the function's context parameter is checked by the caller)
 * or `<name>.<name>.area` (`bpy.context.area`, checked by the caller), in source order: `base` is the
 * attribute `context.area`. Found from the members' names in the text, not by a query over every attribute. */
function memberUses(ctx: RuleContext): Array<{ base: SyntaxNode; bpy: SyntaxNode | null; context: SyntaxNode }> {
  const out: Array<{ base: SyntaxNode; bpy: SyntaxNode | null; context: SyntaxNode }> = [];
  for (const member of identifiersNamed(ctx.tree, ctx.source, [...MEMBERS])) {
    const base = member.parent;
    // The member is the attribute read (not the object: that starts where the attribute does).
    if (base?.type !== 'attribute' || base.startIndex === member.startIndex) continue;
    const object = base.childForFieldName('object');
    if (object?.type === 'identifier') {
      out.push({ base, bpy: null, context: object });
    } else if (object?.type === 'attribute') {
      const bpy = object.childForFieldName('object');
      const context = object.childForFieldName('attribute');
      if (bpy?.type === 'identifier' && context?.type === 'identifier') out.push({ base, bpy, context });
    }
  }
  return out;
}

/**
 * The edits that put each statement to make safe under `if <member> is not None:`, by statement id (null
 * where it shares its line with other code). Runs of consecutive statements that use the same member share
 * one `if`, and where one of them cannot be skipped safely, none is wrapped (a half-guarded run would still
 * fail, and reads worse): their plans become manual.
 */
function guardRuns(ctx: RuleContext, hits: Hit[]): Map<number, Edit[] | null> {
  const byStatement = new Map<number, Hit>();
  for (const h of hits) if (h.statement) byStatement.set(h.statement.id, h);
  const wraps = new Map<number, Edit[] | null>();
  const done = new Set<number>();
  for (const h of [...byStatement.values()].sort((a, b) => a.deref.startIndex - b.deref.startIndex)) {
    if (done.has(h.statement!.id)) continue;
    const member = h.base.text;
    const run = [h];
    for (let n = nextStatement(h.statement!); n && byStatement.get(n.id)?.base.text === member; n = nextStatement(n)) run.push(byStatement.get(n.id)!);
    for (const r of run) done.add(r.statement!.id);
    const blocker = run.find((r) => r.plan.kind === 'manual');
    if (blocker) {
      blockRun(run, blocker, member);
      continue;
    }
    for (const [id, edits] of wrapRuns(ctx, run.map((r) => r.statement!), `${member} is not None`)) wraps.set(id, edits);
  }
  return wraps;
}

/** The statements of a run that could be wrapped are reported with the one (`blocker`) that cannot. */
function blockRun(run: Hit[], blocker: Hit, member: string): void {
  for (const r of run) {
    if (r.plan.kind !== 'statement') continue;
    const line = r.deref.startPosition.row < blocker.deref.startPosition.row ? 'after' : 'before';
    r.plan = {
      kind: 'manual',
      reason: `the statement ${line} it (\`${firstLine(blocker.statement!.text)}\`) needs \`${member}\` too and cannot be skipped safely, so they are best handled together`,
      manual: `put these statements under one \`if ${member} is not None:\` once the other one is settled`,
    };
  }
}

/** The finding for one use: the fix of its plan, or what to do by hand. */
function reportUse(ctx: RuleContext<MessageId>, h: Hit, wraps: Map<number, Edit[] | null>): void {
  // A test inside a statement that goes under `if <member> is not None:` is safe with it.
  if (h.plan.kind === 'condition' && wraps.get(enclosingStatement(h.deref)?.id ?? -1)) return;
  const member = h.base.text;
  const attr = h.deref.childForFieldName('attribute')?.text ?? 'type';
  const data = {
    use: firstLine(chainTop(h.deref).text),
    where: h.place.where,
    member,
    error: `AttributeError: 'NoneType' object has no attribute '${attr}'`,
  };
  if (h.plan.kind === 'condition') {
    ctx.report({
      messageId: 'conditionGuard',
      node: h.deref,
      data: { ...data, check: h.plan.check },
      fix: { safety: 'safe', description: `check \`${member}\` first (\`${h.plan.check}\`)`, edits: h.plan.edits },
    });
    return;
  }
  if (h.plan.kind === 'manual') {
    ctx.report({ messageId: 'manual', node: h.deref, data: { ...data, reason: h.plan.reason, manual: h.plan.manual } });
    return;
  }
  const edits = wraps.get(h.plan.statement.id);
  if (edits) {
    ctx.report({
      messageId: 'statementGuard',
      node: h.deref,
      data,
      fix: { safety: 'safe', description: `wrap in \`if ${member} is not None:\``, edits },
    });
    return;
  }
  ctx.report({
    messageId: 'manual',
    node: h.deref,
    data: {
      ...data,
      reason: 'the statement shares its line with other code, so it cannot be wrapped in a block safely',
      manual: `put the statement on a line of its own under \`if ${member} is not None:\``,
    },
  });
}
