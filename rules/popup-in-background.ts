// BGS005 popup-in-background: `window_manager.popup_menu(...)`, `.popover(...)` and the operator dialogs
// (`invoke_props_dialog`, `invoke_popup`, `invoke_confirm`, ...) called from code that runs in
// `blender --background`. There is no window to show them in and Blender crashes (segmentation fault).
// A popup that shows a message gets `if bpy.app.background: print(<the same message>) else: <the popup>`;
// a dialog (it edits the operator's properties) is reported with the manual fix.
import type { Edit, SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';
import { ensureImport, wrapStatements } from '../src/syntax/edits.js';
import { enclosingClass, enclosingFunction, isGuarded, mentionsBackground } from '../src/syntax/scope.js';
import { lineIndent } from '../src/syntax/source.js';

const POPUPS = ['popup_menu', 'popover'];
const DIALOGS = ['invoke_props_dialog', 'invoke_popup', 'invoke_confirm', 'invoke_search_popup', 'invoke_props_popup'];

const CALL_QUERY = `(
  (call
    function: (attribute object: (_) @receiver attribute: (identifier) @method)
    arguments: (argument_list) @args) @call
  (#match? @method "^(${[...POPUPS, ...DIALOGS].join('|')})$"))`;

/** Functions passed by name where they become UI callbacks (draw code never runs headless):
 *  `popup_menu(draw)`, `popover(draw)`, `bpy.types.VIEW3D_MT_x.append(draw)`, `draw_handler_add(draw, …)`,
 *  and `bpy.app.timers.register(f)` (timers never fire in background mode). */
const CALLBACK_QUERY = `(
  (call
    function: (attribute attribute: (identifier) @_method) @_callee
    arguments: (argument_list . [(identifier) (attribute)] @callback))
  (#match? @_callee "([.](popup_menu|popover|popup_menu_pie|draw_handler_add)|(^|[.])types[.][A-Za-z0-9_]+[.](append|prepend)|_(MT|HT|PT)_[A-Za-z0-9_]*[.](append|prepend)|timers[.]register)$"))`;
const METHOD_ALIAS_QUERY = `(
  (class_definition body: (block (expression_statement (assignment left: (identifier) @_name right: (identifier) @method))))
  (#match? @_name "^(invoke|modal|draw\\w*)$"))`;
const DRAW_FUNC_KEYWORD_QUERY = `(
  (keyword_argument name: (identifier) @_name value: [(identifier) (attribute)] @callback)
  (#eq? @_name "draw_func"))`;

/** Methods that never run headless: `bpy.ops.x.y('INVOKE_DEFAULT')` calls execute() there, never invoke()
 *  (measured, 3.4.1 and 4.3.2), so modal() never starts; panels, menus and headers are never drawn. */
const NEVER_HEADLESS = /^(invoke|modal|_*draw\w*)$/;

const CRASH =
  'there is no window in background mode and Blender crashes (segmentation fault, exit code 139; ' +
  'Blender 3.4.1 and 4.3.2)';

const MANUAL_POPUP =
  'put the call under `if not bpy.app.background:` and print the message in an `else:` branch';
const MANUAL_DIALOG =
  'open the dialog only from the operator\'s `invoke()` (which never runs in background mode: `bpy.ops` calls ' +
  '`execute()` there), or put it under `if not bpy.app.background:` and, in background mode, go on with the ' +
  'current property values (e.g. `return self.execute(context)`)';

// ---------------------------------------------------------------------------------------------------
// Where a call runs.

function functionName(fn: SyntaxNode): string {
  return fn.type === 'function_definition' ? fn.childForFieldName('name')?.text ?? '' : '';
}

/** Where the call runs, in words; null where it never runs headless (draw code, invoke, modal,
 *  UI callbacks, lambdas). */
function whereItRuns(call: SyntaxNode, callbacks: Set<string>): string | null {
  const fn = enclosingFunction(call);
  if (!fn) {
    const cls = enclosingClass(call);
    const name = cls?.childForFieldName('name')?.text;
    return name ? `in the body of class \`${name}\`` : 'at module level';
  }
  for (let f: SyntaxNode | null = fn; f; f = enclosingFunction(f)) {
    if (f.type === 'lambda') return null;
    const name = functionName(f);
    if (NEVER_HEADLESS.test(name) || callbacks.has(name)) return null;
    // `def object_invoke_func(self, context, event)`: only invoke() and modal() get an event.
    if (f.childForFieldName('parameters')?.namedChildren.some((p) => p.type === 'identifier' && p.text === 'event')) return null;
  }
  return `in \`${functionName(fn)}()\``;
}

/** Names of functions used as UI callbacks in this file (the last part of `self.menu`, too), and of
 *  functions a class body binds as its invoke, modal or draw method (`invoke = object_invoke_func`). */
function callbackNames(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  for (const { method } of ctx.matches(METHOD_ALIAS_QUERY)) out.add(method.text);
  for (const { callback } of [...ctx.matches(CALLBACK_QUERY), ...ctx.matches(DRAW_FUNC_KEYWORD_QUERY)]) {
    out.add(callback.type === 'attribute' ? callback.childForFieldName('attribute')?.text ?? '' : callback.text);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Names: which a function binds, which an expression reads.

const TARGET_CONTAINERS = new Set(['pattern_list', 'tuple_pattern', 'list_pattern', 'tuple', 'list', 'parenthesized_expression', 'list_splat_pattern']);

function targetNames(node: SyntaxNode | null, out: Set<string>): void {
  if (!node) return;
  if (node.type === 'identifier') out.add(node.text);
  else if (TARGET_CONTAINERS.has(node.type)) for (const c of node.namedChildren) targetNames(c, out);
}

/** Names a function (or lambda) binds locally: parameters, assignment and loop targets, imports, nested
 *  definitions. Nested function bodies are not entered. */
function boundNames(fn: SyntaxNode): Set<string> {
  const out = new Set<string>();
  const params = fn.childForFieldName('parameters');
  for (const p of params?.namedChildren ?? []) {
    if (p.type === 'identifier') out.add(p.text);
    else if (p.type === 'list_splat_pattern' || p.type === 'dictionary_splat_pattern') targetNames(p.firstNamedChild, out);
    else {
      const name = p.childForFieldName('name') ?? p.firstNamedChild;
      if (name?.type === 'identifier') out.add(name.text);
    }
  }
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      switch (c.type) {
        case 'function_definition':
        case 'class_definition':
          targetNames(c.childForFieldName('name'), out);
          continue;
        case 'lambda':
          continue;
        case 'assignment':
        case 'augmented_assignment':
        case 'for_statement':
          targetNames(c.childForFieldName('left'), out);
          break;
        case 'named_expression':
          targetNames(c.childForFieldName('name'), out);
          break;
        case 'as_pattern':
          targetNames(c.childForFieldName('alias')?.firstNamedChild ?? c.childForFieldName('alias'), out);
          break;
        case 'aliased_import':
          targetNames(c.childForFieldName('alias'), out);
          continue;
        case 'import_statement':
        case 'import_from_statement':
          for (const name of c.childrenForFieldName('name')) {
            if (name.type === 'dotted_name') out.add(name.firstNamedChild?.text ?? name.text);
          }
          break;
      }
      visit(c);
    }
  };
  const body = fn.childForFieldName('body');
  if (body) visit(body);
  return out;
}

/** Identifiers an expression reads (not attribute names, keyword names, or names it binds itself). */
function readNames(expr: SyntaxNode): Set<string> {
  const reads = new Set<string>();
  const own = new Set<string>();
  const visit = (n: SyntaxNode): void => {
    if (n.type === 'identifier') {
      const p = n.parent;
      if (p?.type === 'attribute' && p.childForFieldName('attribute')?.id === n.id) return;
      if (p?.type === 'keyword_argument' && p.childForFieldName('name')?.id === n.id) return;
      reads.add(n.text);
      return;
    }
    if (n.type === 'for_in_clause') targetNames(n.childForFieldName('left'), own);
    if (n.type === 'lambda') for (const p of n.childForFieldName('parameters')?.namedChildren ?? []) targetNames(p, own);
    for (const c of n.namedChildren) visit(c);
  };
  visit(expr);
  for (const n of own) reads.delete(n);
  return reads;
}

// ---------------------------------------------------------------------------------------------------
// What a popup says: the texts of the labels its draw function adds.

interface Argument {
  positional: SyntaxNode[];
  keywords: Map<string, SyntaxNode>;
}

function argumentsOf(args: SyntaxNode): Argument {
  const positional: SyntaxNode[] = [];
  const keywords = new Map<string, SyntaxNode>();
  for (const a of args.namedChildren) {
    if (a.type === 'comment') continue;
    if (a.type === 'keyword_argument') {
      const name = a.childForFieldName('name')?.text;
      const value = a.childForFieldName('value');
      if (name && value) keywords.set(name, value);
    } else positional.push(a);
  }
  return { positional, keywords };
}

/** The message of a popup: expressions to print, valid at the popup's call site. */
type Message = { parts: string[]; lines?: boolean } | { unknown: string; why?: string };

const MAX_LABELS = 8;

/** The function `name` as seen from `at`: a def in an enclosing function's body, else in the module. */
function findDefinition(name: string, at: SyntaxNode): SyntaxNode | null {
  for (let fn = enclosingFunction(at); ; fn = fn ? enclosingFunction(fn) : null) {
    const body = fn ? fn.childForFieldName('body') : rootOf(at);
    if (fn?.type === 'lambda') continue;
    for (const s of body?.namedChildren ?? []) {
      const def = s.type === 'decorated_definition' ? s.childForFieldName('definition') : s;
      if (def?.type === 'function_definition' && def.childForFieldName('name')?.text === name) return def;
    }
    if (!fn) return null;
  }
}

function rootOf(node: SyntaxNode): SyntaxNode {
  let r = node;
  while (r.parent) r = r.parent;
  return r;
}

/** The texts a draw function shows, when its body is only labels (and layout calls that show no text). */
function drawnTexts(fn: SyntaxNode, call: SyntaxNode, drawName: string): Message {
  const unknown = { unknown: drawName };
  const params = fn.childForFieldName('parameters')?.namedChildren ?? [];
  const self = params[0]?.type === 'identifier' ? params[0].text : null;
  if (!self) return unknown;
  const bound = boundNames(fn);
  const layouts = new Set<string>();
  const labels = new Set<string>();
  // `self.layout`, a name bound to it or to a sub-layout, or a call/attribute chain on one.
  const onLayout = (n: SyntaxNode | null): boolean => {
    if (!n) return false;
    if (n.type === 'identifier') return layouts.has(n.text);
    if (n.type === 'attribute') {
      const object = n.childForFieldName('object');
      if (object?.type === 'identifier' && object.text === self && n.childForFieldName('attribute')?.text === 'layout') return true;
      return onLayout(object);
    }
    if (n.type === 'call') return onLayout(n.childForFieldName('function'));
    return false;
  };
  const isLabel = (f: SyntaxNode | null): boolean =>
    !!f && ((f.type === 'identifier' && labels.has(f.text)) || (f.type === 'attribute' && f.childForFieldName('attribute')?.text === 'label' && onLayout(f.childForFieldName('object'))));
  const labelText = (c: SyntaxNode): SyntaxNode | null | 'none' => {
    const args = c.childForFieldName('arguments');
    if (!args || args.type !== 'argument_list') return null;
    const { positional, keywords } = argumentsOf(args);
    const text = keywords.get('text') ?? positional[0];
    if (!text) return 'none';
    if (text.type === 'string' && /^[a-zA-Z]*(''|"")$/.test(text.text)) return 'none';
    return text;
  };
  // Names the message reads must mean the same at the call site: not bound in the draw function, and not
  // bound in the functions between the call and the scope that holds the draw function.
  const shadowing = new Set<string>();
  const defScope = enclosingFunction(fn);
  for (let f = enclosingFunction(call); f && f.id !== defScope?.id; f = enclosingFunction(f)) {
    for (const n of boundNames(f)) shadowing.add(n);
  }
  const usable = (e: SyntaxNode): boolean =>
    e.startPosition.row === e.endPosition.row && [...readNames(e)].every((n) => !bound.has(n) && !shadowing.has(n));

  const parts: string[] = [];
  let lines = false;
  for (const s of fn.childForFieldName('body')?.namedChildren ?? []) {
    if (s.type === 'comment' || s.type === 'pass_statement') continue;
    if (s.type === 'expression_statement' && s.namedChildCount === 1) {
      const e = s.firstNamedChild!;
      if (e.type === 'string') continue; // a docstring
      if (e.type === 'assignment') {
        const left = e.childForFieldName('left');
        const right = e.childForFieldName('right');
        // `layout.operator(...).url = "…"` sets a button's property: no message either.
        if (left?.type === 'attribute' && onLayout(left.childForFieldName('object'))) continue;
        if (left?.type !== 'identifier' || !right) return unknown;
        if (right.type === 'attribute' && right.childForFieldName('attribute')?.text === 'label' && onLayout(right.childForFieldName('object'))) {
          labels.add(left.text); // `label = self.layout.label`
          continue;
        }
        if (onLayout(right)) {
          layouts.add(left.text); // `layout = self.layout`, `col = layout.column()`
          continue;
        }
        return unknown;
      }
      if (e.type === 'call') {
        const f = e.childForFieldName('function');
        if (isLabel(f)) {
          const text = labelText(e);
          if (text === 'none') continue;
          if (!text || !usable(text)) return unknown;
          parts.push(text.text);
          continue;
        }
        // Other layout calls (separator, prop, operator buttons) show no message.
        if (f?.type === 'attribute' && onLayout(f.childForFieldName('object'))) continue;
      }
      return unknown;
    }
    if (s.type === 'for_statement' && !s.childForFieldName('alternative')) {
      // `for line in message.split("\n"): layout.label(text=line)`
      const left = s.childForFieldName('left');
      const right = s.childForFieldName('right');
      const body = s.childForFieldName('body')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
      const only = body.length === 1 && body[0].type === 'expression_statement' ? body[0].firstNamedChild : null;
      if (left?.type !== 'identifier' || !right || only?.type !== 'call' || !isLabel(only.childForFieldName('function'))) return unknown;
      const text = labelText(only);
      if (!text || text === 'none' || text.type !== 'identifier' || text.text !== left.text) return unknown;
      const callee = right.type === 'call' ? right.childForFieldName('function') : null;
      const split = callee?.type === 'attribute' && /^(split|splitlines)$/.test(callee.childForFieldName('attribute')?.text ?? '');
      const whole = split ? callee!.childForFieldName('object')! : right;
      if (!usable(whole)) return unknown;
      parts.push(split ? whole.text : `*${whole.text}`);
      lines = true;
      continue;
    }
    return unknown;
  }
  // A long help text is not copied into a second place: the title says which popup it was.
  if (parts.length > MAX_LABELS) return { unknown: drawName, why: `whose ${parts.length} labels are too many to copy here` };
  return parts.length > 0 ? { parts, lines } : unknown;
}

/** What the popup at `call` shows, from its draw function (a lambda or a def this file holds). */
function popupMessage(call: SyntaxNode, draw: SyntaxNode | undefined): Message {
  if (!draw) return { unknown: '?' };
  if (draw.type === 'lambda') {
    const params = draw.childForFieldName('parameters')?.namedChildren ?? [];
    const self = params[0]?.type === 'identifier' ? params[0].text : null;
    const body = draw.childForFieldName('body');
    const f = body?.type === 'call' ? body.childForFieldName('function') : null;
    const layout = f?.type === 'attribute' && f.childForFieldName('attribute')?.text === 'label' ? f.childForFieldName('object') : null;
    const unknown = { unknown: 'the lambda' };
    if (!self || !layout || layout.text.replace(/\s+/g, '') !== `${self}.layout`) return unknown;
    const args = body!.childForFieldName('arguments');
    const { positional, keywords } = args?.type === 'argument_list' ? argumentsOf(args) : { positional: [], keywords: new Map() };
    const text = keywords.get('text') ?? positional[0];
    const bound = new Set(params.map((p) => p.text));
    if (!text || text.startPosition.row !== text.endPosition.row || [...readNames(text)].some((n) => bound.has(n))) return unknown;
    return { parts: [text.text] };
  }
  if (draw.type !== 'identifier') return { unknown: draw.text.split('\n')[0] };
  const def = findDefinition(draw.text, call);
  return def ? drawnTexts(def, call, draw.text) : { unknown: draw.text };
}

// ---------------------------------------------------------------------------------------------------
// The print statement.

/** The quote the file's code uses most near `node`: the first string of the call, else the file's. */
function quoteOf(ctx: RuleContext, call: SyntaxNode): string {
  const first = call.descendantsOfType('string_start')[0]?.text;
  if (first) return first.slice(-1) === "'" ? "'" : '"';
  const singles = (ctx.source.match(/(^|[=(,\s])'/g) ?? []).length;
  const doubles = (ctx.source.match(/(^|[=(,\s])"/g) ?? []).length;
  return singles > doubles ? "'" : '"';
}

/** The arguments of `print(...)`: the title and the message parts; null when there is nothing to print. */
function printArguments(title: SyntaxNode | undefined, parts: string[], lines: boolean, quote: string): string[] | null {
  const args: string[] = [];
  if (title && !(title.type === 'string' && /^[a-zA-Z]*(''|"")$/.test(title.text))) {
    if (title.startPosition.row !== title.endPosition.row) return null;
    if (parts.length === 0) args.push(title.text);
    else if (title.type === 'string' && !/^[a-zA-Z]*[bB]/.test(title.text)) {
      // `"Error"` becomes `"Error:"`.
      const end = title.descendantsOfType('string_end')[0];
      const content = title.text.slice(0, end ? end.startIndex - title.startIndex : title.text.length);
      args.push(/:\s*$/.test(content) || !end ? title.text : `${content}:${end.text}`);
    } else if (/^[\w.]+$/.test(title.text)) args.push(`f${quote}{${title.text}}:${quote}`);
    else args.push(title.text);
  }
  args.push(...parts);
  if (args.length === 0) return null;
  // Several labels are several lines of the popup: one line each.
  if (args.length > 1 && (parts.length > 1 || lines)) args.push(`sep=${quote}\\n${quote}`);
  return args;
}

/** `print(...)` on one line, or one argument a line where that line would be long. */
function printCall(args: string[], indent: string, unit: string, nl: string): string {
  const one = `print(${args.join(', ')})`;
  if (indent.replace(/\t/g, '    ').length + one.length <= 100 || args.length < 2) return one;
  return `print(${nl}${args.map((a) => `${indent}${unit}${a},${nl}`).join('')}${indent})`;
}

function shortCall(call: SyntaxNode): string {
  const f = call.childForFieldName('function')!;
  return `${f.text.replace(/\s+/g, '')}()`;
}

/** Wrap the statement: `if bpy.app.background:` print, `else:` the statement as it was. */
function wrapWithPrint(ctx: RuleContext, statement: SyntaxNode, args: string[]): { edits: Edit[]; print: string } | null {
  const edits = wrapStatements(ctx, statement, statement, 'bpy.app.background');
  if (!edits) return null;
  const head = edits[0];
  const header = 'if bpy.app.background:';
  const at = head.text.indexOf(header);
  if (at < 0) return null;
  const after = head.text.slice(at + header.length); // newline + the body's indent
  const body = after.slice(ctx.newline.length);
  const lineOpen = head.text.lastIndexOf('\n', at);
  const ifIndent = lineOpen >= 0 ? head.text.slice(lineOpen + 1, at) : lineIndent(ctx.source, head.start);
  const print = printCall(args, body, body.slice(ifIndent.length) || ctx.indentUnit, ctx.newline);
  const text = `${head.text.slice(0, at)}${header}${ctx.newline}${body}${print}${ctx.newline}${ifIndent}else:${ctx.newline}${body}`;
  return { edits: [{ ...head, text }, ...edits.slice(1)], print };
}

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
    const callbacks = callbackNames(ctx);
    for (const { call, receiver, method, args } of ctx.matches(CALL_QUERY)) {
      if (method.text === 'popover' && !/(^|\.)window_manager$|^wm$/.test(receiver.text.replace(/\s+/g, ''))) continue;
      const where = whereItRuns(call, callbacks);
      if (!where || isGuarded(call, mentionsBackground, { tryExcept: false })) continue;
      const data = { call: shortCall(call), where };
      if (DIALOGS.includes(method.text)) {
        ctx.report({ messageId: 'dialog', node: call, data });
        continue;
      }
      const statement = call.parent;
      if (statement?.type !== 'expression_statement' || statement.namedChildCount !== 1) {
        ctx.report({ messageId: 'popupManual', node: call, data: { ...data, reason: 'the call is part of a larger expression' } });
        continue;
      }
      const { positional, keywords } = argumentsOf(args);
      const draw = keywords.get('draw_func') ?? positional[0];
      const title = method.text === 'popup_menu' ? keywords.get('title') ?? positional[1] : undefined;
      const message = popupMessage(call, draw);
      const printArgs = printArguments(title, 'parts' in message ? message.parts : [], 'parts' in message && !!message.lines, quoteOf(ctx, call));
      if (!printArgs) {
        ctx.report({
          messageId: 'popupManual',
          node: call,
          data: { ...data, reason: 'the popup has no title and its text cannot be read as a fixed message' },
        });
        continue;
      }
      const wrap = wrapWithPrint(ctx, statement, printArgs);
      if (!wrap) {
        ctx.report({ messageId: 'popupManual', node: call, data: { ...data, reason: 'the call shares its line with other code' } });
        continue;
      }
      const imp = ensureImport(ctx, 'bpy', statement.startIndex);
      ctx.report({
        messageId: 'parts' in message ? 'popup' : 'popupTitleOnly',
        node: call,
        data: { ...data, print: wrap.print.includes('\n') ? 'print(…)' : wrap.print, draw: 'unknown' in message ? message.unknown : '', why: ('unknown' in message && message.why) || 'which bgsafe cannot read as a fixed message' },
        fix: {
          safety: 'safe',
          description: 'print the message in background mode, open the popup otherwise',
          edits: imp ? [imp, ...wrap.edits] : wrap.edits,
        },
      });
    }
  },
});
