// BGS010 mode-set-without-active: the objects made with `bpy.data.objects.new` before a mode_set call,
// whether each is linked to a collection before it, handed to another function, bound again, or used after
// it: what decides which object the call is meant for.
import type { SyntaxNode, RuleContext } from '../../src/types.js';
import { compactText } from '../../src/syntax/names.js';

const ASSIGN_QUERY = '(assignment left: (_) @left right: (_) @right) @assign';

export type Match = Record<string, SyntaxNode>;

/** A mode_set call in a function that may run without the active object the author has in mind. */
export interface Site {
  call: SyntaxNode;
  /** The statement of the call, in a block of the function body. */
  statement: SyntaxNode;
  /** The body of the function around it. */
  body: SyntaxNode;
  /** The calls of the function itself (not of functions nested in it). */
  fnCalls: Match[];
  /** `n` comes before the call, in the function itself. */
  before: (n: SyntaxNode) => boolean;
  data: { call: string; where: string; ctx: string };
}

export interface Created {
  name: string;
  /** The statement `obj = bpy.data.objects.new(...)`. */
  statement: SyntaxNode;
  /** The object's data, when passed as a plain name (`bpy.data.objects.new("o", mesh)`). */
  data: string | null;
  link: SyntaxNode | null;
}

/** Objects created with bpy.data.objects.new in the call's block or an enclosing one, before the call (the
 *  last creation of each name). */
export function createdObjects(ctx: RuleContext, { body, statement, before }: Site): Created[] {
  const created: Created[] = [];
  for (const { assign, left, right } of ctx.matches(ASSIGN_QUERY, body)) {
    if (left.type !== 'identifier' || right.type !== 'call' || !before(assign)) continue;
    if (compactText(right.childForFieldName('function')!) !== 'bpy.data.objects.new') continue;
    const s = assign.parent;
    if (s?.type !== 'expression_statement' || !s.parent || !within(statement, s.parent)) continue;
    const second = right.childForFieldName('arguments')?.namedChildren.filter((a) => a.type !== 'comment')[1];
    const existing = created.findIndex((c) => c.name === left.text);
    if (existing >= 0) created.splice(existing, 1);
    created.push({ name: left.text, statement: s, data: second?.type === 'identifier' ? second.text : null, link: null });
  }
  return created;
}

/** Sets each created object's `link` (its `….objects.link(obj)` before the call, in the call's block or an
 *  enclosing one) and returns those linked, not bound again and used after the call; null when one of
 *  them is handed to another function before the call. */
export function linkedAndUsed(ctx: RuleContext, { body, statement, fnCalls, before }: Site, created: Created[]): Created[] | null {
  const identifiersAfter = body.descendantsOfType('identifier').filter((id) => id.startIndex >= statement.endIndex);
  const usable: Created[] = [];
  let handedOver = false;
  for (const c of created) {
    for (const { call: k, callee, args: a } of fnCalls) {
      if (!before(k) || k.startIndex < c.statement.endIndex) continue;
      const passes = a.namedChildren.some((arg) => arg.text === c.name || (arg.type === 'keyword_argument' && arg.childForFieldName('value')?.text === c.name));
      if (!passes) continue;
      if (/\.objects\.link$/.test(compactText(callee)) && a.namedChildren[0]?.text === c.name) {
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
  return handedOver ? null : usable;
}

/** `name` is bound again between its creation and the call. */
function reassignedBetween(ctx: RuleContext, body: SyntaxNode, c: Created, statement: SyntaxNode): boolean {
  return ctx.matches(ASSIGN_QUERY, body).some(({ assign, left }) =>
    left.type === 'identifier' && left.text === c.name && assign.startIndex > c.statement.endIndex && assign.endIndex <= statement.startIndex);
}


/** `node` lies inside `outer`. */
export function within(node: SyntaxNode, outer: SyntaxNode): boolean {
  return node.startIndex >= outer.startIndex && node.endIndex <= outer.endIndex;
}
