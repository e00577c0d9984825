// BGS010 mode-set-without-active: `bpy.ops.object.mode_set(...)` acts on the active object. Code that creates
// an object with `bpy.data.objects.new`, links it and calls mode_set without making it active fails headless
// (an empty scene has no active object: "Context missing active object") and enters the mode on some other
// object in the interface. Where the object is clearly the one meant, it is made active first; where objects
// were removed before the call, or the intent is unclear, the rule reports.
import type { SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';
import { endsLine, lineIndent, startsLine } from '../src/syntax/source.js';

const CALL_QUERY = '(call function: (_) @callee arguments: (argument_list) @args) @call';
const ASSIGN_QUERY = '(assignment left: (_) @left right: (_) @right) @assign';

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

function flat(n: SyntaxNode): string {
  return n.text.replace(/\s+/g, '');
}

function nearestFunction(node: SyntaxNode): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'function_definition' || p.type === 'lambda') return p;
  return null;
}

function parameterNames(fn: SyntaxNode): string[] {
  const params = fn.childForFieldName('parameters');
  if (!params) return [];
  return params.namedChildren.map((p) => (p.type === 'identifier' ? p.text : (p.childForFieldName('name') ?? p.firstNamedChild)?.text ?? ''));
}

function within(node: SyntaxNode, outer: SyntaxNode): boolean {
  return node.startIndex >= outer.startIndex && node.endIndex <= outer.endIndex;
}

