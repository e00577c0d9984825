// Operator calls (`bpy.ops.<group>.<name>(...)`) and the facts about where they sit that BGS006
// viewport-capture and BGS007 view3d-operator both need: code that only runs with a window, a context
// override passed to the call, and checks that keep a call from running headless.
import type { SyntaxNode, RuleContext } from '../types.js';
import { positionalArgs } from './call-arguments.js';
import { methodsOf, parameterNames } from './functions.js';
import { enclosingFunction } from './scope.js';

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

/** Calls of `bpy.ops.<group>.<name>(...)` (and `ops.<group>.<name>(...)` after `from bpy import ops`). */
export function operatorCalls(ctx: RuleContext, groups: Set<string>): OperatorCall[] {
  const out: OperatorCall[] = [];
  for (const m of ctx.matches(BPY_OPS_QUERY)) {
    if (m.bpy.text !== 'bpy' || m.ops.text !== 'ops' || !groups.has(m.group.text)) continue;
    out.push({ call: m.call, callee: `bpy.ops.${m.group.text}.${m.name.text}`, group: m.group.text, name: m.name.text, args: m.args });
  }
  if (/^[ \t]*from[ \t]+bpy[ \t]+import[^\n]*\bops\b/m.test(ctx.source)) {
    for (const m of ctx.matches(OPS_QUERY)) {
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
    else if (parameterNames(fn).includes('event')) out.set(fn.id, `\`${name}\` (takes an event)`);
  }
  const enclosingFns = (n: SyntaxNode): SyntaxNode[] => {
    const fns: SyntaxNode[] = [];
    for (let f = enclosingFunction(n); f; f = enclosingFunction(f)) fns.push(f);
    return fns;
  };
  for (const cls of root.descendantsOfType('class_definition')) {
    const methods = methodsOf(cls.childForFieldName('body'));
    const callers = new Map<string, SyntaxNode[]>();
    for (const call of cls.descendantsOfType('call')) {
      const f = call.childForFieldName('function');
      if (f?.type !== 'attribute' || f.childForFieldName('object')?.text !== 'self') continue;
      const name = f.childForFieldName('attribute')?.text ?? '';
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
  for (let fn = enclosingFunction(node); fn; fn = enclosingFunction(fn)) {
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
