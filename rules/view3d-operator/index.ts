// BGS007 view3d-operator: `bpy.ops.view3d.*` calls need a 3D viewport, which `blender --background` does
// not have, so their poll() fails and the call raises RuntimeError. Calls that only move the viewport are
// skipped headless; calls that change data (the camera, the 3D cursor, the selection) are reported, since
// skipping them would silently give a different result.
import type { Edit, Fix, RuleContext } from '../../src/types.js';
import { defineRule } from '../../src/rule.js';
import { wrapRuns } from '../../src/syntax/edits.js';
import { editsWithImport } from '../../src/syntax/names.js';
import { isGuarded } from '../../src/syntax/scope.js';
import { guiOnlyFunction, hasOverrideArg, mentionsWindowCheck, operatorCalls, type OperatorCall } from '../../src/syntax/operator-calls.js';
import { insideTempOverride, planFor, why, type Plan } from './calls.js';
import { quoteStyle } from '../../src/syntax/source.js';

const CONDITION = 'not bpy.app.background';

/** Operators that only change the viewport (its view, zoom, shading, local view): nothing to do headless.
 *  Every one fails its poll() in `blender -b` (measured in 3.4.1, 4.3.2 and 5.2.2). */
const VIEW_ONLY = new Set([
  'view_all', 'view_selected', 'view_axis', 'view_camera', 'view_center_camera', 'view_center_cursor',
  'view_center_lock', 'view_center_pick', 'view_lock_clear', 'view_lock_to_active', 'view_orbit', 'view_pan',
  'view_persportho', 'view_roll', 'zoom', 'zoom_border', 'zoom_camera_1_to_1', 'dolly', 'smoothview',
  'localview', 'localview_remove_from', 'toggle_shading', 'toggle_xray', 'navigate', 'fly', 'walk', 'rotate',
  'move', 'ndof_all', 'ndof_orbit', 'ndof_orbit_zoom', 'ndof_pan', 'clip_border',
]);

/** Operators that change data and fail headless: skipping them would change the result, so report only.
 *  (`camera_to_view_selected`, `copybuffer`, `pastebuffer` and a few menus pass their poll() headless.) */
const CHANGES_DATA: Record<string, string> = {
  camera_to_view: 'camera',
  object_as_camera: 'camera',
  snap_cursor_to_active: 'snap',
  snap_cursor_to_center: 'snap',
  snap_cursor_to_grid: 'snap',
  snap_cursor_to_selected: 'snap',
  snap_selected_to_active: 'snap',
  snap_selected_to_cursor: 'snap',
  snap_selected_to_grid: 'snap',
  cursor3d: 'snap',
  select: 'select',
  select_box: 'select',
  select_circle: 'select',
  select_lasso: 'select',
  render_border: 'border',
  clear_render_border: 'border',
  background_image_add: 'other',
  background_image_remove: 'other',
  camera_background_image_add: 'other',
  camera_background_image_remove: 'other',
  edit_mesh_extrude_individual_move: 'other',
  edit_mesh_extrude_manifold_normal: 'other',
  edit_mesh_extrude_move_normal: 'other',
  edit_mesh_extrude_move_shrink_fatten: 'other',
  object_mode_pie_or_toggle: 'other',
  ruler_add: 'other',
  ruler_remove: 'other',
  transform_gizmo_set: 'other',
};

const BY_HAND: Record<string, string> = {
  camera:
    'set `scene.camera` and its `location` and `rotation_euler` directly (or call ' +
    '`bpy.ops.view3d.camera_to_view_selected()`, which works headless)',
  snap: 'set `scene.cursor.location` or the objects\' `location` directly',
  select: 'select with `obj.select_set(True)` (mesh elements through `bmesh` or their `select` property)',
  border: 'set `scene.render.use_border` and `border_min_x`/`border_max_x`/`border_min_y`/`border_max_y` directly',
  other: 'do the same on the data directly',
};

