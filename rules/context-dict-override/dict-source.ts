// BGS016 context-dict-override: where the context dict passed to an operator comes from, and what it holds:
// a dict literal with plain string keys, `bpy.context.copy()` / `context.copy()` (the function's `context`
// parameter), or a name bound once in the same function to one of those, with keys only added as
// `name['key'] = value`. Anything else (a parameter, a global, a dict built by another function, a
// `.update()`, a key that is not a plain string) is a dict the rule cannot see.
import type { SyntaxNode } from '../../src/types.js';
import { occurrencesIn, type Occurrence } from '../../src/syntax/bindings.js';
import { parameterNames } from '../../src/syntax/functions.js';
import { compactText, stringValue } from '../../src/syntax/names.js';
import { enclosingFunction, isField } from '../../src/syntax/scope.js';

/** The dict, as far as the rule can see it. */
export type DictSource =
  | {
      kind: 'known';
      /** What goes between `temp_override(` and `)`: `**override`, `active_object=ob`, `**{'a b': 1}`. */
      overrideArgs: string;
      /** `context` (the function's parameter the dict was copied from) or `bpy.context`. */
      owner: string;
      /** A copy of the live context (its window, screen, area and region belong together). */
      fromCopy: boolean;
      /** The keys the code writes itself: the literal's, and those set with `name['key'] = …`. */
      keys: string[];
    }
  | { kind: 'unknown'; reason: string }
  /** Not a dict at all: a bool or number (the undo flag), or the Context itself. */
  | { kind: 'other'; what: 'flag' | 'context' };

/** Values that are no dict: bound to a name, they are the undo flag (which every version takes). */
const FLAG_TYPES = new Set(['true', 'false', 'integer', 'float', 'string', 'none']);

/** Dict methods that only read it. */
const READS = new Set(['get', 'keys', 'items', 'values', 'copy']);

const PY_KEYWORDS = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del',
  'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal',
  'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/** What the first argument `arg` of the operator call `call` is, as a context dict. */
export function dictSource(arg: SyntaxNode, call: SyntaxNode): DictSource {
  if (arg.type === 'dictionary') return literalSource(arg, arg.text, true);
  if (arg.type === 'call') {
    const owner = copyOwner(arg);
    if (owner) return { kind: 'known', overrideArgs: `**${arg.text}`, owner, fromCopy: true, keys: [] };
    return { kind: 'unknown', reason: `it is built by \`${compactText(arg.childForFieldName('function') ?? arg)}(...)\`` };
  }
  if (compactText(arg) === 'bpy.context') return { kind: 'other', what: 'context' };
  if (arg.type === 'identifier') return nameSource(arg, call);
  return { kind: 'unknown', reason: 'it is not a dict literal, a `context.copy()` or a name bound to one' };
}

/** A dict literal: known when every key is a plain string (no `**spread`, no comprehension). */
function literalSource(dict: SyntaxNode, spreadText: string, inline: boolean): DictSource {
  const keys: string[] = [];
  for (const c of dict.namedChildren) {
    if (c.type === 'comment') continue;
    const key = c.type === 'pair' ? stringValue(c.childForFieldName('key')) : null;
    if (key === null) return { kind: 'unknown', reason: 'its keys are not all plain strings' };
    keys.push(key);
  }
  const asKeywords =
    inline &&
    !dict.namedChildren.some((c) => c.type === 'comment') &&
    keys.every((k) => /^[A-Za-z_]\w*$/.test(k) && !PY_KEYWORDS.has(k)) &&
    new Set(keys).size === keys.length;
  const overrideArgs = asKeywords
    ? dict.namedChildren.map((p) => `${stringValue(p.childForFieldName('key'))}=${p.childForFieldName('value')!.text}`).join(', ')
    : `**${spreadText}`;
  return { kind: 'known', overrideArgs, owner: 'bpy.context', fromCopy: false, keys };
}

/** `bpy.context.copy()` → `bpy.context`; `context.copy()` where `context` is a parameter of the function
 *  around it → `context`; anything else → null. */
function copyOwner(call: SyntaxNode): string | null {
  const fn = call.childForFieldName('function');
  const args = call.childForFieldName('arguments');
  if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'copy' || args?.namedChildCount !== 0) return null;
  const object = fn.childForFieldName('object');
  if (!object) return null;
  if (compactText(object) === 'bpy.context') return 'bpy.context';
  if (object.type !== 'identifier' || object.text !== 'context') return null;
  const around = enclosingFunction(call);
  return around?.type === 'function_definition' && parameterNames(around).includes('context') ? 'context' : null;
}

