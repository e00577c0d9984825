// BGS005 popup-in-background: `window_manager.popup_menu(...)`, `.popover(...)` and the operator dialogs
// (`invoke_props_dialog`, `invoke_popup`, `invoke_confirm`, ...) called from code that runs in
// `blender --background`. There is no window to show them in and Blender crashes (segmentation fault).
// A popup that shows a message gets `if bpy.app.background: print(<the same message>) else: <the popup>`;
// a dialog (it edits the operator's properties) is reported with the manual fix.
import type { SyntaxNode, RuleContext } from '../../src/types.js';
import { defineRule } from '../../src/rule.js';
import { queryMatches } from '../../src/parse.js';
import { identifiersNamed, importEdit, methodCallsNamed } from '../../src/syntax/names.js';
import { isGuarded, mentionsBackground } from '../../src/syntax/scope.js';
import { whereItRuns } from '../../src/syntax/where-it-runs.js';
import { argumentsOf, popupMessage } from './message.js';
import { printArguments, quoteOf, wrapWithPrint } from './print.js';

const POPUPS = ['popup_menu', 'popover'];
const DIALOGS = ['invoke_props_dialog', 'invoke_popup', 'invoke_confirm', 'invoke_search_popup', 'invoke_props_popup'];

const CALL_QUERY = `(
  (call
    function: (attribute object: (_) @receiver attribute: (identifier) @method)
    arguments: (argument_list) @args) @call
  (#match? @method "^(${[...POPUPS, ...DIALOGS].join('|')})$"))`;

/** The callees of CALLBACK_QUERY, as written. */
const CALLBACK_CALLEE = /([.](popup_menu|popover|popup_menu_pie|draw_handler_add)|(^|[.])types[.][A-Za-z0-9_]+[.](append|prepend)|_(MT|HT|PT)_[A-Za-z0-9_]*[.](append|prepend)|timers[.]register)$/;

/** Functions passed by name where they become UI callbacks (draw code never runs headless):
 *  `popup_menu(draw)`, `popover(draw)`, `bpy.types.VIEW3D_MT_x.append(draw)`, `draw_handler_add(draw, …)`,
 *  and `bpy.app.timers.register(f)` (timers never fire in background mode). */
const CALLBACK_QUERY = `(
  (call
    function: (attribute attribute: (identifier) @_method) @_callee
    arguments: (argument_list . [(identifier) (attribute)] @callback))
  (#match? @_callee "${CALLBACK_CALLEE.source}"))`;
const METHOD_ALIAS_QUERY = `(
  (class_definition body: (block (expression_statement (assignment left: (identifier) @_name right: (identifier) @method))))
  (#match? @_name "^(invoke|modal|draw\\w*)$"))`;
const DRAW_FUNC_KEYWORD_QUERY = `(
  (keyword_argument name: (identifier) @_name value: [(identifier) (attribute)] @callback)
  (#eq? @_name "draw_func"))`;

/** The names the queries above can match, from which the nodes to run them on are found: the last part of
 *  CALLBACK_QUERY's callee, and METHOD_ALIAS_QUERY's @_name (as regular expressions). */
const CALLBACK_METHODS = ['popup_menu', 'popover', 'popup_menu_pie', 'draw_handler_add', 'append', 'prepend', 'register'];
const ALIAS_NAMES = ['invoke', 'modal', 'draw\\w*'];
/** Only matches rooted at the node the query runs on. */
const ROOTED = { maxStartDepth: 0 };

const CRASH =
  'there is no window in background mode and Blender crashes (segmentation fault, exit code 139; ' +
  'Blender 3.4.1 and 4.3.2)';

const MANUAL_POPUP =
  'put the call under `if not bpy.app.background:` and print the message in an `else:` branch';
const MANUAL_DIALOG =
  'open the dialog only from the operator\'s `invoke()` (which never runs in background mode: `bpy.ops` calls ' +
  '`execute()` there), or put it under `if not bpy.app.background:` and, in background mode, go on with the ' +
  'current property values (e.g. `return self.execute(context)`)';

