// BGS010 mode-set-without-active: `bpy.ops.object.mode_set(...)` acts on the active object. Code that creates
// an object with `bpy.data.objects.new`, links it and calls mode_set without making it active fails headless
// (an empty scene has no active object: "Context missing active object") and enters the mode on some other
// object in the interface. Where the object is clearly the one meant, it is made active first; where objects
// were removed before the call, or the intent is unclear, the rule reports.
import type { SyntaxNode, RuleContext } from '../../src/types.js';
import { defineRule } from '../../src/rule.js';
import { functionAround, methodClass, parameterNames } from '../../src/syntax/functions.js';
import { compactText, identifiersNamed, stringValue } from '../../src/syntax/names.js';
import { endsLine, lineIndent, startsLine } from '../../src/syntax/source.js';
import { createdObjects, linkedAndUsed, type Created, type Site } from './objects.js';

const CALL_QUERY = '(call function: (_) @callee arguments: (argument_list) @args) @call';

const ERROR_TEXT = 'RuntimeError: Operator bpy.ops.object.mode_set.poll() Context missing active object';

/** Methods that only run with a UI: mode_set there has the user's active object. */
const UI_METHODS = new Set(['invoke', 'modal', 'draw', 'draw_header', 'draw_item']);

/** Code that makes an object active or reads the active object: after it the author has thought about it. */
const ACTIVE_TEXT = /\bobjects\s*\.\s*active\b|\bactive_object\b|\bcontext\s*\.\s*(object|edit_object)\b/;
/** Operators that add an object and make it active (`bpy.ops.mesh.primitive_cube_add`, `object.add`, imports). */
const ADDS_ACTIVE = /^bpy\.ops\.(\w+\.primitive_\w+|object\.\w*add\w*|object\.duplicate\w*|import_\w+\.\w+|wm\.\w+_import)$/;
/** Calls that remove objects: the active object may be gone after them. */
const REMOVES = /^(bpy\.data\.objects\.remove|bpy\.ops\.object\.delete)$/;
/** Collections in the view layer, to which a linked object can be made active. */
const VIEW_LAYER_COLLECTION = /^((bpy\.)?context\.(scene\.)?collection|(bpy\.)?context\.scene\.collection)\.objects$/;
/** The texts a finding needs (callees as written, whitespace allowed between their parts): the mode_set call,
 *  and before it an object made with `bpy.data.objects.new` or a removal (REMOVES). Without them in the file,
 *  or in the function's text before the call, nothing can be found there. */
const MODE_SET_TEXT = /\bbpy\s*\.\s*ops\s*\.\s*object\s*\.\s*mode_set\b/;
const CREATES_OR_REMOVES_TEXT = /\bbpy\s*\.\s*(data\s*\.\s*objects\s*\.\s*(new|remove)|ops\s*\.\s*object\s*\.\s*delete)\b/;

