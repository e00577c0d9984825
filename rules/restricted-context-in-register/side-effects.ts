// Whether statements moved into a load_post handler may run again after every file load: they must only
// read or compute, and set only Blender's data or names bound in the moved statements themselves.
import { namesBoundIn } from '../../src/syntax/bindings.js';
import type { SyntaxNode } from '../../src/types.js';
import type { Module } from './runs.js';

/** Calls that only read or compute: a statement making only these may run again on every file load. */
const HARMLESS_BUILTINS = new Set([
  'abs', 'all', 'any', 'bool', 'dict', 'enumerate', 'filter', 'float', 'format', 'getattr', 'hasattr', 'int',
  'isinstance', 'iter', 'len', 'list', 'map', 'max', 'min', 'next', 'print', 'range', 'repr', 'reversed',
  'round', 'set', 'sorted', 'str', 'sum', 'tuple', 'zip',
]);
const HARMLESS_METHODS = new Set([
  'count', 'endswith', 'find', 'format', 'get', 'index', 'is_property_set', 'items', 'join', 'keys', 'lower',
  'lstrip', 'replace', 'rstrip', 'split', 'startswith', 'strip', 'upper', 'values',
]);

/** Targets that hold further targets (`a, b = …`). */
const TARGET_LISTS = new Set([
  'pattern_list', 'tuple_pattern', 'list_pattern', 'list_splat_pattern', 'parenthesized_expression', 'expression_list',
]);

export function firstLine(text: string, max = 60): string {
  const line = text.split(/\r?\n/)[0];
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/**
 * Why running the statements under `node` after every file load (instead of once at enable time) could
 * change what the add-on does, or null: every call only reads or computes (following this module's
 * functions it calls) and every attribute or item it sets belongs to Blender's data (`bpy.context.…`,
 * `bpy.data.…`) or to a name bound in the same statements (`local`).
 */
export function sideEffect(m: Module, node: SyntaxNode, local: Set<string>, seen = new Set<number>()): string | null {
  for (const g of node.descendantsOfType(['global_statement', 'nonlocal_statement'])) {
    return `\`${firstLine(g.text)}\` changes a module-level name`;
  }
  const targets: SyntaxNode[] = [];
  for (const a of node.descendantsOfType(['assignment', 'augmented_assignment'])) {
    const left = a.childForFieldName('left');
    if (left) targets.push(left);
    if (a.type === 'augmented_assignment' && left && left.type !== 'identifier') {
      return `\`${firstLine(a.text)}\` would add up again after every file load`;
    }
  }
  for (const d of node.descendantsOfType('delete_statement')) targets.push(...d.namedChildren);
  const flat = (t: SyntaxNode): SyntaxNode[] => (TARGET_LISTS.has(t.type) ? t.namedChildren.flatMap(flat) : [t]);
  for (const t of targets.flatMap(flat)) {
    if (t.type !== 'attribute' && t.type !== 'subscript') continue;
    const root = targetRoot(t);
    if (root === 'bpy-data' || (root !== null && local.has(root))) continue;
    return (
      `it sets \`${firstLine(t.text, 40)}\`, which is not part of the loaded file's data, so setting it after each ` +
      'file load instead of at enable time changes what the add-on does'
    );
  }
  for (const call of node.descendantsOfType('call')) {
    const effect = callEffect(m, call, seen);
    if (effect !== undefined) return effect;
  }
  return null;
}

/** What a call may do: undefined when it only reads or computes (a builtin, a harmless method, a function
 *  of this module without side effects), else the reason. */
function callEffect(m: Module, call: SyntaxNode, seen: Set<number>): string | undefined {
  const f = call.childForFieldName('function');
  if (f?.type === 'identifier') {
    if (HARMLESS_BUILTINS.has(f.text)) return undefined;
    const def = m.defs.get(f.text);
    if (def) {
      if (seen.has(def.id)) return undefined;
      seen.add(def.id);
      return sideEffect(m, def.childForFieldName('body')!, namesBoundIn(def), seen) ?? undefined;
    }
  } else if (f?.type === 'attribute' && HARMLESS_METHODS.has(f.childForFieldName('attribute')?.text ?? '')) {
    return undefined;
  }
  return (
    `\`${firstLine(call.text)}\` may create, change or register something, and a load_post handler runs ` +
    'after every .blend is loaded, so it would be done again for each file'
  );
}

/** The root of a target `a.b[c].d`: the identifier `a`, or 'bpy-data' for `bpy.context.x…` / `bpy.data.x…`. */
function targetRoot(target: SyntaxNode): string | null {
  let n = target;
  const chain: SyntaxNode[] = [];
  while (n.type === 'attribute' || n.type === 'subscript') {
    chain.unshift(n);
    n = (n.type === 'attribute' ? n.childForFieldName('object') : n.childForFieldName('value'))!;
  }
  if (n.type !== 'identifier') return null;
  if (n.text === 'bpy' && chain.length >= 2 && chain[0].type === 'attribute') {
    const which = chain[0].childForFieldName('attribute')?.text;
    if (which === 'context' || which === 'data') return 'bpy-data';
  }
  return n.text;
}