export const popupInBackground = defineRule({
  code: 'BGS005',
  slug: 'popup-in-background',
  summary: 'Popups and operator dialogs opened from code that runs in background mode crash Blender',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'Calls of the window manager\'s `popup_menu(...)` and `popover(...)`, and of the operator dialogs ' +
      '`invoke_props_dialog`, `invoke_popup`, `invoke_confirm`, `invoke_search_popup` and `invoke_props_popup`, ' +
      'in code that can run in background mode: at module level, in `register()`, in an operator\'s `execute()`, ' +
      'in handlers and in helper functions (a `show_message(message, title, icon)` helper that builds a draw ' +
      'function and calls `popup_menu`). Left alone: calls in `invoke()` and `modal()` (in background mode ' +
      '`bpy.ops.x.y(\'INVOKE_DEFAULT\')` runs `execute()` and never `invoke()`, so the common ' +
      '`return context.window_manager.invoke_props_dialog(self)` in `invoke()` is fine), in draw functions ' +
      '(`draw…`, functions appended to menus or passed as a draw callback) and timer callbacks (neither runs ' +
      'headless), in lambdas, and calls already behind a check of `bpy.app.background` ' +
      '(`if not bpy.app.background:`, the `else:` of `if bpy.app.background:`, an earlier ' +
      '`if bpy.app.background: return`). A try/except around the call does not count: a crash is no exception. ' +
      '`popover` counts only on a window manager (`context.window_manager`, `wm`), not `layout.popover` in draw code.',
    whyItBreaks:
      'In background mode there is no window to open a popup in. Measured with `blender -b --factory-startup` ' +
      'in Blender 3.4.1 and 4.3.2: `popup_menu`, `popover`, `invoke_props_dialog`, `invoke_popup`, ' +
      '`invoke_confirm` and `invoke_search_popup` crash Blender with a segmentation fault (exit code 139, ' +
      '`Writing: /tmp/blender.crash.txt`), called from a `--python` script, from an operator\'s `execute()` run ' +
      'by `bpy.ops` and from `register()` run by `addon_utils.enable`. When the add-on is enabled at start-up ' +
      'from saved preferences, 3.4.1 crashes the same way while 4.3.2 raises ' +
      '`RuntimeError: Error: context "window" is None` instead (and the add-on fails to enable). ' +
      '`invoke_props_popup` in `execute()` raises `RuntimeError: Error: Operator \'…\' does not have register ' +
      'enabled, incorrect invoke function` in both versions (for an operator without `REGISTER` in ' +
      '`bl_options`). In `invoke()` these calls do no harm headless because `invoke()` is never called there.',
    example: {
      before: [
        'def show_message(message, title="Message", icon=\'INFO\'):',
        '    def draw(self, context):',
        '        self.layout.label(text=message)',
        '',
        '    bpy.context.window_manager.popup_menu(draw, title=title, icon=icon)',
        '',
      ].join('\n'),
      after: [
        'def show_message(message, title="Message", icon=\'INFO\'):',
        '    def draw(self, context):',
        '        self.layout.label(text=message)',
        '',
        '    if bpy.app.background:',
        '        print(f"{title}:", message)',
        '    else:',
        '        bpy.context.window_manager.popup_menu(draw, title=title, icon=icon)',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe: in the GUI `bpy.app.background` is False and the popup opens as before. In background mode the ' +
      'same message is printed to standard output instead: the title (`"Error:"`) and the texts of the ' +
      '`label(...)` calls of the draw function (a lambda, a nested `def draw`, or a function of the same file ' +
      'whose body only adds labels and layout items, or loops `for line in text.split(...)` over labels), ' +
      'provided the names they read mean the same at the call site. Where the text cannot be known (the draw ' +
      'function reads `context` or its own variables, lives in another file, or does more than add labels) only ' +
      'the title is printed and the finding says so; with neither text nor title, or where the popup\'s result ' +
      'is used or the call shares its line with other code, the rule reports without a fix. `print` rather than ' +
      '`self.report`: an `{\'ERROR\'}` report makes the `bpy.ops` call raise `RuntimeError` in background mode, ' +
      'which the popup never did. Operator dialogs (`invoke_props_dialog`, ...) outside `invoke()` are reported ' +
      'only: what to do without the dialog (go on with the current property values, or cancel) is the author\'s call.',
  },
  messages: {
    popup:
      `\`{call}\` {where} opens a popup, but ${CRASH}. Fix: in background mode the message is printed ` +
      'instead (`{print}`); the GUI still shows the popup.',
    popupTitleOnly:
      `\`{call}\` {where} opens a popup, but ${CRASH}. Fix: in background mode the title is printed instead ` +
      '(`{print}`); the GUI still shows the popup. The popup\'s text comes from `{draw}`, {why}; print the ' +
      'text as well by hand if it matters.',
    popupManual:
      `\`{call}\` {where} opens a popup, but ${CRASH}. No automatic fix because {reason}. By hand: ${MANUAL_POPUP}.`,
    dialog:
      `\`{call}\` {where} opens a dialog, but ${CRASH}. By hand: ${MANUAL_DIALOG}.`,
  },
  prefilter: ['popup_menu', 'popover', 'invoke_props_dialog', 'invoke_popup', 'invoke_confirm', 'invoke_search_popup', 'invoke_props_popup'],
  errorPatterns: [/RuntimeError: Error: context "window" is None/],

  check(ctx) {
    // The calls CALL_QUERY can match, found from the methods' names and each checked alone: a query over
    // every call of the file costs far more.
    const candidates = methodCallsNamed(ctx.tree, ctx.source, [...POPUPS, ...DIALOGS]);
    if (candidates.length === 0) return;
    const callbacks = callbackNames(ctx);
    for (const { call, receiver, method, args } of candidates.flatMap((c) => queryMatches(CALL_QUERY, c, ROOTED))) {
      if (method.text === 'popover' && !/(^|\.)window_manager$|^wm$/.test(receiver.text.replace(/\s+/g, ''))) continue;
      const where = whereItRuns(call, { callbacks, classBodies: true });
      if (!where || isGuarded(call, mentionsBackground, { tryExcept: false })) continue;
      const data = { call: shortCall(call), where };
      if (DIALOGS.includes(method.text)) ctx.report({ messageId: 'dialog', node: call, data });
      else reportPopup(ctx, call, method.text, args, data);
    }
  },
});

/** A popup that shows a message: printed instead in background mode, where the message can be read. */
function reportPopup(
  ctx: RuleContext<'popup' | 'popupTitleOnly' | 'popupManual'>,
  call: SyntaxNode,
  method: string,
  args: SyntaxNode,
  data: { call: string; where: string },
): void {
  const statement = call.parent;
  if (statement?.type !== 'expression_statement' || statement.namedChildCount !== 1) {
    ctx.report({ messageId: 'popupManual', node: call, data: { ...data, reason: 'the call is part of a larger expression' } });
    return;
  }
  const { positional, keywords } = argumentsOf(args);
  const draw = keywords.get('draw_func') ?? positional[0];
  const title = method === 'popup_menu' ? keywords.get('title') ?? positional[1] : undefined;
  const message = popupMessage(call, draw);
  const printArgs = printArguments(title, 'parts' in message ? message.parts : [], 'parts' in message && !!message.lines, quoteOf(ctx, call));
  if (!printArgs) {
    ctx.report({
      messageId: 'popupManual',
      node: call,
      data: { ...data, reason: 'the popup has no title and its text cannot be read as a fixed message' },
    });
    return;
  }
  const wrap = wrapWithPrint(ctx, statement, printArgs);
  if (!wrap) {
    ctx.report({ messageId: 'popupManual', node: call, data: { ...data, reason: 'the call shares its line with other code' } });
    return;
  }
  const imp = importEdit(ctx, 'bpy', statement.startIndex);
  const unknown = 'unknown' in message ? message : null;
  ctx.report({
    messageId: unknown ? 'popupTitleOnly' : 'popup',
    node: call,
    data: {
      ...data,
      print: wrap.print.includes('\n') ? 'print(…)' : wrap.print,
      draw: unknown?.unknown ?? '',
      why: unknown?.why || 'which bgsafe cannot read as a fixed message',
    },
    fix: {
      safety: 'safe',
      description: 'print the message in background mode, open the popup otherwise',
      edits: imp ? [imp, ...wrap.edits] : wrap.edits,
    },
  });
}

/** Names of functions used as UI callbacks in this file (the last part of `self.menu`, too), and of
 *  functions a class body binds as its invoke, modal or draw method (`invoke = object_invoke_func`). Each
 *  query runs only on the nodes it can match, found from the names in them. */
function callbackNames(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  const classes = new Map<number, SyntaxNode>();
  for (const name of identifiersNamed(ctx.tree, ctx.source, ALIAS_NAMES)) {
    // class_definition > block > expression_statement > assignment > the name
    const assignment = name.parent;
    if (assignment?.type !== 'assignment') continue;
    const cls = assignment.parent?.parent?.parent;
    if (cls?.type === 'class_definition') classes.set(cls.id, cls);
  }
  for (const cls of classes.values()) {
    for (const { method } of queryMatches(METHOD_ALIAS_QUERY, cls, ROOTED)) out.add(method.text);
  }
  // (A callee that fails the query's #match? is left out before the query runs: most are `list.append`.)
  const calls = methodCallsNamed(ctx.tree, ctx.source, CALLBACK_METHODS).filter((c) => CALLBACK_CALLEE.test(c.firstChild?.text ?? ''));
  const keywords = identifiersNamed(ctx.tree, ctx.source, ['draw_func']).flatMap((n) => (n.parent ? [n.parent] : []));
  const matches = [
    ...calls.flatMap((c) => queryMatches(CALLBACK_QUERY, c, ROOTED)),
    ...keywords.flatMap((k) => queryMatches(DRAW_FUNC_KEYWORD_QUERY, k, ROOTED)),
  ];
  for (const { callback } of matches) {
    out.add(callback.type === 'attribute' ? callback.childForFieldName('attribute')?.text ?? '' : callback.text);
  }
  return out;
}

/** `bpy.context.window_manager.popup_menu()`: the callee as written (whitespace removed), for the message. */
function shortCall(call: SyntaxNode): string {
  const f = call.childForFieldName('function')!;
  return `${f.text.replace(/\s+/g, '')}()`;
}
