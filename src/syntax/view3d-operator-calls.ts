// Operator calls (`bpy.ops.<group>.<name>(...)`) and the facts about where they sit that BGS006
// viewport-capture and BGS007 view3d-operator both need: code that never runs headless, context
// overrides, the call's arguments, the file's quote style and names free for new variables.
import type { SyntaxNode, RuleContext } from '../types.js';
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

function parameterNames(fn: SyntaxNode): string[] {
  const params = fn.childForFieldName('parameters');
  if (!params) return [];
  return params.namedChildren.map((p) => (p.type === 'identifier' ? p.text : p.childForFieldName('name')?.text ?? p.firstNamedChild?.text ?? ''));
}

/** The methods of a class body, by name. */
function methodsOf(cls: SyntaxNode): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  for (const stmt of cls.childForFieldName('body')?.namedChildren ?? []) {
    const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    const name = def?.type === 'function_definition' ? def.childForFieldName('name')?.text : undefined;
    if (def && name) out.set(name, def);
  }
  return out;
}

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
    const methods = methodsOf(cls);
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

/** True inside `with context.temp_override(...):`. */
export function insideTempOverride(node: SyntaxNode): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'with_statement') {
      const clause = p.namedChildren.find((c) => c.type === 'with_clause');
      if (clause && /\btemp_override\b/.test(clause.text)) return true;
    }
  }
  return false;
}

/** The call's positional arguments (not keyword arguments, comments or `*args`/`**kwargs`). */
export function positionalArgs(args: SyntaxNode): SyntaxNode[] {
  return args.namedChildren.filter(
    (c) => !['keyword_argument', 'comment', 'list_splat', 'dictionary_splat'].includes(c.type),
  );
}

/** True when the call passes a context override (a first positional argument that is not a string:
 *  `bpy.ops.view3d.view_all(override)`, `(context.copy(), 'INVOKE_DEFAULT')`). */
export function hasOverrideArg(args: SyntaxNode): boolean {
  const first = positionalArgs(args)[0];
  return !!first && first.type !== 'string' && first.type !== 'concatenated_string';
}

/** True when the call spreads `*args` or `**kwargs`: its real arguments are not known. */
export function hasSplat(args: SyntaxNode): boolean {
  return args.namedChildren.some((c) => c.type === 'list_splat' || c.type === 'dictionary_splat');
}

/** The keyword arguments by name. */
export function keywordArgs(args: SyntaxNode): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  for (const c of args.namedChildren) {
    if (c.type !== 'keyword_argument') continue;
    const name = c.childForFieldName('name')?.text;
    const value = c.childForFieldName('value');
    if (name && value) out.set(name, value);
  }
  return out;
}

const quoteCache = new WeakMap<object, string>();
/** The quote the file uses for enum-like strings: in set literals (`{'FINISHED'}`) where it has any, else
 *  in most of its plain strings. `'` or `"`. */
export function quoteStyle(ctx: RuleContext): string {
  let q = quoteCache.get(ctx.tree);
  if (q) return q;
  const count = (inSet: boolean): [number, number] => {
    let single = 0;
    let double = 0;
    for (const s of ctx.tree.rootNode.descendantsOfType('string_start')) {
      if (inSet && s.parent?.parent?.type !== 'set') continue;
      const t = s.text.replace(/^[rRbBuUfF]+/, '');
      if (t === "'") single++;
      else if (t === '"') double++;
    }
    return [single, double];
  };
  let [single, double] = count(true);
  if (single + double === 0) [single, double] = count(false);
  q = double > single ? '"' : "'";
  quoteCache.set(ctx.tree, q);
  return q;
}

/** Every identifier the file uses: new variables avoid them all, so they can neither shadow a global
 *  nor clobber a local anywhere. */
export function usedNames(ctx: RuleContext): Set<string> {
  return new Set(ctx.tree.rootNode.descendantsOfType('identifier').map((n) => n.text));
}

export function freeName(taken: Set<string>, candidates: string[]): string {
  for (const c of candidates) if (!taken.has(c)) return c;
  const base = candidates[candidates.length - 1];
  let i = 2;
  while (taken.has(`${base}_${i}`)) i++;
  return `${base}_${i}`;
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