export const view3dOperator = defineRule({
  code: 'BGS007',
  slug: 'view3d-operator',
  summary: '`bpy.ops.view3d.*` operators fail their poll() in background mode: there is no 3D viewport',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'Calls of Blender\'s own `bpy.ops.view3d.*` operators (also `ops.view3d.*` after `from bpy import ops`) in code ' +
      'that can run headless: operator `execute()` methods, handlers, helper functions, `register()` and module level. ' +
      'Operators that only change the viewport (`view_all`, `view_selected`, `view_camera`, `view_axis`, `zoom_border`, ' +
      '`localview`, `toggle_shading`, `toggle_xray`, ...) get a fix; those that change data (`camera_to_view`, ' +
      '`object_as_camera`, `snap_cursor_to_selected` and the other `snap_*`, `cursor3d`, `select_box` and the other ' +
      '`select*`, `render_border`, ...) are reported with what to do by hand. Left alone: `invoke`, `modal` and draw ' +
      'code (never run headless), calls inside `with context.temp_override(...)` or with an override argument ' +
      '(`bpy.ops.view3d.view_all(override)`) — with a window they can reach the 3D viewport even headless —, calls behind a check of ' +
      '`bpy.app.background`, of the operator\'s `poll()` or of `context.area`/`space_data`/`region`, calls inside a ' +
      '`try` with an `except`, operators that pass their poll() headless (`camera_to_view_selected`, `copybuffer`, ' +
      '`pastebuffer`) and operators the add-on defines itself under `view3d.` (any name Blender does not have).',
    whyItBreaks:
      'Measured with `blender -b --factory-startup` in Blender 3.4.1, 4.3.2 and 5.2.2: `view_selected`, `view_all`, ' +
      '`zoom_border` and `select_box` raise `RuntimeError: Operator bpy.ops.view3d.view_selected.poll() expected a view3d ' +
      'region` (5.2.2: `… poll() Expected a view3d region`); `view_camera`, `view_axis`, `camera_to_view`, `localview`, `toggle_shading` and the `snap_*` operators raise ' +
      '`RuntimeError: Operator bpy.ops.view3d.view_camera.poll() failed, context is incorrect` (`\'INVOKE_DEFAULT\'` ' +
      'changes nothing). An operator whose `execute()` makes such a call fails headless, and so does the script that ' +
      'called it. With an explicit override of a 3D viewport area and region found in `context.screen.areas` the ' +
      'calls do work headless when Blender has a window (`--factory-startup` or a file saved with its UI): ' +
      '`with context.temp_override(area=area, region=region): bpy.ops.view3d.view_selected()` returns `{\'FINISHED\'}` in ' +
      'both versions (an override dict only in 3.4.1: 4.3.2 raises `ValueError: 1-2 args execution context is supported`). ' +
      '`camera_to_view_selected` works headless without any override.',
    example: {
      before: [
        'class OBJECT_OT_add_marker(bpy.types.Operator):',
        '    bl_idname = "object.add_marker"',
        '    bl_label = "Add Marker"',
        '',
        '    def execute(self, context):',
        '        bpy.ops.object.empty_add(type="SPHERE")',
        '        bpy.ops.view3d.view_selected()',
        '        return {"FINISHED"}',
        '',
      ].join('\n'),
      after: [
        'class OBJECT_OT_add_marker(bpy.types.Operator):',
        '    bl_idname = "object.add_marker"',
        '    bl_label = "Add Marker"',
        '',
        '    def execute(self, context):',
        '        bpy.ops.object.empty_add(type="SPHERE")',
        '        if not bpy.app.background:',
        '            bpy.ops.view3d.view_selected()',
        '        return {"FINISHED"}',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe: in the GUI `bpy.app.background` is False and the call runs as before. Headless, a viewport-only operator ' +
      'has nothing to act on, so it is skipped (consecutive calls share one `if not bpy.app.background:`); where its ' +
      'result is assigned or returned, the value becomes `{\'CANCELLED\'}` headless (`x = bpy.ops.view3d.view_all() if ' +
      'not bpy.app.background else {\'CANCELLED\'}`), what an operator that did not run returns. `view_camera` can also ' +
      'make a camera the scene camera when the scene has none: its message says to set `scene.camera` where a render ' +
      'follows. Operators that change data are report-only: skipping them headless would give a different result ' +
      '(a camera in the wrong place, objects not moved), so the message says how to do the same on the data. A call ' +
      'used inside a larger expression or sharing its line with other statements is reported without a fix.',
  },
  messages: {
    viewOperator:
      '`{call}` only changes the 3D viewport, and {why}; the call is skipped in background mode ({fix})',
    viewCamera:
      '`{call}` only changes the 3D viewport (it looks through the camera), and {why}; the call is skipped in ' +
      'background mode ({fix}). If the scene has no camera yet and something renders later, set `scene.camera` ' +
      '(and its `location` and `rotation_euler`) yourself: in the GUI this call can pick the scene camera',
    viewOperatorNoFix:
      '`{call}` only changes the 3D viewport, and {why}. No automatic fix because {reason}. By hand: put the call in a ' +
      'statement of its own under `if not bpy.app.background:`',
    changesData:
      '`{call}` changes data, and {why}. Skipping it headless would give a different result, so it is not fixed ' +
      'automatically. By hand: {manual}, and keep this call for the GUI under `if not bpy.app.background:`',
  },
  // `bpy.ops.view3d.x(…)` and `ops.view3d.x(…)` (after `from bpy import ops`), written without spaces.
  prefilter: ['ops.view3d'],
  errorPatterns: [/Operator bpy\.ops\.view3d\.\w+\.poll\(\) ([Ee]xpected a view3d region|failed, context is incorrect)/],

  check(ctx) {
    const hits = viewportCalls(ctx);
    if (hits.length === 0) return;
    const fixes = wrapFixes(ctx, hits);
    const q = quoteStyle(ctx);
    for (const hit of hits) reportCall(ctx, hit, fixes, q);
  },
});

interface Hit {
  op: OperatorCall;
  /** How to skip it headless; null for operators that change data (report only). */
  plan: Plan | null;
}

/** The file's calls of Blender's `view3d` operators that can run headless. */
function viewportCalls(ctx: RuleContext): Hit[] {
  const hits: Hit[] = [];
  for (const op of operatorCalls(ctx, new Set(['view3d']))) {
    if (!VIEW_ONLY.has(op.name) && !(op.name in CHANGES_DATA)) continue;
    if (guiOnlyFunction(op.call) || insideTempOverride(op.call) || hasOverrideArg(op.args)) continue;
    if (isGuarded(op.call, mentionsWindowCheck)) continue;
    hits.push({ op, plan: VIEW_ONLY.has(op.name) ? planFor(op.call) : null });
  }
  return hits;
}

/** A safe fix with these edits, plus `import bpy` where the file lacks it. */
function makeFix(ctx: RuleContext, edits: Edit[], description: string): Fix {
  return { safety: 'safe', description, edits: editsWithImport(ctx, 'bpy', edits) };
}

/** The fix of each statement to wrap, by statement id (consecutive statements share one `if`, and one
 *  fix); statements that cannot be wrapped have none. */
function wrapFixes(ctx: RuleContext, hits: Hit[]): Map<number, Fix> {
  const fixes = new Map<number, Fix>();
  const toWrap = hits.flatMap((h) => (h.plan?.kind === 'wrap' ? [h.plan.statement] : []));
  const byEdits = new Map<Edit[], Fix>();
  for (const [id, edits] of wrapRuns(ctx, toWrap, CONDITION)) {
    if (!edits) continue;
    let fix = byEdits.get(edits);
    if (!fix) byEdits.set(edits, (fix = makeFix(ctx, edits, 'wrap in `if not bpy.app.background:`')));
    fixes.set(id, fix);
  }
  return fixes;
}

/** The finding for one call: report only for operators that change data, else the fix of its plan. */
function reportCall(ctx: RuleContext<'changesData' | 'viewCamera' | 'viewOperator' | 'viewOperatorNoFix'>, { op, plan }: Hit, fixes: Map<number, Fix>, q: string): void {
  const data = { call: op.callee, why: why(op.name) };
  if (!plan) {
    ctx.report({ messageId: 'changesData', node: op.call, data: { ...data, manual: BY_HAND[CHANGES_DATA[op.name]] } });
    return;
  }
  const messageId = op.name === 'view_camera' ? 'viewCamera' : 'viewOperator';
  if (plan.kind === 'value') {
    const cancelled = `{${q}CANCELLED${q}}`;
    const edits = [{ start: plan.value.endIndex, end: plan.value.endIndex, text: ` if ${CONDITION} else ${cancelled}` }];
    ctx.report({
      messageId,
      node: op.call,
      data: { ...data, fix: `its value is \`${cancelled}\` headless` },
      fix: makeFix(ctx, edits, `use \`${cancelled}\` in background mode`),
    });
    return;
  }
  const fix = plan.kind === 'wrap' ? fixes.get(plan.statement.id) : undefined;
  if (!fix) {
    const reason = plan.kind === 'manual' ? plan.reason : 'the statement shares its line with other code';
    ctx.report({ messageId: 'viewOperatorNoFix', node: op.call, data: { ...data, reason } });
    return;
  }
  ctx.report({ messageId, node: op.call, data: { ...data, fix: 'wrapped in `if not bpy.app.background:`' }, fix });
}
