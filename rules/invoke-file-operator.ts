// BGS008 invoke-file-operator: `bpy.ops.wm.open_mainfile` / `save_mainfile` / `save_as_mainfile` called with
// 'INVOKE_DEFAULT' and no `filepath`, and `bpy.ops.render.view_show('INVOKE_DEFAULT')`, in code that runs in
// `blender --background`. The call counts on the operator's invoke() (the file browser, the render window),
// which background mode never runs. The file operators are reported only: which file to open or where to
// save is the author's call. view_show does nothing headless, so it goes under `if not bpy.app.background:`
// (hygiene). With a `filepath` the calls work headless (measured), so they are left alone.
import type { RuleContext, SyntaxNode } from '../src/types.js';
import { queryMatches } from '../src/parse.js';
import { defineRule } from '../src/rule.js';
import { hasSplat, keywordArgs, positionalArgs } from '../src/syntax/call-arguments.js';
import { wrapStatements } from '../src/syntax/edits.js';
import { importEdit, methodCallsNamed, stringValue } from '../src/syntax/names.js';
import { enclosingFunction, isGuarded, mentionsBackground } from '../src/syntax/scope.js';
import { whereItRuns } from '../src/syntax/where-it-runs.js';

const CALL_QUERY = `(
  (call
    function: (attribute) @callee
    arguments: (argument_list) @args) @call
  (#match? @callee "(^|[.])ops[.](wm[.](open_mainfile|save_mainfile|save_as_mainfile)|render[.]view_show)$"))`;

const OPEN_ERROR_34 = "RuntimeError: Error: Cannot read file '': No such file or directory";
const OPEN_ERROR_43 = 'RuntimeError: Error: File format is not supported in file "<the current directory>"';
const SAVE_ERROR = 'RuntimeError: Error: Unable to save an unsaved file with an empty or unset "filepath" property';
/** `bpy.data.filepath`, `bpy.data.is_saved` and the like: true only for a file saved before. */
const SAVED = /^(\w+\.)*(filepath|is_saved)$/;
const VIEW_SHOW_LOG = "wm_operator_invoke: invalid operator call 'RENDER_OT_view_show'";

