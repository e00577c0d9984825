// The places BGS019 rewrites, read from the tree: the string '__annotations__' as the key of a class's
// `__dict__` (or `vars(cls)`) in a subscript, a `.get(...)` or an `in` / `not in` test, and the class
// expression whose annotations are meant.
import type { RuleContext, SyntaxNode } from '../../src/types.js';
import { positionalArgs } from '../../src/syntax/call-arguments.js';
import { stringValue } from '../../src/syntax/names.js';
import { enclosingFunction } from '../../src/syntax/scope.js';

export type SiteKind = 'subscript' | 'get' | 'contains' | 'notContains';

export interface Site {
  kind: SiteKind;
  /** The whole expression to replace: the subscript, the `.get(...)` call, or the comparison. */
  node: SyntaxNode;
  /** The expression `X` of `X.__dict__` / `vars(X)`: the class whose own annotations are meant. */
  receiver: SyntaxNode;
  /** `.get`'s default argument, if any. */
  defaultArg: SyntaxNode | null;
}

const KEY = /(['"])__annotations__\1/g;

/** Names that are never a class of the add-on's: `self.__dict__` is an instance's (it never holds the key),
 *  `type.__dict__['__annotations__']` is the descriptor itself (Python's own annotationlib reads it). */
const NOT_A_CLASS = new Set(['self', 'type', 'object']);

/** Expressions that can be followed by `.attr` as they are. */
const PRIMARY = new Set(['identifier', 'attribute', 'call', 'subscript', 'parenthesized_expression']);

/** Every site of the file, in source order. */
export function annotationSites(ctx: RuleContext): Site[] {
  const out: Site[] = [];
  const root = ctx.tree.rootNode;
  for (const m of ctx.source.matchAll(KEY)) {
    const str = root.descendantForIndex(m.index, m.index + m[0].length);
    if (str?.type !== 'string' || stringValue(str) !== '__annotations__') continue;
    const site = siteOf(str);
    if (site && !NOT_A_CLASS.has(site.receiver.text)) out.push(site);
  }
  return out;
}

function siteOf(str: SyntaxNode): Site | null {
  const parent = str.parent;
  if (!parent) return null;
  if (parent.type === 'subscript' && parent.childForFieldName('subscript')?.id === str.id) {
    const receiver = dictReceiver(parent.childForFieldName('value'));
    // `X.__dict__['__annotations__'] = …` / `del …`: a mappingproxy takes no assignment, not this rule's.
    if (!receiver || isWrittenTo(parent) || parent.namedChildCount !== 2) return null;
    return { kind: 'subscript', node: parent, receiver, defaultArg: null };
  }
  if (parent.type === 'argument_list' && parent.parent?.type === 'call') {
    const call = parent.parent;
    const callee = call.childForFieldName('function');
    const args = positionalArgs(parent);
    if (callee?.type !== 'attribute' || callee.childForFieldName('attribute')?.text !== 'get') return null;
    if (args[0]?.id !== str.id || args.length > 2 || parent.namedChildren.length !== args.length) return null;
    const receiver = dictReceiver(callee.childForFieldName('object'));
    return receiver ? { kind: 'get', node: call, receiver, defaultArg: args[1] ?? null } : null;
  }
  if (parent.type === 'comparison_operator' && parent.namedChildCount === 2 && parent.namedChildren[0].id === str.id) {
    const op = parent.childrenForFieldName('operators')[0]?.type;
    const receiver = dictReceiver(parent.namedChildren[1]);
    if (!receiver || (op !== 'in' && op !== 'not in')) return null;
    return { kind: op === 'in' ? 'contains' : 'notContains', node: parent, receiver, defaultArg: null };
  }
  return null;
}

/** `X` of `X.__dict__` or `vars(X)`; null for anything else. */
function dictReceiver(node: SyntaxNode | null): SyntaxNode | null {
  if (node?.type === 'attribute' && node.childForFieldName('attribute')?.text === '__dict__') {
    return node.childForFieldName('object');
  }
  if (node?.type === 'call' && node.childForFieldName('function')?.text === 'vars') {
    const args = node.childForFieldName('arguments');
    const only = args && positionalArgs(args);
    return only && only.length === 1 && args.namedChildCount === 1 ? only[0] : null;
  }
  return null;
}

function isWrittenTo(node: SyntaxNode): boolean {
  const p = node.parent;
  if (!p) return false;
  if ((p.type === 'assignment' || p.type === 'augmented_assignment') && p.childForFieldName('left')?.id === node.id) return true;
  return p.type === 'delete_statement' || (p.type === 'expression_list' && p.parent?.type === 'delete_statement');
}

/** `X.__annotations__`, with `X` in parentheses where `.attr` would bind to a part of it. */
export function annotationsOf(receiver: SyntaxNode): string {
  const text = receiver.text;
  return PRIMARY.has(receiver.type) ? `${text}.__annotations__` : `(${text}).__annotations__`;
}

/** A receiver that can be written twice (the fallback repeats it): a name, `a.b.c`, `type(x)`, `x.__class__`. */
export function isPlainReceiver(receiver: SyntaxNode): boolean {
  const plain = (n: SyntaxNode | null): boolean =>
    !!n && (n.type === 'identifier' || (n.type === 'attribute' && plain(n.childForFieldName('object'))));
  if (plain(receiver)) return true;
  if (receiver.type !== 'call' || receiver.childForFieldName('function')?.text !== 'type') return false;
  const args = receiver.childForFieldName('arguments');
  return !!args && args.namedChildCount === 1 && plain(args.namedChildren[0]);
}

/** `.get`'s default is an empty dict: `{}` or `dict()`. */
export function isEmptyDict(node: SyntaxNode | null): boolean {
  if (!node) return false;
  if (node.type === 'dictionary') return node.namedChildCount === 0;
  return node.type === 'call' && node.childForFieldName('function')?.text === 'dict' &&
    node.childForFieldName('arguments')?.namedChildCount === 0;
}

/** Inside a `try` (of the same function) that has an `except`: a KeyError there may be handled on purpose. */
export function insideTry(node: SyntaxNode): boolean {
  const stop = enclosingFunction(node);
  for (let child = node, p = node.parent; p && p !== stop; child = p, p = p.parent) {
    if (p.type !== 'try_statement' || p.childForFieldName('body')?.id !== child.id) continue;
    if (p.namedChildren.some((c) => c.type === 'except_clause' || c.type === 'except_group_clause')) return true;
  }
  return false;
}

/** The comparison is the whole condition of an `if` / `elif` / `while` / conditional expression, where
 *  truthiness is all that counts (no `bool(...)` needed). */
export function isWholeCondition(node: SyntaxNode): boolean {
  const p = node.parent;
  if (!p) return false;
  if (['if_statement', 'elif_clause', 'while_statement'].includes(p.type)) return p.childForFieldName('condition')?.id === node.id;
  return p.type === 'conditional_expression' && p.namedChildren[1]?.id === node.id;
}