export const modeSetWithoutActive = defineRule({
  code: 'BGS010',
  slug: 'mode-set-without-active',
  summary: '`bpy.ops.object.mode_set()` right after creating an object with `bpy.data` (or removing objects) without making it active',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'Calls of `bpy.ops.object.mode_set(...)` in a function (not in `invoke`, `modal` or `draw`, which run with the ' +
      'user\'s active object) where nothing earlier in the function sets or reads the active object ' +
      '(`view_layer.objects.active = …`, `context.active_object`, `context.object`, an `add`/`primitive_*`/import ' +
      'operator that makes its new object active), the call is not behind a check of the active object or in a ' +
      '`try`, and either: (a) an object was created with `bpy.data.objects.new(...)` and linked earlier in the same ' +
      'or an enclosing block, or (b) objects were removed earlier (`bpy.data.objects.remove`, ' +
      '`bpy.ops.object.delete`). A created object followed by `mode_set(mode=\'OBJECT\')` is left alone: that call leaves ' +
      'the mode of the object active now, which is what such code means. `bpy.ops.object.select_all(...)` and `obj.select_set(True)` do not count: they do not ' +
      'make an object active. Not found: mode_set with no sign in the function that the active object may be missing ' +
      '(an operator that works on the user\'s active object), and objects passed to a helper between their creation ' +
      'and the mode_set (the helper may make them active).',
    whyItBreaks:
      '`mode_set` works on the active object (`view_layer.objects.active`). Measured with `blender -b --factory-startup ' +
      '--python` in Blender 3.4.1 and 4.3.2: the default cube is active at start, so mode_set works; an object created ' +
      'with `bpy.data.objects.new` and linked to the scene is not made active, so `mode_set(mode=\'EDIT\')` then enters ' +
      'Edit Mode on the cube instead (no error); with no active object (all objects removed, an empty scene, a file ' +
      `without one) it raises \`${ERROR_TEXT}\` in both versions (also after \`bpy.ops.object.select_all(action='SELECT')\` ` +
      'and `obj.select_set(True)`: selecting does not make active). Setting `view_layer.objects.active = obj` first makes ' +
      'it work in both versions; for an object not linked to the view layer that assignment itself raises ' +
      '`RuntimeError: Error: ViewLayer \'ViewLayer\' does not contain object \'<name>\'`.',
    example: {
      before: [
        'def execute(self, context):',
        '    mesh = bpy.data.meshes.new("Panel")',
        '    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (1, 1, 0)], [], [(0, 1, 2)])',
        '    obj = bpy.data.objects.new("Panel", mesh)',
        '    context.collection.objects.link(obj)',
        "    bpy.ops.object.mode_set(mode='EDIT')",
        '    bm = bmesh.from_edit_mesh(obj.data)',
        '',
      ].join('\n'),
      after: [
        'def execute(self, context):',
        '    mesh = bpy.data.meshes.new("Panel")',
        '    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (1, 1, 0)], [], [(0, 1, 2)])',
        '    obj = bpy.data.objects.new("Panel", mesh)',
        '    context.collection.objects.link(obj)',
        '    context.view_layer.objects.active = obj',
        "    bpy.ops.object.mode_set(mode='EDIT')",
        '    bm = bmesh.from_edit_mesh(obj.data)',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Applied only where the object is clearly the one meant: exactly one object created with `bpy.data.objects.new` ' +
      'and linked to the scene\'s or the context\'s collection earlier in the same or an enclosing block, not handed to ' +
      'another function in between, used again after the mode_set, and a mode that is entered on an object (not ' +
      '`\'OBJECT\'`, not `toggle=True`). Then `view_layer.objects.active = obj` goes on its own line before the ' +
      'mode_set (through the function\'s `context` parameter where it has one, else `bpy.context`). In the interface ' +
      'this changes which object the mode is entered on only where the code used to enter it on an object other ' +
      'than the one it had just made and goes on to use, and the new object stays active afterwards, as Blender\'s ' +
      'own Add operators leave it. Everything else is reported with what to do by hand: make the object to edit ' +
      'active first (`bpy.context.view_layer.objects.active = obj`), linking it to the scene first if it is not.',
  },
  messages: {
    setActive:
      '`{call}` in {where} acts on the active object, but `{object}` (made with `bpy.data.objects.new` above) was never ' +
      `made active: with no active object, as in an empty scene headless, it raises \`${ERROR_TEXT}\`, and otherwise ` +
      'it enters the mode on another object; `{ctx}.view_layer.objects.active = {object}` is set first',
    createdManual:
      '`{call}` in {where} acts on the active object, but `{object}` (made with `bpy.data.objects.new` above) was never ' +
      `made active: with no active object, as in an empty scene headless, it raises \`${ERROR_TEXT}\`, and otherwise ` +
      'it acts on another object. Not fixed automatically because {reason}. By hand: {manual}',
    afterRemoval:
      '`{call}` in {where} acts on the active object, and `{removal}` above may have removed it: with no active ' +
      `object it raises \`${ERROR_TEXT}\`. By hand: make the object to work on active first ` +
      '(`bpy.context.view_layer.objects.active = obj`, with `obj` linked to the scene)',
  },
  // A finding needs an object made with `bpy.data.objects.new` or objects removed (REMOVES) as well as the
  // mode_set call, which check() looks for first; these are the rarer of the two (written without spaces).
  prefilter: ['objects.new', 'objects.remove', 'object.delete'],
  errorPatterns: [/Operator bpy\.ops\.object\.mode_set\.poll\(\) Context missing active object/],

  check(ctx) {
    if (!MODE_SET_TEXT.test(ctx.source) || !CREATES_OR_REMOVES_TEXT.test(ctx.source)) return;
    // The calls `….mode_set(...)`, found from the name (a query over every call of the file costs far more).
    for (const name of identifiersNamed(ctx.tree, ctx.source, ['mode_set'])) {
      const callee = name.parent;
      const call = callee?.parent;
      if (callee?.type !== 'attribute' || call?.type !== 'call' || call.startIndex !== callee.startIndex) continue;
      const args = call.childForFieldName('arguments');
      if (args?.type !== 'argument_list' || compactText(callee) !== 'bpy.ops.object.mode_set') continue;
      const site = modeSetSite(ctx, call);
      if (site) checkModeSet(ctx, site, args);
    }
  },
});

type MessageId = 'setActive' | 'createdManual' | 'afterRemoval';

/** The call's site, or null where the active object is not in question: outside a function, in UI code,
 *  behind a check, after code that sets or reads the active object. */
function modeSetSite(ctx: RuleContext, call: SyntaxNode): Site | null {
  const fn = functionAround(call);
  if (!fn || fn.type !== 'function_definition') return null;
  if (UI_METHODS.has(fn.childForFieldName('name')?.text ?? '')) return null;
  const body = fn.childForFieldName('body');
  if (!body) return null;
  const statement = call.parent;
  if (statement?.type !== 'expression_statement' || statement.parent?.type !== 'block') return null;
  // A finding needs an object made, or objects removed, earlier in the function.
  if (!CREATES_OR_REMOVES_TEXT.test(ctx.source.slice(body.startIndex, statement.startIndex))) return null;
  if (behindActiveCheck(call, fn)) return null;
  if (ACTIVE_TEXT.test(textBefore(ctx, body, statement, fn))) return null;

  const before = (n: SyntaxNode): boolean => n.endIndex <= statement.startIndex && functionAround(n)?.id === fn.id;
  const fnCalls = ctx.matches(CALL_QUERY, body).filter(({ call: c }) => functionAround(c)?.id === fn.id);
  if (fnCalls.some(({ call: c, callee }) => before(c) && ADDS_ACTIVE.test(compactText(callee)))) return null;
  const data = {
    call: statement.text.split('\n')[0].trim(),
    where: whereOf(fn),
    ctx: parameterNames(fn).includes('context') ? 'context' : 'bpy.context',
  };
  return { call, statement, body, fnCalls, before, data };
}

/** The finding for one mode_set call, if any: after a removal, or after an object made with
 *  `bpy.data.objects.new` that was never made active (fixed where that object is clearly the one meant). */
function checkModeSet(ctx: RuleContext<MessageId>, site: Site, args: SyntaxNode): void {
  const { call, statement, data } = site;
  const created = createdObjects(ctx, site);
  const removal = site.fnCalls.find(({ call: c, callee }) => site.before(c) && REMOVES.test(compactText(callee)));
  if (created.length === 0) {
    if (removal) ctx.report({ messageId: 'afterRemoval', node: call, data: { ...data, removal: `${compactText(removal.callee)}(…)` } });
    return;
  }
  const usable = linkedAndUsed(ctx, site, created);
  // An object handed to a helper may have been made active there: the author's intent is not clear.
  if (!usable) return;
  // The object meant: the one usable object, else (for the message) the last one created.
  const named = usable.length === 1 ? usable[0] : created[created.length - 1];
  const mode = modeOf(args);
  // `mode='OBJECT'` leaves the mode of the object that is active now, which is what such code means.
  if (mode.mode === 'OBJECT') return;
  const why = whyNotFixed(ctx, site, created, usable, named, mode);
  if (why) {
    ctx.report({ messageId: 'createdManual', node: call, data: { ...data, object: named.name, ...why } });
    return;
  }
  const indent = lineIndent(ctx.source, statement.startIndex);
  ctx.report({
    messageId: 'setActive',
    node: call,
    data: { ...data, object: named.name },
    fix: {
      safety: 'safe',
      description: `make \`${named.name}\` active before the mode_set`,
      edits: [{ start: statement.startIndex, end: statement.startIndex, text: `${data.ctx}.view_layer.objects.active = ${named.name}${ctx.newline}${indent}` }],
    },
  });
}

/** Why the fix (make `named` active first) is not applied, with what to do by hand; null when it is. */
function whyNotFixed(
  ctx: RuleContext,
  { statement, data }: Site,
  created: Created[],
  usable: Created[],
  named: Created,
  mode: ReturnType<typeof modeOf>,
): { reason: string; manual: string } | null {
  const manual = `make the object to work on active first: \`${data.ctx}.view_layer.objects.active = ${named.name}\``;
  if (usable.length !== 1) {
    if (!created.some((c) => c.link)) {
      return {
        reason: `\`${named.name}\` is not linked to a collection before the call (an object outside the view layer cannot be made active)`,
        manual: `link it first (\`${data.ctx}.collection.objects.link(${named.name})\`), then \`${data.ctx}.view_layer.objects.active = ${named.name}\``,
      };
    }
    if (usable.length > 1) {
      return {
        reason: `several objects are made before it (${usable.map((c) => `\`${c.name}\``).join(', ')}) and it is unclear which one the mode is meant for`,
        manual: `make the one the mode is meant for active first (${usable.map((c) => `\`${data.ctx}.view_layer.objects.active = ${c.name}\``).join(' or ')})`,
      };
    }
    return { reason: `\`${named.name}\` is not used after the call, so it is unclear that the mode is meant for it`, manual };
  }
  const collection = compactText(named.link!.childForFieldName('function')!).replace(/\.link$/, '');
  if (!VIEW_LAYER_COLLECTION.test(collection)) {
    return {
      reason: `\`${named.name}\` is linked to \`${collection}\`, which may not be in the view layer (then it cannot be made active)`,
      manual: `make sure its collection is linked to the scene, then \`${data.ctx}.view_layer.objects.active = ${named.name}\``,
    };
  }
  if (mode.mode === null || mode.toggle) {
    return { reason: mode.toggle ? 'it toggles the mode' : `the mode (\`${mode.text || '…'}\`) is not a plain string`, manual };
  }
  if (!startsLine(ctx.source, statement.startIndex) || !endsLine(ctx.source, statement.endIndex)) {
    return { reason: 'the call shares its line with other code', manual };
  }
  return null;
}