/** The string value of a simple string literal, else null. */
function stringValue(n: SyntaxNode | null | undefined): string | null {
  if (!n || n.type !== 'string') return null;
  const m = /^[rRuU]?(['"])(.*)\1$/s.exec(n.text);
  return m && !m[2].includes('\\') ? m[2] : null;
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

interface Created {
  name: string;
  /** The statement `obj = bpy.data.objects.new(...)`. */
  statement: SyntaxNode;
  /** The object's data, when passed as a plain name (`bpy.data.objects.new("o", mesh)`). */
  data: string | null;
  link: SyntaxNode | null;
}

/** Where a function runs, for the message. */
function whereOf(fn: SyntaxNode): string {
  const name = fn.childForFieldName('name')?.text ?? '?';
  let holder = fn.parent;
  if (holder?.type === 'decorated_definition') holder = holder.parent;
  const cls = holder?.type === 'block' && holder.parent?.type === 'class_definition' ? holder.parent.childForFieldName('name')?.text : null;
  return cls ? `\`${cls}.${name}()\`` : `\`${name}()\``;
}

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
  prefilter: ['mode_set'],
  errorPatterns: [/Operator bpy\.ops\.object\.mode_set\.poll\(\) Context missing active object/],

  check(ctx) {
    const calls = ctx.matches(CALL_QUERY);
    const modeSets = calls.filter(({ callee }) => flat(callee) === 'bpy.ops.object.mode_set');
    if (modeSets.length === 0) return;

    for (const { call, args } of modeSets) {
      const fn = nearestFunction(call);
      if (!fn || fn.type !== 'function_definition') continue;
      const name = fn.childForFieldName('name')?.text ?? '';
      if (UI_METHODS.has(name)) continue;
      const body = fn.childForFieldName('body');
      if (!body) continue;
      const statement = call.parent;
      if (statement?.type !== 'expression_statement' || statement.parent?.type !== 'block') continue;
      if (isGuarded(call, fn)) continue;
      if (ACTIVE_TEXT.test(textBefore(ctx, body, statement, fn))) continue;

      const before = (n: SyntaxNode): boolean => n.endIndex <= statement.startIndex && nearestFunction(n)?.id === fn.id;
      const fnCalls = calls.filter(({ call: c }) => within(c, body) && nearestFunction(c)?.id === fn.id);
      if (fnCalls.some(({ call: c, callee }) => before(c) && ADDS_ACTIVE.test(flat(callee)))) continue;

      const data = {
        call: statement.text.split('\n')[0].trim(),
        where: whereOf(fn),
        ctx: parameterNames(fn).includes('context') ? 'context' : 'bpy.context',
      };

      // Objects created with bpy.data.objects.new in this block or an enclosing one, before the call.
      const created: Created[] = [];
      for (const { assign, left, right } of ctx.matches(ASSIGN_QUERY, body)) {
        if (left.type !== 'identifier' || right.type !== 'call' || !before(assign)) continue;
        if (flat(right.childForFieldName('function')!) !== 'bpy.data.objects.new') continue;
        const s = assign.parent;
        if (s?.type !== 'expression_statement' || !s.parent || !within(statement, s.parent)) continue;
        const second = right.childForFieldName('arguments')?.namedChildren.filter((a) => a.type !== 'comment')[1];
        const existing = created.findIndex((c) => c.name === left.text);
        if (existing >= 0) created.splice(existing, 1);
        created.push({ name: left.text, statement: s, data: second?.type === 'identifier' ? second.text : null, link: null });
      }
      const removal = fnCalls.find(({ call: c, callee }) => before(c) && REMOVES.test(flat(callee)));

      if (created.length === 0) {
        if (removal) ctx.report({ messageId: 'afterRemoval', node: call, data: { ...data, removal: `${flat(removal.callee)}(…)` } });
        continue;
      }

      // Which of them: linked before the call, not handed to another function, used after it.
      const identifiersAfter = body.descendantsOfType('identifier').filter((id) => id.startIndex >= statement.endIndex);
      const usable: Created[] = [];
      let handedOver = false;
      for (const c of created) {
        for (const { call: k, callee, args: a } of fnCalls) {
          if (!before(k) || k.startIndex < c.statement.endIndex) continue;
          const passes = a.namedChildren.some((arg) => arg.text === c.name || (arg.type === 'keyword_argument' && arg.childForFieldName('value')?.text === c.name));
          if (!passes) continue;
          if (/\.objects\.link$/.test(flat(callee)) && a.namedChildren[0]?.text === c.name) {
            const s = k.parent;
            if (s?.type === 'expression_statement' && s.parent && within(statement, s.parent)) c.link = k;
          } else {
            handedOver = true;
          }
        }
        if (reassignedBetween(ctx, body, c, statement)) continue;
        const used = identifiersAfter.some((id) => id.text === c.name || (c.data !== null && id.text === c.data));
        if (c.link && used) usable.push(c);
      }
      // An object handed to a helper may have been made active there: the author's intent is not clear.
      if (handedOver) continue;
      const target = usable.length === 1 ? usable[0] : null;
      const named = target ?? created[created.length - 1];
      const mode = modeOf(args);
      // `mode='OBJECT'` leaves the mode of the object that is active now, which is what such code means.
      if (mode.mode === 'OBJECT') continue;
      let reason: string | null = null;
      let manual = `make the object to work on active first: \`${data.ctx}.view_layer.objects.active = ${named.name}\``;
      if (!target) {
        const linked = created.filter((c) => c.link);
        if (linked.length === 0) {
          reason = `\`${named.name}\` is not linked to a collection before the call (an object outside the view layer cannot be made active)`;
          manual = `link it first (\`${data.ctx}.collection.objects.link(${named.name})\`), then \`${data.ctx}.view_layer.objects.active = ${named.name}\``;
        } else if (usable.length > 1) {
          reason = `several objects are made before it (${usable.map((c) => `\`${c.name}\``).join(', ')}) and it is unclear which one the mode is meant for`;
          manual = `make the one the mode is meant for active first (${usable.map((c) => `\`${data.ctx}.view_layer.objects.active = ${c.name}\``).join(' or ')})`;
        } else {
          reason = `\`${named.name}\` is not used after the call, so it is unclear that the mode is meant for it`;
        }
      } else if (!VIEW_LAYER_COLLECTION.test(flat(target.link!.childForFieldName('function')!).replace(/\.link$/, ''))) {
        reason = `\`${target.name}\` is linked to \`${flat(target.link!.childForFieldName('function')!).replace(/\.link$/, '')}\`, which may not be in the view layer (then it cannot be made active)`;
        manual = `make sure its collection is linked to the scene, then \`${data.ctx}.view_layer.objects.active = ${target.name}\``;
      } else if (mode.mode === null || mode.toggle) {
        reason = mode.toggle ? 'it toggles the mode' : `the mode (\`${mode.text || '…'}\`) is not a plain string`;
      } else if (!startsLine(ctx.source, statement.startIndex) || !endsLine(ctx.source, statement.endIndex)) {
        reason = 'the call shares its line with other code';
      }
      if (reason) {
        ctx.report({ messageId: 'createdManual', node: call, data: { ...data, object: named.name, reason, manual } });
        continue;
      }
      const indent = lineIndent(ctx.source, statement.startIndex);
      ctx.report({
        messageId: 'setActive',
        node: call,
        data: { ...data, object: target!.name },
        fix: {
          safety: 'safe',
          description: `make \`${target!.name}\` active before the mode_set`,
          edits: [{ start: statement.startIndex, end: statement.startIndex, text: `${data.ctx}.view_layer.objects.active = ${target!.name}${ctx.newline}${indent}` }],
        },
      });
    }
  },
});

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
function isGuarded(call: SyntaxNode, fn: SyntaxNode): boolean {
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

/** `name` is bound again between its creation and the call. */
function reassignedBetween(ctx: RuleContext, body: SyntaxNode, c: Created, statement: SyntaxNode): boolean {
  return ctx.matches(ASSIGN_QUERY, body).some(({ assign, left }) =>
    left.type === 'identifier' && left.text === c.name && assign.startIndex > c.statement.endIndex && assign.endIndex <= statement.startIndex);
}
