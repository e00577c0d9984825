// BGS003: `bpy.context.scene`, `bpy.data.objects`, … in code that runs while an add-on is enabled.
// addon_utils.enable() imports the add-on and calls register() under `RestrictBlend`: bpy.context is a
// `_RestrictContext` (only `window_manager` and `preferences`) and bpy.data a `_RestrictData` (nothing), in the
// GUI as well as headless. The fix moves the statements of register() that need them into a persistent
// load_post handler, which Blender runs after each .blend is loaded (the start-up file too), headless as well
// (timers, the usual GUI answer, never fire in background mode).
import { defineRule } from '../../src/rule.js';
import { enclosingFunction, isGuarded } from '../../src/syntax/scope.js';
import type { RuleContext, SyntaxNode } from '../../src/types.js';
import { HANDLER_COMMENT, HANDLER_NAME, planFix, type Plan } from './plan.js';
import { moduleOf, runsOf, type Module, type Runs, type When } from './runs.js';
import { firstLine } from './side-effects.js';
import { aliasUses, bpyUses, type AliasBinding, type Use } from './uses.js';

/** What the restricted context still has while an add-on loads. */
const ALLOWED_CONTEXT = new Set(['window_manager', 'preferences']);

type MessageId = 'deferToLoadPost' | 'deferNoFix' | 'atImport' | 'capturedAtImport' | 'inClassRegister';

const BY_HAND =
  'By hand: move this work into a function decorated with `@bpy.app.handlers.persistent` that takes ' +
  '`*args`, append it to `bpy.app.handlers.load_post` in register() and remove it in unregister() ' +
  '(`if f in bpy.app.handlers.load_post: bpy.app.handlers.load_post.remove(f)`); it then runs after each ' +
  '.blend is loaded, headless too (timers never fire in background mode). Work that must happen once (creating ' +
  'data) belongs in an operator or where the data is first needed instead';