export const invokeFileOperator = defineRule({
  code: 'BGS008',
  slug: 'invoke-file-operator',
  summary: "File operators called with 'INVOKE_DEFAULT' and no path, and render.view_show, count on an invoke() that background mode never runs",
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      "`bpy.ops.wm.open_mainfile`, `bpy.ops.wm.save_mainfile` and `bpy.ops.wm.save_as_mainfile` called with " +
      "'INVOKE_DEFAULT' (or another 'INVOKE_…' context) and no `filepath`, and `bpy.ops.render.view_show('INVOKE_DEFAULT')`, " +
      'in code that can run in background mode (module level, `register()`, `execute()`, handlers, helpers). ' +
      'Left alone: calls that pass a `filepath` (they work headless, see below) or `**kwargs` that may hold one; ' +
      'calls in `invoke()`, `modal()`, draw code, lambdas and functions taking an `event` (none of them runs ' +
      'headless); calls behind a check of `bpy.app.background`, inside a try/except, and saves behind a check of ' +
      '`bpy.data.filepath` / `is_saved`.',
    whyItBreaks:
      "In background mode `bpy.ops.x.y('INVOKE_DEFAULT')` never calls the operator's invoke(), which is where the " +
      'file browser (or the render window) would open: execute() runs with the properties as given. Measured with ' +
      '`blender -b --factory-startup`: `open_mainfile(\'INVOKE_DEFAULT\')` with no path raises ' +
      `\`${OPEN_ERROR_34}\` in Blender 3.4.1 and \`${OPEN_ERROR_43}\` in 4.3.2 and 5.2.2. ` +
      "`save_mainfile('INVOKE_DEFAULT')` and `save_as_mainfile('INVOKE_DEFAULT')` on a file never saved raise " +
      `\`${SAVE_ERROR}\` in all three; on a file already saved both save in place without asking (for save-as, the ` +
      "GUI would have asked where). `render.view_show('INVOKE_DEFAULT')` does nothing: Blender logs " +
      `\`${VIEW_SHOW_LOG}\` and the call returns \`{'PASS_THROUGH'}\` (no error; Blender 3.4.1 and 4.3.2; 5.2.2 logs \`ERROR Invalid operator call 'RENDER_OT_view_show'\`). ` +
      "With a `filepath` all of these work headless in all three versions: `open_mainfile('INVOKE_DEFAULT', filepath=p)` " +
      'opens `p`, the saves write to it, so such calls are not reported.',
    example: {
      before: [
        'class FILE_OT_save_and_export(bpy.types.Operator):',
        '    bl_idname = "file.save_and_export"',
        '    bl_label = "Save and Export"',
        '',
        '    def execute(self, context):',
        "        bpy.ops.wm.save_mainfile('INVOKE_DEFAULT')",
        '        export_all(context)',
        "        return {'FINISHED'}",
        '',
      ].join('\n'),
      after: [
        'class FILE_OT_save_and_export(bpy.types.Operator):',
        '    bl_idname = "file.save_and_export"',
        '    bl_label = "Save and Export"',
        '',
        '    def execute(self, context):',
        '        if bpy.app.background and not bpy.data.filepath:',
        '            self.report({\'ERROR\'}, "Save the .blend file first: bpy.ops.wm.save_as_mainfile(filepath=...)")',
        "            return {'CANCELLED'}",
        "        bpy.ops.wm.save_mainfile('INVOKE_DEFAULT')",
        '        export_all(context)',
        "        return {'FINISHED'}",
        '',
      ].join('\n'),
    },
    fixSafety:
      "Safe, and only for `render.view_show('INVOKE_DEFAULT')`: it goes under `if not bpy.app.background:` " +
      '(hygiene: headless it did nothing but log an error; in the GUI it runs as before). The file operators ' +
      'are report only (the example\'s "after" is one manual fix): headless there is no one to ask, and which file ' +
      'to open, or where to save a file never saved, is the author\'s decision. Calls that already pass a ' +
      "`filepath` are not rewritten to 'EXEC_DEFAULT': they work headless as they are, and in the GUI " +
      "'EXEC_DEFAULT' would skip the operator's invoke() (the file browser of save-as, the prompt to save " +
      "unsaved changes before open), which changes what the add-on does there.",
  },
  messages: {
    openNoPath:
      "`{call}` {where} leaves the choice of file to the file browser, which background mode never opens: the " +
      `operator runs without a path and raises \`${OPEN_ERROR_34}\` (Blender 3.4.1; 4.3.2 and 5.2.2: \`${OPEN_ERROR_43}\`). ` +
      'By hand: pass the file to open as `filepath=...` when `bpy.app.background` is true (e.g. from the ' +
      "script's arguments after `--`), and keep the file browser for the GUI.",
    saveNoPath:
      "`{call}` {where} leaves the path of a file never saved to the file browser, which background mode never " +
      `opens: on such a file it raises \`${SAVE_ERROR}\` (Blender 3.4.1, 4.3.2 and 5.2.2). By hand: when ` +
      '`not bpy.data.filepath`, pass `filepath=...` (a path of your choosing), or skip the save.',
    saveAsNoPath:
      "`{call}` {where} leaves the path to the file browser, which background mode never opens: a file already " +
      `saved is saved over in place without asking, a file never saved raises \`${SAVE_ERROR}\` (Blender 3.4.1, ` +
      "4.3.2 and 5.2.2). By hand: when `bpy.app.background` is true, pass `filepath=...` (a path of your choosing).",
    viewShow:
      `\`{call}\` {where} opens the render window, which background mode does not have: Blender logs \`${VIEW_SHOW_LOG}\` ` +
      "and the call does nothing (returns `{'PASS_THROUGH'}`, no error; Blender 3.4.1, 4.3.2 and 5.2.2). Fix (hygiene, " +
      'not a crash fix): the call goes under `if not bpy.app.background:`. Where the image is wanted headless, ' +
      "save it (`bpy.data.images['Render Result'].save_render(filepath=...)` after the render).",
    viewShowManual:
      `\`{call}\` {where} opens the render window, which background mode does not have: Blender logs \`${VIEW_SHOW_LOG}\` ` +
      "and the call does nothing (returns `{'PASS_THROUGH'}`, no error; Blender 3.4.1, 4.3.2 and 5.2.2). Not fixed " +
      'automatically because its result is used or it shares its line with other code. By hand: skip it with ' +
      "`if not bpy.app.background:`, and where the image is wanted headless save it " +
      "(`bpy.data.images['Render Result'].save_render(filepath=...)` after the render).",
  },
  prefilter: ['open_mainfile', 'save_mainfile', 'save_as_mainfile', 'view_show'],
  errorPatterns: [
    /RuntimeError: Error: Cannot read file '': No such file or directory/,
    /RuntimeError: Error: File format is not supported in file "/,
    /RuntimeError: Error: Unable to save an unsaved file with an empty or unset "filepath" property/,
  ],

  check(ctx) {
    // The calls the query can match, found from the operators' names and each checked alone (a query over
    // every call of the file costs far more).
    const candidates = methodCallsNamed(ctx.tree, ctx.source, ['open_mainfile', 'save_mainfile', 'save_as_mainfile', 'view_show']);
    for (const { call, callee, args } of candidates.flatMap((c) => queryMatches(CALL_QUERY, c, { maxStartDepth: 0 }))) {
      const operator = callee.text.replace(/\s+/g, '').split('.').pop()!;
      // The execution context: the first positional string (after a 3.x context-override dict).
      const context = positionalArgs(args).slice(0, 2).map(stringValue).find((v) => v !== null);
      if (!context || !context.startsWith('INVOKE_')) continue;
      const where = whereItRuns(call);
      if (!where) continue;
      const data = { call: `${callee.text.replace(/\s+/g, '')}('${context}')`, where };
      if (operator === 'view_show') {
        if (!isGuarded(call, mentionsBackground)) reportViewShow(ctx, call, data);
        continue;
      }
      const filepath = keywordArgs(args).get('filepath');
      if (hasSplat(args) || (filepath && stringValue(filepath) !== '')) continue;
      if (operator === 'open_mainfile') {
        if (!isGuarded(call, mentionsBackground)) ctx.report({ messageId: 'openNoPath', node: call, data });
        continue;
      }
      if (isGuarded(call, mentionsBackground) || behindSavedCheck(call)) continue;
      ctx.report({ messageId: operator === 'save_mainfile' ? 'saveNoPath' : 'saveAsNoPath', node: call, data });
    }
  },
});

