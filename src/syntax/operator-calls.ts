// Operator calls (`bpy.ops.<group>.<name>(...)`) and the facts about where they sit that BGS006
// viewport-capture and BGS007 view3d-operator both need: code that only runs with a window, a context
// override passed to the call, and checks that keep a call from running headless.
import type { SyntaxNode, RuleContext } from '../types.js';
import { queryMatches } from '../parse.js';
import { positionalArgs } from './call-arguments.js';
import { functionAround, methodsOf, parameterNames } from './functions.js';
import { identifiersNamed } from './names.js';

export interface OperatorCall {
  call: SyntaxNode;
  /** `bpy.ops.view3d.view_all` as written (whitespace removed). */
  callee: string;
  group: string;
  name: string;
  args: SyntaxNode;
}

const BPY_OPS_QUERY = `(call
  function: (attribute
    object: (attribute
      object: (attribute object: (identifier) @bpy attribute: (identifier) @ops)
      attribute: (identifier) @group)
    attribute: (identifier) @name)
  arguments: (argument_list) @args) @call`;

const OPS_QUERY = `(call
  function: (attribute
    object: (attribute object: (identifier) @ops attribute: (identifier) @group)
    attribute: (identifier) @name)
  arguments: (argument_list) @args) @call`;

/** Only matches rooted at the node the query runs on. */
const ROOTED = { maxStartDepth: 0 };

/** Calls of `bpy.ops.<group>.<name>(...)` (and `ops.<group>.<name>(...)` after `from bpy import ops`). */
export function operatorCalls(ctx: RuleContext, groups: Set<string>): OperatorCall[] {
  const out: OperatorCall[] = [];
  // The calls the queries can match: the call three levels above a group's name (call > `….<group>.<name>`
  // > `….<group>` > the name), each checked alone; a query over every call of the file costs far more.
  const calls: SyntaxNode[] = [];
  for (const g of identifiersNamed(ctx.tree, ctx.source, [...groups])) {
    const call = g.parent?.parent?.parent;
    if (call?.type === 'call') calls.push(call);
  }
  if (calls.length === 0) return out;
  for (const m of calls.flatMap((c) => queryMatches(BPY_OPS_QUERY, c, ROOTED))) {
    if (m.bpy.text !== 'bpy' || m.ops.text !== 'ops' || !groups.has(m.group.text)) continue;
    out.push({ call: m.call, callee: `bpy.ops.${m.group.text}.${m.name.text}`, group: m.group.text, name: m.name.text, args: m.args });
  }
  if (/^[ \t]*from[ \t]+bpy[ \t]+import[^\n]*\bops\b/m.test(ctx.source)) {
    for (const m of calls.flatMap((c) => queryMatches(OPS_QUERY, c, ROOTED))) {
      if (m.ops.text !== 'ops' || !groups.has(m.group.text)) continue;
      // `bpy.ops.x.y` also matches here as `ops.x.y` inside it: only a bare `ops` counts.
      if (m.ops.parent?.type === 'attribute' && m.ops.parent.childForFieldName('attribute')?.id === m.ops.id) continue;
      out.push({ call: m.call, callee: `ops.${m.group.text}.${m.name.text}`, group: m.group.text, name: m.name.text, args: m.args });
    }
  }
  return out.sort((a, b) => a.call.startIndex - b.call.startIndex);
}

/** Functions that never run in background mode: `invoke` and `modal` (never called headless) and draw code. */
const GUI_ONLY_FUNCTION = /^(invoke|modal)$|draw/i;

const guiOnlyCache = new WeakMap<object, Map<number, string>>();

/** Where `self.<name>(` can start: `self`, then (past spaces, newlines and backslashes) a `.`, a name and a
 *  `(`, or a `#` on the way (a comment inside brackets: the tree decides). Identifier characters are taken
 *  broadly (any non-ASCII one), so that no call is missed; the tree checks each hit. */