export const restrictedContextInRegister = defineRule({
  code: 'BGS003',
  slug: 'restricted-context-in-register',
  summary: '`bpy.context.scene`, `bpy.data.objects`, … used while the add-on is imported or registered',
  fixKind: 'unsafe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      '`bpy.context.<attribute>` (anything but `window_manager` and `preferences`: `scene`, `view_layer`, ' +
      '`active_object`, `object`, `selected_objects`, `mode`, …) and `bpy.data.<attribute>` (`objects`, ' +
      '`scenes[0]`, `filepath`, …) in code that runs while the add-on is enabled: in register() and the ' +
      "functions of the same file it calls, in a class's `register()` classmethod, and at import (module level, " +
      'class bodies, functions called at module level) of a file with `bl_info` or `register()`. Also ' +
      '`from bpy import context` / `C = bpy.context` at module level, which keep the restricted object for good. ' +
      'Left alone: code inside a try/except or behind a check for the restriction ' +
      '(`hasattr(bpy.data, "objects")`), `getattr(bpy.context, "scene", None)`, operator, panel, draw and ' +
      'handler code, code under `if __name__ == "__main__":`, and scripts without `bl_info`/`register()` ' +
      '(presets, `--python` scripts).',
    whyItBreaks:
      'addon_utils.enable() imports the add-on and calls its register() inside `RestrictBlend`: `bpy.context` ' +
      'is replaced by a `_RestrictContext` that has only `window_manager` and `preferences`, and `bpy.data` by ' +
      'an empty `_RestrictData`. This happens in the GUI too (enabling in Preferences, or at start-up from saved ' +
      "preferences), not only headless. `bpy.context.scene` raises `AttributeError: '_RestrictContext' object " +
      "has no attribute 'scene'`; `bpy.data.objects` raises `AttributeError: '_RestrictData' object has no " +
      "attribute 'objects'`; the caveats guide's `bpy.data.scenes[0]` fails the same way (`... no attribute " +
      "'scenes'`). register() stops there and the add-on is not enabled. A module-level `from bpy import " +
      'context` keeps the `_RestrictContext` for good, so later uses fail the same way. Measured in Blender ' +
      '3.4.1 and 4.3.2. When a persistent load_post handler runs (measured in both): after the start-up file ' +
      'loads when the add-on is enabled at start-up from preferences (`blender -b`, also before a .blend given ' +
      'on the command line, which gets a second call), after every `wm.read_homefile()` / ' +
      '`wm.open_mainfile()`; not when the add-on is enabled by `--addons` or `addon_utils.enable()` until a ' +
      'file is loaded afterwards (`--addons x file.blend` runs it, `file.blend --addons x` does not). Its ' +
      "arguments differ by version (3.4.1: `(None, None)`; 4.3.2: `(filepath, None)`), hence `*_args`. A " +
      'handler without `@persistent` is dropped when a file loads. bpy.app.timers never fire in background ' +
      'mode, so a timer is no headless answer.',
    example: {
      before: [
        'def register():',
        '    bpy.utils.register_class(SceneTally)',
        '    bpy.types.Scene.tally = bpy.props.PointerProperty(type=SceneTally)',
        '    bpy.context.scene.tally.step = 2',
        '',
        '',
        'def unregister():',
        '    del bpy.types.Scene.tally',
        '    bpy.utils.unregister_class(SceneTally)',
        '',
      ].join('\n'),
      after: [
        '@bpy.app.handlers.persistent',
        `def ${HANDLER_NAME}(*_args):`,
        `    ${HANDLER_COMMENT}`,
        '    bpy.context.scene.tally.step = 2',
        '',
        '',
        'def register():',
        '    bpy.utils.register_class(SceneTally)',
        '    bpy.types.Scene.tally = bpy.props.PointerProperty(type=SceneTally)',
        `    bpy.app.handlers.load_post.append(${HANDLER_NAME})`,
        '',
        '',
        'def unregister():',
        `    if ${HANDLER_NAME} in bpy.app.handlers.load_post:`,
        `        bpy.app.handlers.load_post.remove(${HANDLER_NAME})`,
        '    del bpy.types.Scene.tally',
        '    bpy.utils.unregister_class(SceneTally)',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Unsafe (applied with --unsafe-fixes): the code never worked as written when the add-on is enabled, but ' +
      'the fix decides when the work runs instead: after each .blend is loaded (the start-up file, File > New, ' +
      'File > Open, `wm.open_mainfile()`), not at the moment the add-on is enabled. Enabled in Preferences of a ' +
      'running GUI session (or when a script calls register() directly), the work waits for the next file ' +
      'load; it also runs again for every file, so a value it sets overwrites the one saved in the file. The handler does not remove itself (removing a ' +
      "handler while Blender calls the list makes Blender skip the next handler, measured). Moved: the top-level " +
      'statements of register() that need the context or data (or call a function of the file that does), ' +
      'and the statements after them that use names they set; they must be assignments, `for`/`if` ' +
      'statements or calls that only read or compute (`len`, `getattr`, `.get`, …), and set only attributes ' +
      'or items of `bpy.context.…`, `bpy.data.…` or names bound in the moved statements. Report only, with the ' +
      'manual fix, where the statements call anything that may create or register something (`.new()`, ' +
      '`bpy.ops`, `register_class`: repeated on every load), set something else (a class attribute, a ' +
      'module-level name), use local variables of register(), set names ' +
      'register() uses later, add up (`+=`), share a line, where register() can return early, or where there ' +
      'is no unregister(); and for code at import or in a class `register()` classmethod.',
  },
  messages: {
    deferToLoadPost:
      "`{access}` raises `AttributeError: '{restricted}' object has no attribute '{attr}'` while {where} runs " +
      '(the add-on fails to enable, in the GUI too); {count} moved to `{handler}`, a persistent load_post ' +
      'handler that runs after each .blend is loaded (the start-up file too, headless too) instead of at enable time',
    deferNoFix:
      "`{access}` raises `AttributeError: '{restricted}' object has no attribute '{attr}'` while {where} runs, " +
      `so the add-on fails to enable, in the GUI too. No automatic fix because {reason}. ${BY_HAND}`,
    atImport:
      "`{access}` raises `AttributeError: '{restricted}' object has no attribute '{attr}'` {where}: add-on " +
      'modules are imported while bpy.context and bpy.data are restricted, so the add-on fails to enable, in ' +
      `the GUI too. ${BY_HAND}; or compute the value where it is used`,
    capturedAtImport:
      '`{binding}` runs while the add-on is imported, when `bpy.{which}` is the restricted `{restricted}`: ' +
      '`{name}` keeps it for good, so `{name}.{example}` raises AttributeError whenever it runs, in the GUI ' +
      'too. By hand: remove it and write `bpy.{which}` where it is used (or the `context` argument of ' +
      'operators, panels and handlers)',
    inClassRegister:
      "`{access}` raises `AttributeError: '{restricted}' object has no attribute '{attr}'`: `{cls}.register()` " +
      'runs from register_class() inside the add-on\'s register(), while bpy.context and bpy.data are ' +
      `restricted. ${BY_HAND}`,
  },
  prefilter: ['bpy.context', 'bpy.data', 'from bpy import'],
  errorPatterns: [/'_RestrictContext' object has no attribute/, /'_RestrictData' object has no attribute/],

  check(ctx) {
    const m = moduleOf(ctx.tree.rootNode);
    if (!m.isAddon && ctx.model.moduleCount < 2) return;
    const { uses, bindings } = bpyUses(ctx.source, ctx.tree.rootNode);
    if (uses.length === 0 && bindings.length === 0) return;
    const runs = runsOf(ctx, m);
    const aliases = bindAliases(ctx, runs, bindings);
    const accesses = restrictedAccesses(ctx, runs, [...uses, ...aliasUses(ctx.source, aliases.names, aliases.functions)]);
    reportAccesses(ctx, m, runs, accesses);
  },
});

/** An access to the restricted context that runs while the add-on is enabled. */
interface Access extends Use {
  when: When;
}

/** Names bound to bpy.context / bpy.data: at import they capture the restricted objects (reported here);
 *  inside a function they are aliases whose attributes count as accesses (returned: per function node id,
 *  alias → `context` / `data`, and the functions). */
function bindAliases(
  ctx: RuleContext<MessageId>,
  runs: Runs,
  bindings: AliasBinding[],
): { names: Map<number, Map<string, string>>; functions: Map<number, SyntaxNode> } {
  const names = new Map<number, Map<string, string>>();
  const functions = new Map<number, SyntaxNode>();
  for (const { binding, which, bound } of bindings) {
    const fn = enclosingFunction(binding);
    if (fn && fn.type !== 'lambda') {
      const map = names.get(fn.id) ?? new Map<string, string>();
      map.set(bound.text, which.text);
      names.set(fn.id, map);
      functions.set(fn.id, fn);
      continue;
    }
    if (!fn && runs.when(binding)?.kind === 'import') {
      ctx.report({
        messageId: 'capturedAtImport',
        node: binding,
        data: {
          binding: firstLine(binding.text),
          which: which.text,
          name: bound.text,
          restricted: restrictedName(which.text),
          example: which.text === 'context' ? 'scene' : 'objects',
        },
      });
    }
  }
  return { names, functions };
}

/** The uses that fail: not `window_manager`/`preferences`, running while the add-on is enabled, not behind a
 *  check for the restriction; the first of each statement of a function (or module) body, in source order. */
function restrictedAccesses(ctx: RuleContext, runs: Runs, uses: Use[]): Access[] {
  const accesses: Access[] = [];
  const seenStatements = new Set<number>();
  for (const use of uses) {
    const { node } = use;
    if (use.which === 'context' && ALLOWED_CONTEXT.has(use.attr)) continue;
    if (isGuarded(node, guardsRestriction)) continue;
    const when = runs.when(node);
    if (!when) continue;
    const fn = enclosingFunction(node);
    const top = fn ? fn.childForFieldName('body') : ctx.tree.rootNode;
    let stmt: SyntaxNode = node;
    for (let p = node.parent; p && p.id !== top?.id && p.id !== fn?.id; p = p.parent) stmt = p;
    if (seenStatements.has(stmt.id)) continue;
    seenStatements.add(stmt.id);
    accesses.push({ ...use, when });
  }
  return accesses.sort((a, b) => a.node.startIndex - b.node.startIndex);
}

/** One finding per access; those in register() (or reached from it) share one fix over the statements of
 *  register() that lead to them. */
function reportAccesses(ctx: RuleContext<MessageId>, m: Module, runs: Runs, accesses: Access[]): void {
  const initial = new Map<number, SyntaxNode>();
  for (const a of accesses) for (const s of runs.leadsTo(a.node, a.when)) initial.set(s.id, s);
  const plan = m.register && initial.size > 0
    ? planFix(ctx, m, m.register, [...initial.values()].sort((x, y) => x.startIndex - y.startIndex))
    : null;
  for (const a of accesses) reportAccess(ctx, m, a, plan, runs.leadsTo(a.node, a.when));
}

function reportAccess(ctx: RuleContext<MessageId>, m: Module, a: Access, plan: Plan | null, leads: SyntaxNode[]): void {
  const base = { access: a.node.text, restricted: restrictedName(a.which), attr: a.attr };
  const when = a.when;
  if (when.kind === 'import' || when.kind === 'import-call') {
    const where = when.kind === 'import' ? 'at import' : `in \`${when.fn.childForFieldName('name')?.text}()\`, called at import`;
    ctx.report({ messageId: 'atImport', node: a.node, data: { ...base, where } });
    return;
  }
  if (when.kind === 'other-file') {
    const reason = `it is reached from register() in \`${when.entryFile}\`, through another file`;
    ctx.report({ messageId: 'deferNoFix', node: a.node, data: { ...base, where: when.where.replace(/^in /, ''), reason } });
    return;
  }
  if (when.kind === 'class-register') {
    ctx.report({ messageId: 'inClassRegister', node: a.node, data: { ...base, cls: when.cls } });
    return;
  }
  const fnName = when.fn.childForFieldName('name')?.text ?? '';
  const where = when.fn.id === m.register?.id ? 'register()' : `\`${fnName}()\`, called from register(),`;
  if (!plan || leads.length === 0 || 'reason' in plan) {
    const reason = !plan || leads.length === 0 ? 'it is reached from register() only through other functions' : (plan as { reason: string }).reason;
    ctx.report({ messageId: 'deferNoFix', node: a.node, data: { ...base, where, reason } });
    return;
  }
  const count = plan.count === 1 ? 'the statement is' : `the ${plan.count} statements that need it are`;
  ctx.report({
    messageId: 'deferToLoadPost',
    node: a.node,
    data: { ...base, where, count, handler: plan.handler },
    fix: {
      safety: 'unsafe',
      description: `move the statements that need bpy.context/bpy.data into a load_post handler \`${plan.handler}\``,
      edits: plan.edits,
    },
  });
}

/** A condition that keeps the access from running restricted: it tests for the restriction itself. */
function guardsRestriction(text: string): boolean {
  return /_Restrict|hasattr\s*\(\s*bpy\.(context|data)\b|isinstance\s*\(\s*bpy\.(context|data)\b/.test(text);
}

function restrictedName(which: string): string {
  return which === 'context' ? '_RestrictContext' : '_RestrictData';
}
