// BGS012 modal-start-headless: `bpy.ops.<op>('INVOKE_DEFAULT')` in code that runs without a user (register(),
// handlers, timers, threads). Background mode never calls invoke(): an operator with execute() falls back to
// it where there is a window and raises where there is none; a modal-only operator does nothing at all.
import type { Edit, Fix, SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';
import { ensureImport, wrapStatements } from '../src/syntax/edits.js';
import { lineIndent, startsLine } from '../src/syntax/source.js';
import { RUNTIME_MODULE_NAME, runtimeAccess } from '../src/syntax/timers-never-fire-runtime.js';
import type { Reached } from '../src/model/index.js';
import { isGuarded, mentionsBackground } from '../src/syntax/scope.js';
import { resolveOperator, type OperatorFacts } from '../src/syntax/modal-start-headless-operators.js';

// `bpy.ops.cat.op(...)` and `ops.cat.op(...)` (after `from bpy import ops`).
const OPS_CALL_QUERY = `(call
  function: (attribute
    object: (attribute object: [(identifier) (attribute)] @ops attribute: (identifier) @category)
    attribute: (identifier) @operator)
  arguments: (argument_list) @args) @call`;

const MODE = /^([rRuU]?)(['"])(INVOKE_(DEFAULT|REGION_WIN|REGION_CHANNELS|REGION_PREVIEW|AREA|SCREEN))\2$/;

/** The `'INVOKE_…'` argument: the first positional one, or the second after a context-override dict. */
function modeArgument(args: SyntaxNode): SyntaxNode | null {
  const positional = args.namedChildren.filter((a) => a.type !== 'keyword_argument' && a.type !== 'comment');
  for (const a of positional.slice(0, 2)) if (a.type === 'string' && MODE.test(a.text)) return a;
  return null;
}

const APP_IMPORT_QUERY = `(module (import_from_statement
  module_name: (dotted_name) @module (#eq? @module "bpy")
  name: [(dotted_name) @name (aliased_import name: (dotted_name) @name alias: (identifier) @alias)]))`;

/** The local name of `bpy.app` where the module does `from bpy import app` (or `… app as a`) at top level. */
function appName(ctx: RuleContext): string | null {
  for (const m of ctx.matches(APP_IMPORT_QUERY)) {
    if (m.name.text === 'app') return m.alias?.text ?? 'app';
  }
  return null;
}

/**
 * The fix for a modal-only operator on TIMER events, started where no user is: the call becomes
 * `if bpy.app.background: bgsafe_runtime.run_modal(bpy.ops.x.y, …)` / `else: <the call as it was>`.
 * Returns why not (words for the message) where the call's shape or place does not allow it.
 */
function runModalFix(ctx: RuleContext, call: SyntaxNode, mode: SyntaxNode, where: Reached): Fix | string {
  if (where.kind === 'thread') return 'the call runs in a thread, and the pump runs its work in the thread of the service loop';
  if (where.kind === 'register') return 'the call runs while the add-on is imported';
  const stmt = call.parent;
  if (stmt?.type !== 'expression_statement' || stmt.namedChildren.length !== 1) return 'the value of the call is used';
  const args = call.childForFieldName('arguments')!.namedChildren.filter((a) => a.type !== 'comment');
  const rest = args.filter((a) => a.id !== mode.id);
  if (rest.some((a) => a.type !== 'keyword_argument' && a.type !== 'dictionary_splat')) return 'the call passes positional arguments besides its mode';
  if (rest.some((a) => a.text.includes('\n'))) return 'an argument of the call spans lines';
  if (!startsLine(ctx.source, stmt.startIndex)) return 'the call shares its line with other code';
  const runtime = runtimeAccess(ctx);
  if (!runtime.ok) return runtime.why;

  const app = appName(ctx);
  const test = app ? `${app}.background` : 'bpy.app.background';
  const wrap = wrapStatements(ctx, stmt, stmt, test);
  const { newline: nl, indentUnit: unit } = ctx;
  const indent = lineIndent(ctx.source, stmt.startIndex);
  const localUnit = indent.length > 0 && /^\t+$/.test(indent) ? '\t' : unit;
  const header = `if ${test}:${nl}${indent}${localUnit}`;
  if (!wrap || wrap[0].start !== stmt.startIndex || wrap[0].text !== header) return 'the call\'s statement cannot be wrapped safely';
  const operator = call.childForFieldName('function')!.text.replace(/\s+/g, '');
  const runModal = `${RUNTIME_MODULE_NAME}.run_modal(${[operator, ...rest.map((a) => a.text)].join(', ')})`;
  const edits: Edit[] = [{ ...wrap[0], text: `${header}${runModal}${nl}${indent}else:${nl}${indent}${localUnit}` }, ...wrap.slice(1)];
  const imports: Edit[] = [];
  const bpyImport = app ? null : ensureImport(ctx, 'bpy', call.startIndex);
  if (bpyImport) imports.push(bpyImport);
  for (const runtimeEdit of runtime.edits) {
    const same = imports.find((e) => e.start === runtimeEdit.start && e.end === runtimeEdit.end);
    if (same) same.text += runtimeEdit.text;
    else imports.push(runtimeEdit);
  }
  return {
    safety: 'safe',
    description: `in background mode run \`${operator}\` on the runtime's pump (\`${RUNTIME_MODULE_NAME}.run_modal\`; ${runtime.how})`,
    edits: [...edits, ...imports],
    createFiles: runtime.createFiles,
  };
}

function shortCall(call: SyntaxNode): string {
  const text = call.text.replace(/\s+/g, ' ');
  return text.length > 70 ? `${text.slice(0, 67)}...` : text;
}

function reportCall(ctx: RuleContext, call: SyntaxNode, mode: SyntaxNode, op: string, facts: OperatorFacts, where: Reached): void {
  const data = { call: shortCall(call), op, cls: facts.className, where: where.where };
  if (facts.otherBases && !facts.hasExecute) return; // execute() may come from a base class: unknown
  if (where.kind === 'register' && where.where !== 'at module level') {
    // register() runs with a restricted context, where every bpy.ops call fails: a mode does not help.
    ctx.report({ messageId: 'inRegister', node: call, data });
    return;
  }
  if (facts.hasExecute) {
    if (facts.invokeAsks) {
      ctx.report({ messageId: 'invokeAsks', node: call, data: { ...data, asks: facts.invokeAsks } });
      return;
    }
    if (facts.invokeStartsModal) {
      ctx.report({ messageId: 'invokeStartsModal', node: call, data });
      return;
    }
    const m = MODE.exec(mode.text)!;
    const [, prefix, quote, invoke] = m;
    const exec = invoke.replace(/^INVOKE_/, 'EXEC_');
    // `from bpy import app` gives `app.background`; else `bpy.app.background`, importing bpy if needed.
    const app = appName(ctx);
    const test = app ? `${app}.background` : 'bpy.app.background';
    const edits = [{ start: mode.startIndex, end: mode.endIndex, text: `${prefix}${quote}${exec}${quote} if ${test} else ${mode.text}` }];
    const imp = app ? null : ensureImport(ctx, 'bpy', call.startIndex);
    if (imp) edits.push(imp);
    ctx.report({
      messageId: 'execInBackground',
      node: call,
      data,
      fix: { safety: 'safe', description: `call \`${op}\` with \`${exec}\` in background mode`, edits },
    });
    return;
  }
  if (facts.hasModal && facts.modalOnTimer) {
    const fix = facts.pumpBlocker ? null : runModalFix(ctx, call, mode, where);
    if (typeof fix === 'string' || fix === null) {
      const why = facts.pumpBlocker ?? fix ?? '';
      ctx.report({ messageId: 'modalTimer', node: call, data: { ...data, why, interval: facts.timerInterval ?? 'its timer interval' } });
      return;
    }
    ctx.report({ messageId: 'runModalInBackground', node: call, data, fix });
    return;
  }
  ctx.report({ messageId: facts.hasModal ? 'modalOnly' : 'invokeOnly', node: call, data });
}

export const modalStartHeadless = defineRule({
  code: 'BGS012',
  slug: 'modal-start-headless',
  summary: "`bpy.ops.<op>('INVOKE_DEFAULT')` from register(), handlers, timers or threads: background mode never calls invoke()",
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      "Calls `bpy.ops.<category>.<name>('INVOKE_DEFAULT', …)` (and the other `INVOKE_*` modes, also after a " +
      'context-override dict) made where no user is: at module level, in `register()` and the functions it calls, ' +
      'in functions appended to `bpy.app.handlers.*` or decorated with `@persistent`, in timer callbacks ' +
      '(`bpy.app.timers.register(fn)`, or `bgsafe_runtime.schedule(fn)` after BGS011), in thread targets (`threading.Thread(target=fn)`), and in the functions ' +
      'those call by name. The operator is looked up by its `bl_idname` in the file and in the other files of the ' +
      "add-on's package; calls of operators the add-on does not define (Blender's own, another add-on's) are " +
      "left alone, and so are calls already behind a check of `bpy.app.background` and calls in operators' " +
      'methods, panels and menus (a user starts those). Calls in `register()` and the functions it calls are ' +
      'reported without a fix: there every `bpy.ops` call fails, whatever its mode.',
    whyItBreaks:
      "Background mode has no events, so `bpy.ops.x.y('INVOKE_DEFAULT')` never calls `invoke()`. Measured with " +
      '`blender -b` in Blender 3.4.1, 4.3.2 and 5.2.2: (1) an operator that defines `execute()` runs `execute()` instead ' +
      'where the context has a window (a `--python` script, a `load_post` handler), but where it has none — the ' +
      '`render_pre`, `render_complete` and `frame_change_post` handlers of a command-line render ' +
      '(`blender -b file.blend -f 1`), a thread — the call raises ' +
      "`RuntimeError: Operator bpy.ops.x.y.poll() Missing 'window' in context` while `'EXEC_DEFAULT'` works; " +
      '(2) an operator without `execute()` (modal-only, or invoke-only) prints ' +
      "`ERROR (wm.operator): …wm_event_system.cc: wm_operator_invoke: invalid operator call 'X_OT_y'` (5.2.2: " +
      "`operator | ERROR Invalid operator call 'X_OT_y'`) and returns " +
      "`{'PASS_THROUGH'}`: nothing runs and no exception says so — a service started this way never starts " +
      'headless. (In `register()` itself every `bpy.ops` call fails anyway: ' +
      "`AttributeError: '_RestrictContext' object has no attribute 'view_layer'`.)",
    example: {
      before:
        'import bpy\nfrom bpy.app.handlers import persistent\n\n\n@persistent\ndef report_frame(scene, *_):\n' +
        "    bpy.ops.farm.report_progress('INVOKE_DEFAULT')\n\n\ndef register():\n" +
        '    bpy.utils.register_class(FARM_OT_report_progress)\n    bpy.app.handlers.render_pre.append(report_frame)\n',
      after:
        'import bpy\nfrom bpy.app.handlers import persistent\n\n\n@persistent\ndef report_frame(scene, *_):\n' +
        "    bpy.ops.farm.report_progress('EXEC_DEFAULT' if bpy.app.background else 'INVOKE_DEFAULT')\n\n\ndef register():\n" +
        '    bpy.utils.register_class(FARM_OT_report_progress)\n    bpy.app.handlers.render_pre.append(report_frame)\n',
    },
    fixSafety:
      "Safe: only the mode changes, and only in background mode (`'EXEC_DEFAULT' if bpy.app.background else " +
      "'INVOKE_DEFAULT'`); in the GUI the call is the same. Headless it runs the same `execute()` that Blender " +
      'already fell back to where there was a window, and also where there is none. It is applied only where the ' +
      'operator defines `execute()` and its `invoke()` neither asks the user (a dialog, a popup, a file browser: ' +
      'headless nobody fills it in) nor starts a modal loop. Those, and operators without `execute()`, are ' +
      'reported with what to do by hand. A modal-only operator whose modal() works on TIMER events is started, in ' +
      "background mode only, by `bgsafe_runtime.run_modal(bpy.ops.x.y, …)` (`if bpy.app.background: … else: " +
      "bpy.ops.x.y('INVOKE_DEFAULT', …)`: the GUI branch is the call as it was). It runs the class's own invoke() " +
      'at once and its modal() with a TIMER event each time a timer that invoke() added through ' +
      '`context.window_manager.event_timer_add(step)` is due, on the pump of the add-on\'s runtime module ' +
      '(`bgsafe_runtime.py`, created once in the package; embedded into a single-file add-on, see BGS011), until modal() returns FINISHED or CANCELLED; a service ' +
      'loop drives the pump (`bgsafe scaffold service`). The methods run on a stand-in for the operator (Python ' +
      'cannot create an instance of a registered Operator class: `TypeError: bpy_struct.__new__(type): expected a ' +
      "single argument`, 3.4.1 and 4.3.2) with the class's methods and attributes, its properties and report(). " +
      'The fix is made only where that is all the operator needs: invoke() adds a timer and a modal handler through ' +
      'its `context` argument and does not read the event; modal() reads only `event.type`, and reacts to no event ' +
      'but TIMER except to stop (an ESC branch returning CANCELLED: headless nobody presses it); no ' +
      '`context.area`/`region`/`space_data` unless checked first; no Pointer/Collection properties, `__init__()` or ' +
      '`super()`; the call is a statement of its own in a handler or timer callback, with keyword arguments only, ' +
      'in an add-on (not a script). Elsewhere it is reported with the reason and what to do by hand.',
  },
  messages: {
    execInBackground:
      '`{call}` runs {where}, where no user is; background mode never calls `{cls}.invoke()`: Blender falls back ' +
      "to execute() where there is a window and raises `RuntimeError: Operator bpy.ops.{op}.poll() Missing 'window' " +
      "in context` where there is none (render and frame-change handlers of `blender -b file -f N`, threads); in " +
      "background mode the call now asks for execute() directly (`'EXEC_DEFAULT' if bpy.app.background else …`)",
    inRegister:
      '`{call}` runs {where}, while the add-on is being enabled: there `bpy.context` is restricted and every ' +
      "`bpy.ops` call fails (`AttributeError: '_RestrictContext' object has no attribute 'view_layer'`, Blender " +
      '3.4.1 and 4.3.2), whatever its mode; and background mode never calls `{cls}.invoke()`. By hand: make the ' +
      'call from a `@persistent` `load_post` handler (or the service script) instead, with ' +
      "`'EXEC_DEFAULT' if bpy.app.background else 'INVOKE_DEFAULT'` where `{cls}` has an execute()",
    invokeAsks:
      '`{call}` runs {where}, but `{cls}.invoke()` asks the user (`{asks}`), and background mode never calls ' +
      'invoke(): execute() runs with the default property values, or, without a window, the call raises ' +
      "`RuntimeError: … Missing 'window' in context`. By hand: in background mode pass the values the dialog " +
      "asks for as keyword arguments and call it with `'EXEC_DEFAULT'` (`if bpy.app.background: " +
      "bpy.ops.{op}('EXEC_DEFAULT', …)`), or skip the call there",
    invokeStartsModal:
      '`{call}` runs {where}; `{cls}.invoke()` starts a modal loop, which never runs in background mode: Blender ' +
      'skips invoke() and runs execute() once instead (and raises `RuntimeError: … Missing \'window\' in context` ' +
      "where there is no window). By hand: if execute() alone does the job headless, call it with " +
      "`'EXEC_DEFAULT' if bpy.app.background else 'INVOKE_DEFAULT'`; if the modal loop does periodic work, put that " +
      'work in a function returning the seconds until its next call and, in background mode, schedule it with ' +
      "`bgsafe_runtime.schedule(fn, persistent=True)` (run the add-on with `bgsafe scaffold service`, whose loop " +
      'calls the pump)',
    runModalInBackground:
      '`{call}` runs {where}, but `{cls}` is modal-only (no execute()): in background mode Blender never calls ' +
      "invoke(), prints `wm_operator_invoke: invalid operator call '{cls}'` and returns {'PASS_THROUGH'}, so the work " +
      "its modal() does on TIMER events never runs, silently; in background mode the call now runs `{cls}`'s own " +
      'invoke() and modal() on the pump of the add-on\'s runtime (`bgsafe_runtime.run_modal`), the GUI call is ' +
      'unchanged. Run the add-on headless with the service script of `bgsafe scaffold service <addon>`, whose ' +
      'loop calls the pump',
    modalTimer:
      '`{call}` runs {where}, but `{cls}` is modal-only (no execute()): in background mode Blender never calls ' +
      "invoke(), prints `wm_operator_invoke: invalid operator call '{cls}'` and returns {'PASS_THROUGH'}, so the work " +
      'its modal() does on TIMER events never runs, silently. bgsafe cannot run it on the pump for you: {why}. ' +
      'By hand: move the TIMER branch of `{cls}.modal()` into ' +
      'a module-level function that takes no arguments and returns {interval} (the seconds until its next call; ' +
      'None stops it); in background mode schedule that function instead of starting the operator: ' +
      "`if bpy.app.background: bgsafe_runtime.schedule(tick, persistent=True)` / `else: bpy.ops.{op}('INVOKE_DEFAULT')`; " +
      'then run the add-on with the service script of `bgsafe scaffold service <addon>`, whose loop ' +
      '(`bgsafe_runtime.serve_forever()`) calls the pump',
    modalOnly:
      '`{call}` runs {where}, but `{cls}` is modal-only (no execute()): in background mode Blender never calls ' +
      "invoke(), prints `wm_operator_invoke: invalid operator call '{cls}'` and returns {'PASS_THROUGH'}: nothing " +
      'runs, silently. By hand: give `{cls}` an execute() that does the work once without events and call it with ' +
      "`'EXEC_DEFAULT' if bpy.app.background else 'INVOKE_DEFAULT'`, or skip the call in background mode",
    invokeOnly:
      '`{call}` runs {where}, but `{cls}` has invoke() and no execute(): background mode never calls invoke(), so ' +
      "Blender prints `wm_operator_invoke: invalid operator call '{cls}'` and returns {'PASS_THROUGH'}: nothing " +
      'runs, silently. By hand: move the work of invoke() into execute() (invoke() can call `self.execute(context)`) ' +
      "and call it with `'EXEC_DEFAULT' if bpy.app.background else 'INVOKE_DEFAULT'`",
  },
  prefilter: ['INVOKE_'],
  errorPatterns: [/Operator bpy\.ops\.\w+\.\w+\.poll\(\) Missing 'window' in context/],

  check(ctx) {
    for (const { call, ops, category, operator, args } of ctx.matches(OPS_CALL_QUERY)) {
      const opsText = ops.text.replace(/\s+/g, '');
      if (opsText !== 'bpy.ops' && opsText !== 'ops') continue;
      const mode = modeArgument(args);
      if (!mode) continue;
      const where = ctx.model.headlessWhere(call);
      if (!where) continue;
      if (isGuarded(mode, mentionsBackground, { tryExcept: false })) continue;
      const op = `${category.text}.${operator.text}`;
      const facts = resolveOperator(ctx.tree, ctx.absPath, op);
      if (!facts) continue;
      reportCall(ctx, call, mode, op, facts, where);
    }
  },
});