/** A name: known when it is bound once, before the call, in the call's own function (or module), to a dict
 *  literal or a context copy, and otherwise only read, given keys as `name['key'] = …`, or passed to
 *  operators. */
function nameSource(name: SyntaxNode, call: SyntaxNode): DictSource {
  // (A lambda's body sees the names of the function around it.)
  const scope = call.closest(['function_definition']) ?? rootOf(call);
  const all = occurrencesIn(scope, { ownNamesOnly: true }).filter((o) => o.name === name.text);
  const bindings = all.filter((o) => o.binding);
  const shown = `\`${name.text}\``;
  if (bindings.length === 0) return { kind: 'unknown', reason: `${shown} is not set in this function` };
  if (bindings.length > 1) return { kind: 'unknown', reason: `${shown} is set more than once` };
  const { binder, value } = bindings[0].binding!;
  if (binder.type === 'parameters' || binder.type.endsWith('_parameter')) {
    if (name.text === 'context') return { kind: 'other', what: 'context' };
    const preset = binder.childForFieldName('value');
    if (preset && FLAG_TYPES.has(preset.type)) return { kind: 'other', what: 'flag' };
    return { kind: 'unknown', reason: `${shown} is a parameter: its caller builds it` };
  }
  if (value && FLAG_TYPES.has(value.type)) return { kind: 'other', what: 'flag' };
  if (binder.type !== 'assignment' || !isField(binder, 'left', bindings[0].node) || !value || binder.endIndex > call.startIndex) {
    return { kind: 'unknown', reason: `${shown} is not set by a plain assignment before the call` };
  }
  const base: DictSource =
    value.type === 'dictionary'
      ? literalSource(value, name.text, false)
      : copyOwner(value)
        ? { kind: 'known', overrideArgs: `**${name.text}`, owner: copyOwner(value)!, fromCopy: true, keys: [] }
        : { kind: 'unknown', reason: `${shown} is not a dict literal or a \`context.copy()\`` };
  if (base.kind !== 'known') return base;
  const keys = [...base.keys];
  for (const o of all) {
    if (o.binding) continue;
    const use = useOf(o);
    if (use.kind === 'unknown') return { kind: 'unknown', reason: `${shown} ${use.reason}` };
    if (use.key !== null) keys.push(use.key);
  }
  return { ...base, keys };
}

/** What one read of the dict's name does to it: nothing the rule cannot see (a read, an operator's
 *  argument), sets a plain key (`key`), or something else. */
function useOf(o: Occurrence): { kind: 'known'; key: string | null } | { kind: 'unknown'; reason: string } {
  const p = o.node.parent;
  if (!p) return { kind: 'known', key: null };
  if (p.type === 'subscript' && isField(p, 'value', o.node)) {
    const holder = p.parent;
    const stored = holder?.type === 'assignment' && isField(holder, 'left', p);
    if (holder?.type === 'delete_statement' || holder?.type === 'augmented_assignment') {
      return { kind: 'unknown', reason: 'has keys deleted or changed in place' };
    }
    if (!stored) return { kind: 'known', key: null };
    const key = stringValue(p.childForFieldName('subscript'));
    return key === null ? { kind: 'unknown', reason: 'gets a key that is not a plain string' } : { kind: 'known', key };
  }
  if (p.type === 'attribute' && isField(p, 'object', o.node)) {
    const method = p.childForFieldName('attribute')?.text ?? '';
    return READS.has(method) ? { kind: 'known', key: null } : { kind: 'unknown', reason: `is changed by \`.${method}(...)\`` };
  }
  if (p.type === 'argument_list' && !isOperatorCall(p.parent)) {
    return { kind: 'unknown', reason: `is passed to \`${compactText(p.parent?.childForFieldName('function') ?? p)}(...)\`, which may change it` };
  }
  if (p.type === 'delete_statement') return { kind: 'unknown', reason: 'is deleted' };
  return { kind: 'known', key: null };
}

/** `bpy.ops.<group>.<name>(...)` or `ops.<group>.<name>(...)`. */
export function isOperatorCall(call: SyntaxNode | null): boolean {
  const fn = call?.type === 'call' ? call.childForFieldName('function') : null;
  return !!fn && /^(bpy\.)?ops\.\w+\.\w+$/.test(compactText(fn));
}

function rootOf(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.parent) n = n.parent;
  return n;
}
