// BGS006 viewport-capture: screenshots (`bpy.ops.screen.screenshot`, `screenshot_area`) and viewport
// renders (`bpy.ops.render.opengl`) need a window and an OpenGL context, which `blender --background` does
// not have. Headless, the scene is rendered with its render engine instead (`bpy.ops.render.render`),
// which works without a window; in the GUI the original call runs unchanged.
import type { Edit, SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';
import { wrapStatements } from '../src/syntax/edits.js';
import { lineIndent, startsLine } from '../src/syntax/source.js';
import { enclosingStatement, isGuarded } from '../src/syntax/scope.js';
import { hasSplat, keywordArgs, positionalArgs } from '../src/syntax/call-arguments.js';
import { editsWithImport, freeName, usedNames } from '../src/syntax/names.js';
import { guiOnlyFunction, hasOverrideArg, mentionsWindowCheck, operatorCalls, type OperatorCall } from '../src/syntax/operator-calls.js';

const SCREENSHOT_ERROR = 'RuntimeError: Operator bpy.ops.screen.screenshot.poll() failed, context is incorrect';
const OPENGL_ERROR = 'RuntimeError: Error: Cannot use OpenGL render in background mode (no opengl context)';

/** `render.opengl` arguments that `render.render` takes with the same meaning. */
const SAME_MEANING = new Set(['write_still', 'animation']);
/** `render.opengl` arguments with no headless equivalent unless they are False. */
const OPENGL_ONLY = new Set(['sequencer', 'render_keyed_only']);

export const viewportCapture = defineRule({
  code: 'BGS006',
  slug: 'viewport-capture',
  summary: 'Screenshots and viewport (OpenGL) renders fail in background mode; render the scene instead',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'Calls of `bpy.ops.screen.screenshot(...)`, `bpy.ops.screen.screenshot_area(...)` and `bpy.ops.render.opengl(...)` ' +
      '(also `ops.…` after `from bpy import ops`) in code that can run headless: operator `execute()` methods, ' +
      'handlers, helper functions, scripts. Left alone: `invoke`, `modal` and draw code (never run headless) and calls ' +
      'behind a check of `bpy.app.background`, of the operator\'s `poll()` or of `context.area`/`space_data`/`region`, or ' +
      'inside a `try` with an `except`. A `with context.temp_override(...)` does not help these calls (measured), so ' +
      'they are reported there too.',
    whyItBreaks:
      'There is no window and no OpenGL context in background mode. Measured with `blender -b --factory-startup` in ' +
      `Blender 3.4.1 and 4.3.2 (same texts): \`screenshot\` raises \`${SCREENSHOT_ERROR}\` (\`screenshot_area\` the same ` +
      'with its own name), also inside `context.temp_override(window=..., area=..., region=...)` of a 3D viewport; ' +
      `\`render.opengl\` prints \`Error: Cannot use OpenGL render in background mode (no opengl context)\` and raises ` +
      `\`${OPENGL_ERROR}\`, with or without an override. \`bpy.ops.render.render(write_still=True)\` works headless: ` +
      'Workbench and EEVEE (the factory default) render through EGL, on a GPU or Mesa\'s software renderer (EEVEE took ' +
      '25 s in 3.4.1 and 50 s in 4.3.2 for a 192×108 image without a GPU; Workbench about 1 s). Blender 4.3.2 needs ' +
      '`libEGL.so.1` for that: without it (Debian\'s `libegl1` not installed) it prints `Couldn\'t open libEGL.so.1` and ' +
      'aborts (exit 134) at the first Workbench or EEVEE render. Cycles renders on the CPU, but Debian\'s builds lack ' +
      'OpenImageDenoise, so a scene with denoising on fails (`RuntimeError: Error: Build without OpenImageDenoiser` in ' +
      '3.4.1, `Error: Failed to denoise, build has no OpenImageDenoise support` in 4.3.2); with denoising off it renders in both ' +
      'versions without a GPU or EGL.',
    example: {
      before: [
        'class RENDER_OT_snapshot(bpy.types.Operator):',
        '    bl_idname = "render.snapshot"',
        '    bl_label = "Snapshot"',
        '',
        '    filepath: bpy.props.StringProperty(subtype="FILE_PATH")',
        '',
        '    def execute(self, context):',
        '        bpy.ops.screen.screenshot(filepath=self.filepath)',
        '        return {"FINISHED"}',
        '',
      ].join('\n'),
      after: [
        'class RENDER_OT_snapshot(bpy.types.Operator):',
        '    bl_idname = "render.snapshot"',
        '    bl_label = "Snapshot"',
        '',
        '    filepath: bpy.props.StringProperty(subtype="FILE_PATH")',
        '',
        '    def execute(self, context):',
        '        if bpy.app.background:',
        '            render = bpy.context.scene.render',
        '            saved_filepath = render.filepath',
        '            render.filepath = self.filepath',
        '            try:',
        '                bpy.ops.render.render(write_still=True)',
        '            finally:',
        '                render.filepath = saved_filepath',
        '        else:',
        '            bpy.ops.screen.screenshot(filepath=self.filepath)',
        '        return {"FINISHED"}',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe: in the GUI `bpy.app.background` is False and the original call runs unchanged. Headless, where the call ' +
      'raised RuntimeError, the scene is rendered from its camera with its render engine instead, so the image shows ' +
      'the final render rather than the viewport or the window (that is the only picture there is headless). ' +
      '`render.opengl(...)` becomes `bpy.ops.render.render(...)` with the same `write_still` and `animation` (both write ' +
      'to `scene.render.filepath` in the scene\'s format; `view_context` is dropped: headless there is no view); an ' +
      'assigned or returned result becomes `… = bpy.ops.render.render(...) if bpy.app.background else ' +
      'bpy.ops.render.opengl(...)`. `screenshot(filepath=X)` / `screenshot_area(filepath=X)` become: set ' +
      '`bpy.context.scene.render.filepath` to X, `bpy.ops.render.render(write_still=True)`, and put the old path back ' +
      'in a `finally:`. The image format is left as the scene has it: the screenshot operators have no format of their ' +
      'own and write `scene.render.image_settings` too. New variable names avoid every name the file uses. Reported ' +
      'without a fix: a screenshot without `filepath=`, `render.opengl(sequencer=True)` or `render_keyed_only=True` ' +
      '(no headless equivalent), `*args`/`**kwargs`, a context override argument, a multi-line `filepath`, a ' +
      'screenshot whose result is used, and a statement sharing its line with other code. A scene without a camera ' +
      'makes `render.render` fail too (`RuntimeError: Error: Cannot render, no camera`): the add-on must then add one.',
  },
  messages: {
    opengl:
      `\`{call}\` needs an OpenGL context, which background mode does not have: it raises \`${OPENGL_ERROR}\` ` +
      '(Blender 3.4.1 and 4.3.2); {fix}, and in the GUI the call is unchanged',
    screenshot:
      '`{call}` needs a window, which background mode does not have: it raises `RuntimeError: Operator {call}.poll() ' +
      'failed, context is incorrect` (Blender 3.4.1 and 4.3.2); {fix}, and in the GUI the call is unchanged',
    captureNoFix:
      '`{call}` needs {needs}, which background mode does not have, so it raises RuntimeError headless (Blender 3.4.1 ' +
      'and 4.3.2). No automatic fix because {reason}. By hand: under `if bpy.app.background:` set ' +
      '`bpy.context.scene.render.filepath` to the output file and call `bpy.ops.render.render(write_still=True)` ' +
      '(put the old path back afterwards), and keep this call in the `else:` branch',
  },
  prefilter: ['screenshot', 'opengl'],
  errorPatterns: [
    /Operator bpy\.ops\.screen\.screenshot(_area)?\.poll\(\) failed, context is incorrect/,
    /Cannot use OpenGL render in background mode/,
  ],

  check(ctx) {
    for (const op of operatorCalls(ctx, new Set(['screen', 'render']))) {
      if (!isCapture(op)) continue;
      if (guiOnlyFunction(op.call) || isGuarded(op.call, mentionsWindowCheck)) continue;
      const call = op.callee;
      const ops = call.startsWith('bpy.') ? 'bpy.ops' : 'ops';
      const plan = hasOverrideArg(op.args) ? { reason: 'the call passes a context override' } : planFor(ctx, op, ops);
      if ('reason' in plan) {
        const needs = op.name === 'opengl' ? 'an OpenGL context' : 'a window';
        ctx.report({ messageId: 'captureNoFix', node: op.call, data: { call, needs, reason: plan.reason } });
        continue;
      }
      ctx.report({
        messageId: op.name === 'opengl' ? 'opengl' : 'screenshot',
        node: op.call,
        data: { call, fix: plan.fix },
        fix: {
          safety: 'safe',
          description: 'render the scene with `bpy.ops.render.render` in background mode',
          edits: editsWithImport(ctx, 'bpy', plan.edits),
        },
      });
    }
  },
});

type Plan = { edits: Edit[]; fix: string } | { reason: string };

/** `screen.screenshot`, `screen.screenshot_area` or `render.opengl`. */
function isCapture(op: OperatorCall): boolean {
  return (op.group === 'screen' && (op.name === 'screenshot' || op.name === 'screenshot_area')) ||
    (op.group === 'render' && op.name === 'opengl');
}

/** The `render.render(...)` call that does headlessly what this `render.opengl(...)` call does, or a reason. */
function renderCallFor(op: OperatorCall, ops: string): { text: string } | { reason: string } {
  if (hasSplat(op.args)) return { reason: 'the call passes `*args`/`**kwargs`, so its arguments are not known' };
  const positional = positionalArgs(op.args);
  if (positional.some((p) => p.type !== 'string')) return { reason: 'the call passes a context override' };
  const kept: string[] = [];
  for (const [name, value] of keywordArgs(op.args)) {
    if (SAME_MEANING.has(name)) {
      if (value.endPosition.row !== value.startPosition.row) return { reason: `its \`${name}\` argument spans several lines` };
      kept.push(`${name}=${value.text}`);
    } else if (OPENGL_ONLY.has(name) && value.type !== 'false') {
      return { reason: `\`${name}=\` has no equivalent in \`bpy.ops.render.render\`` };
    }
  }
  return { text: `${ops}.render.render(${kept.join(', ')})` };
}

/** `if bpy.app.background:` + the headless lines, `else:` + the original statement (re-indented). */
function ifElse(ctx: RuleContext, statement: SyntaxNode, headless: (unit: string) => string[]): Edit[] | null {
  if (!startsLine(ctx.source, statement.startIndex)) return null;
  const edits = wrapStatements(ctx, statement, statement, 'bpy.app.background');
  if (!edits) return null;
  const indent = lineIndent(ctx.source, statement.startIndex);
  const unit = indent.length > 0 && /^\t+$/.test(indent) ? '\t' : ctx.indentUnit;
  const nl = ctx.newline;
  const head = edits.find((e) => e.start === statement.startIndex && e.end === e.start);
  if (!head) return null;
  head.text =
    `if bpy.app.background:${nl}` +
    headless(unit).map((line) => `${indent}${unit}${line}`).join(nl) +
    `${nl}${indent}else:${nl}${indent}${unit}`;
  return edits;
}

/** The fix of one capture call (its edits and, for the message, what it does headless), or why there is none. */
function planFor(ctx: RuleContext, op: OperatorCall, ops: string): Plan {
  const statement = enclosingStatement(op.call);
  if (!statement) return { reason: 'the call is not part of a statement' };
  const parent = op.call.parent!;
  const alone = parent.type === 'expression_statement' && parent.id === statement.id && parent.namedChildCount === 1;

  if (op.name === 'opengl') {
    const render = renderCallFor(op, ops);
    if ('reason' in render) return render;
    if (alone) {
      const edits = ifElse(ctx, statement, () => [render.text]);
      if (!edits) return { reason: 'the statement shares its line with other code' };
      return { edits, fix: `in background mode \`${render.text}\` runs instead` };
    }
    // `result = bpy.ops.render.opengl(...)` / `return bpy.ops.render.opengl(...)`: one conditional expression.
    const valueOf =
      (parent.type === 'return_statement' && parent.id === statement.id) ||
      (parent.type === 'assignment' && parent.childForFieldName('right')?.id === op.call.id && parent.parent?.id === statement.id);
    if (valueOf) {
      return {
        edits: [{ start: op.call.startIndex, end: op.call.startIndex, text: `${render.text} if bpy.app.background else ` }],
        fix: `in background mode the value comes from \`${render.text}\``,
      };
    }
    return { reason: 'its result is used inside a larger expression' };
  }

  // Screenshots: render the scene camera into the screenshot's file (the screenshot, too, writes the scene's
  // output format, `scene.render.image_settings`), and put the scene's output path back afterwards.
  if (hasSplat(op.args)) return { reason: 'the call passes `*args`/`**kwargs`, so its file path is not known' };
  if (positionalArgs(op.args).some((p) => p.type !== 'string')) return { reason: 'the call passes a context override' };
  const filepath = keywordArgs(op.args).get('filepath');
  if (!filepath) return { reason: 'it has no `filepath=`, so there is no file to render into' };
  if (filepath.endPosition.row !== filepath.startPosition.row) return { reason: 'its `filepath` argument spans several lines' };
  if (!alone) return { reason: 'its result is used inside a larger expression' };
  const taken = usedNames(ctx);
  const settings = freeName('render_settings', taken, { prefer: ['render'] });
  const saved = freeName('previous_filepath', taken, { prefer: ['saved_filepath'] });
  const edits = ifElse(ctx, statement, (unit) => [
    `${settings} = bpy.context.scene.render`,
    `${saved} = ${settings}.filepath`,
    `${settings}.filepath = ${filepath.text}`,
    'try:',
    `${unit}${ops}.render.render(write_still=True)`,
    'finally:',
    `${unit}${settings}.filepath = ${saved}`,
  ]);
  if (!edits) return { reason: 'the statement shares its line with other code' };
  return { edits, fix: 'in background mode the scene is rendered into that file instead (`bpy.ops.render.render(write_still=True)`)' };
}