const SELF_CALL_TEXT = /\bself(?=[\s\\]*(?:#|\.[\s\\]*(?:#|[\w\u0080-\uffff]+[\s\\]*[(#])))/g;

/**
 * Functions of the file that only run with a window, by id, with the reason: `invoke`, `modal` and draw
 * code; functions that take an `event` (event handlers, helpers of modal code); and methods that are only
 * called as `self.name(...)` from such functions of their class.
 */
function guiOnlyFunctions(root: SyntaxNode): Map<number, string> {
  const cached = guiOnlyCache.get(root);
  if (cached) return cached;
  const out = new Map<number, string>();
  for (const fn of root.descendantsOfType('function_definition')) {
    const name = fn.childForFieldName('name')?.text ?? '';
    if (GUI_ONLY_FUNCTION.test(name)) out.set(fn.id, `\`${name}\``);
    // (Only a parameter list with the word in it can have a parameter of that name.)
    else if (/\bevent\b/.test(fn.childForFieldName('parameters')?.text ?? '') && parameterNames(fn).includes('event')) {
      out.set(fn.id, `\`${name}\` (takes an event)`);
    }
  }
  const around = new Map<number, SyntaxNode[]>();
  const enclosingFns = (n: SyntaxNode): SyntaxNode[] => {
    let fns = around.get(n.id);
    if (fns) return fns;
    fns = [];
    for (let f = functionAround(n); f; f = functionAround(f)) fns.push(f);
    around.set(n.id, fns);
    return fns;
  };
  // The calls `self.<name>(...)` (call > `self.<name>` > self), in source order, found from the text
  // (SELF_CALL_TEXT) rather than from every call of each class.
  const selfCalls: Array<{ call: SyntaxNode; start: number; end: number; name: string }> = [];
  const source = root.text;
  for (const m of source.matchAll(SELF_CALL_TEXT)) {
    const self = root.descendantForIndex(m.index, m.index + 4);
    if (self?.type !== 'identifier' || self.startIndex !== m.index || self.endIndex !== m.index + 4) continue;
    const f = self.parent;
    const call = f?.parent;
    if (f?.type !== 'attribute' || call?.type !== 'call' || f.startIndex !== self.startIndex || call.startIndex !== f.startIndex) continue;
    selfCalls.push({ call, start: m.index, end: call.endIndex, name: f.childForFieldName('attribute')?.text ?? '' });
  }
  for (const cls of selfCalls.length > 0 ? root.descendantsOfType('class_definition') : []) {
    const [start, end] = [cls.startIndex, cls.endIndex];
    const inClass = selfCalls.filter((c) => c.start >= start && c.end <= end);
    if (inClass.length === 0) continue;
    const methods = methodsOf(cls.childForFieldName('body'));
    const callers = new Map<string, SyntaxNode[]>();
    for (const { call, name } of inClass) {
      if (!methods.has(name)) continue;
      callers.set(name, [...(callers.get(name) ?? []), call]);
    }
    // Until nothing changes: a method whose every call site is in GUI-only code is GUI-only too.
    for (let changed = true; changed; ) {
      changed = false;
      for (const [name, calls] of callers) {
        const def = methods.get(name)!;
        if (out.has(def.id)) continue;
        if (calls.every((c) => enclosingFns(c).some((f) => out.has(f.id) && f.id !== def.id))) {
          out.set(def.id, `\`${name}\` (called only from code that needs a window)`);
          changed = true;
        }
      }
    }
  }
  guiOnlyCache.set(root, out);
  return out;
}

/** Why the code at `node` only runs with a window (see guiOnlyFunctions), or null. */
export function guiOnlyFunction(node: SyntaxNode): string | null {
  let root = node;
  while (root.parent) root = root.parent;
  const gui = guiOnlyFunctions(root);
  for (let fn = functionAround(node); fn; fn = functionAround(fn)) {
    const why = gui.get(fn.id);
    if (why) return why;
  }
  return null;
}

/** True when the call passes a context override (a first positional argument that is not a string:
 *  `bpy.ops.view3d.view_all(override)`, `(context.copy(), 'INVOKE_DEFAULT')`). */
export function hasOverrideArg(args: SyntaxNode): boolean {
  const first = positionalArgs(args)[0];
  return !!first && first.type !== 'string' && first.type !== 'concatenated_string';
}

/** Headless, `context.area`, `.space_data`, `.region` and `.region_data` are None, so a check of one of
 *  them (or of the operator's `poll()`, or of `bpy.app.background`) keeps the call from running. */
export function mentionsWindowCheck(text: string): boolean {
  return (
    /\bbackground\b/.test(text) ||
    /\.poll\s*\(/.test(text) ||
    /\bcontext\s*\.\s*(area|space_data|region|region_data)\b/.test(text)
  );
}