/** `render.view_show('INVOKE_DEFAULT')` goes under `if not bpy.app.background:` (hygiene: headless the call
 *  does nothing but log an error, so skipping it there changes nothing). */
function reportViewShow(ctx: RuleContext<'viewShow' | 'viewShowManual'>, call: SyntaxNode, data: Record<string, string>): void {
  const statement = call.parent;
  const wrap = statement?.type === 'expression_statement' && statement.namedChildCount === 1
    ? wrapStatements(ctx, statement, statement, 'not bpy.app.background')
    : null;
  if (!wrap) {
    ctx.report({ messageId: 'viewShowManual', node: call, data });
    return;
  }
  const imp = importEdit(ctx, 'bpy', statement!.startIndex);
  ctx.report({
    messageId: 'viewShow',
    node: call,
    data,
    fix: { safety: 'safe', description: 'wrap in `if not bpy.app.background:`', edits: imp ? [imp, ...wrap] : wrap },
  });
}

/** True when the call runs only on a file already saved: in the body of `if bpy.data.filepath:` (or
 *  `is_saved`), or after `if not bpy.data.filepath: return`. */
function behindSavedCheck(call: SyntaxNode): boolean {
  const stop = enclosingFunction(call);
  let child: SyntaxNode = call;
  for (let p = call.parent; p && p !== stop; child = p, p = p.parent) {
    if (p.type === 'if_statement' || p.type === 'elif_clause') {
      const cond = p.childForFieldName('condition');
      const body = p.childForFieldName('consequence');
      if (cond && body?.id === child.id && cond.text.split(/\s+and\s+/).some((c) => SAVED.test(c.trim()))) return true;
    }
    if (p.type === 'block' || p.type === 'module') {
      for (let s = child.previousNamedSibling; s; s = s.previousNamedSibling) {
        if (s.type !== 'if_statement') continue;
        const cond = s.childForFieldName('condition')?.text.trim() ?? '';
        const last = s.childForFieldName('consequence')?.lastNamedChild;
        const exits = !!last && ['return_statement', 'raise_statement'].includes(last.type);
        if (exits && /^not\s/.test(cond) && SAVED.test(cond.replace(/^not\s+/, '').trim())) return true;
      }
    }
  }
  return false;
}