/** The `mode` keyword of a mode_set call (operator properties are keywords only) and whether it toggles. */
function modeOf(args: SyntaxNode): { mode: string | null; toggle: boolean; text: string } {
  let mode: SyntaxNode | null = null;
  let toggle = false;
  for (const a of args.namedChildren) {
    if (a.type !== 'keyword_argument') continue;
    const name = a.childForFieldName('name')?.text;
    const value = a.childForFieldName('value');
    if (name === 'mode') mode = value;
    if (name === 'toggle' && value?.type !== 'false') toggle = true;
  }
  return { mode: stringValue(mode), toggle, text: mode?.text ?? '' };
}

/** Where a function runs, for the message: `` `Class.method()` `` or `` `function()` ``. */
function whereOf(fn: SyntaxNode): string {
  const name = fn.childForFieldName('name')?.text ?? '?';
  const cls = methodClass(fn)?.childForFieldName('name')?.text;
  return cls ? `\`${cls}.${name}()\`` : `\`${name}()\``;
}

/** The function's text before `statement`, without nested function bodies. */
function textBefore(ctx: RuleContext, body: SyntaxNode, statement: SyntaxNode, fn: SyntaxNode): string {
  let text = ctx.source.slice(body.startIndex, statement.startIndex);
  for (const inner of body.descendantsOfType(['function_definition', 'lambda'])) {
    if (inner.id === fn.id || inner.endIndex > statement.startIndex) continue;
    const s = inner.startIndex - body.startIndex;
    const e = inner.endIndex - body.startIndex;
    text = text.slice(0, s) + ' '.repeat(e - s) + text.slice(e);
  }
  return text;
}

/** The call sits behind a check of the active object or inside a try with an except. */
function behindActiveCheck(call: SyntaxNode, fn: SyntaxNode): boolean {
  let child = call;
  for (let p = call.parent; p && p.id !== fn.id; child = p, p = p.parent) {
    if (p.type === 'try_statement' && p.childForFieldName('body')?.id === child.id && p.namedChildren.some((c) => c.type === 'except_clause')) return true;
    if (p.type === 'if_statement' || p.type === 'elif_clause' || p.type === 'while_statement') {
      const cond = p.childForFieldName('condition');
      if (cond && cond.id !== child.id && ACTIVE_TEXT.test(cond.text)) return true;
    }
  }
  return false;
}
