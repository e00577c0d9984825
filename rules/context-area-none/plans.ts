// BGS004 context-area-none: what makes one use of a context member safe. In a condition (`if`, `elif`,
// `while`, `… if c else …`, or what `poll()` returns) the test that reads it gets the None check in front;
// a statement that only redraws or relabels the editor goes under `if <member> is not None:`; anything
// else is reported, with the reason and what to do by hand.
import type { Edit, SyntaxNode } from '../../src/types.js';
import { assignmentTargets, targetNames } from '../../src/syntax/names.js';
import { enclosingStatement, isField } from '../../src/syntax/scope.js';
import { chainPath, chainTop, comparison, NEGATIVE_OPS, strip, type Members } from './members.js';
import type { Place } from './places.js';

/** What makes one use safe. */
export type Plan =
  | { kind: 'condition'; key: number; edits: Edit[]; check: string }
  | { kind: 'statement'; statement: SyntaxNode }
  | { kind: 'manual'; reason: string; manual: string };

const SIMPLE_VALUE = new Set(['string', 'concatenated_string', 'integer', 'float', 'true', 'false', 'identifier', 'attribute']);

/** Attributes of a space, area or region that point at data (not at the editor's own settings): writing
 *  through them changes the data, so skipping that is not a UI-only change. */
const DATA_POINTERS = new Set([
  'node_tree', 'edit_tree', 'text', 'image', 'clip', 'mask', 'camera', 'grease_pencil', 'pin_id', 'id_from',
  'geometry_nodes_tool_tree', 'lock_object', 'lock_bone', 'image_user', 'clip_user',
]);
/** Methods of an area or region that only redraw or relabel it. */
const UI_METHODS = new Set(['tag_redraw', 'tag_refresh_ui', 'header_text_set']);

/**
 * A use inside a condition (`if`, `elif`, `while`, `… if c else …`, or what `poll()` returns): the operand of
 * the condition that holds it (a truth test of the member's attribute, or a comparison) gets the None check in
 * front. Null when the use is not in a condition (the statement is made safe instead).
 */
export function conditionPlan(deref: SyntaxNode, base: SyntaxNode, place: Place, m: Members): Plan | null {
  // Up to the operand of `and`/`or`/`not` or of the condition itself.
  let o: SyntaxNode = deref;
  for (let p = o.parent; ; o = p, p = p.parent) {
    if (!p || p.type === 'block' || p.type === 'module' || p.type === 'lambda' || p.type.endsWith('_statement')) {
      if (!(p && p.type === 'return_statement' && place.kind === 'poll')) {
        if (!p || !['if_statement', 'while_statement'].includes(p.type) || !isField(p, 'condition', o)) return null;
      }
      break;
    }
    if (p.type === 'boolean_operator' || p.type === 'not_operator' || isConditionSlot(o)) break;
  }
  let whole = o;
  let negated: SyntaxNode | null = null;
  while (whole.parent && ['parenthesized_expression', 'boolean_operator', 'not_operator'].includes(whole.parent.type)) {
    if (whole.parent.type === 'not_operator') negated ??= whole.parent;
    whole = whole.parent;
  }
  const slot = conditionSlot(whole, place);
  if (!slot) return null;
  if (negated) {
    return manualCondition(`\`${firstLine(negated.text)}\` negates the test, so it is unclear what it should be when \`${base.text}\` is None`, base);
  }
  const atom = strip(o);
  const top = chainTop(deref);
  let negative = false;
  if (atom.id !== top.id) {
    if (atom.type !== 'comparison_operator') {
      return manualCondition(`\`${base.text}\` is read inside \`${firstLine(atom.text)}\`, whose value without an area is unclear`, base);
    }
    const cmp = comparison(atom);
    if (!cmp) return manualCondition(`\`${firstLine(atom.text)}\` is a chained comparison`, base);
    const [a, op, b] = cmp;
    const side = deref.startIndex >= a.startIndex && deref.endIndex <= a.endIndex ? a : b;
    const other = side.id === a.id ? b : a;
    if (strip(side).id !== top.id) {
      // `len(context.area.regions) == 0`: what it should be without an area depends on the expression.
      return manualCondition(`\`${base.text}\` is read inside \`${firstLine(side.text)}\`, whose value without an area is unclear`, base);
    }
    // `… is not None` is false without an area (there is no such thing), `… is None` true.
    const withNone = (op === 'is' || op === 'is not') && strip(other).type === 'none' && strip(side).id === top.id;
    if (withNone) negative = op === 'is';
    else if (NEGATIVE_OPS.has(op) || op === 'is') {
      if (op === 'is' || op === 'is not' || strip(side).id !== top.id || !isSimpleValue(other) || m.mentions(other)) {
        return manualCondition(`it is unclear what \`${firstLine(atom.text)}\` should be when \`${base.text}\` is None`, base);
      }
      negative = true;
    }
  }
  const b = base.text;
  const check = negative ? `${b} is None or` : slot === 'return' ? `${b} is not None and` : `${b} and`;
  // `x and a != 'X'` → `x and (context.area is None or a != 'X')`: `or` binds looser than `and`.
  const needsParens = negative && o.parent?.type === 'boolean_operator' && o.parent.childForFieldName('operator')?.text === 'and';
  const edits: Edit[] = needsParens
    ? [{ start: atom.startIndex, end: atom.startIndex, text: `(${check} ` }, { start: atom.endIndex, end: atom.endIndex, text: ')' }]
    : [{ start: atom.startIndex, end: atom.startIndex, text: `${check} ` }];
  return { kind: 'condition', key: atom.id, edits, check: needsParens ? `(${check} …)` : `${check} …` };
}

/** A statement around a use (not in a condition): wrapped in `if <member> is not None:` when that is safe. */
export function statementPlan(deref: SyntaxNode, base: SyntaxNode, place: Place, m: Members): Plan {
  const statement = enclosingStatement(deref);
  const b = base.text;
  const manualWrap = `decide what ${place.where} should do without \`${b}\`: skip the code that needs it under \`if ${b} is not None:\`, or report an error and return \`{'CANCELLED'}\` when it is None`;
  if (!statement || !statement.parent || statement.parent.type !== 'block') {
    return { kind: 'manual', reason: 'the use is not in a statement of the function body', manual: manualWrap };
  }
  if (statement.type === 'return_statement') {
    return { kind: 'manual', reason: 'it is in a `return` statement, and skipping it would change what the function returns', manual: manualWrap };
  }
  const later = namesBoundBy(statement).filter((name) => usedAfter(name, statement, place.fn));
  if (later.length > 0) {
    const list = later.map((n) => `\`${n}\``).join(', ');
    return {
      kind: 'manual',
      reason: `the statement sets ${list}, which the code after it uses`,
      manual: `decide what ${list} should be when \`${b}\` is None (a default, or return early with \`if ${b} is None: return …\`)`,
    };
  }
  const why = notUiOnly(statement, m, place);
  if (why) return { kind: 'manual', reason: why, manual: manualWrap };
  return { kind: 'statement', statement };
}

/** The first line of `text`, trimmed and cut to 70 characters, for a message. */
export function firstLine(text: string): string {
  const line = text.split('\n')[0].replace(/\r$/, '').trim();
  return line.length > 70 ? `${line.slice(0, 67)}...` : line;
}

/** A condition left to the author: the test must say what it means without the member. */
function manualCondition(reason: string, base: SyntaxNode): Plan {
  const b = base.text;
  return {
    kind: 'manual',
    reason,
    manual: `write the test so that it says what it means when \`${b}\` is None (\`${b} is not None and …\` or \`${b} is None or …\`)`,
  };
}

/** `n` is the condition of an if/elif/while or of a conditional expression. */
function isConditionSlot(n: SyntaxNode): boolean {
  const p = n.parent;
  if (!p) return false;
  if (['if_statement', 'elif_clause', 'while_statement'].includes(p.type)) return isField(p, 'condition', n);
  return p.type === 'conditional_expression' && p.namedChildren[1]?.id === n.id;
}

/** 'condition' where `whole` is the condition of an if/elif/while or a conditional expression, 'return' where
 *  it is what `poll()` returns, else null. */
function conditionSlot(whole: SyntaxNode, place: Place): 'condition' | 'return' | null {
  if (isConditionSlot(whole)) return 'condition';
  if (place.kind === 'poll' && whole.parent?.type === 'return_statement') return 'return';
  return null;
}

/** A value fixed in the code (`'VIEW_3D'`, `('A', 'B')`, a name): comparing a missing member's attribute with it
 *  has a clear meaning. */
function isSimpleValue(n: SyntaxNode): boolean {
  const s = strip(n);
  if (SIMPLE_VALUE.has(s.type)) return true;
  return ['tuple', 'set', 'list'].includes(s.type) && s.namedChildren.every((c) => c.type === 'comment' || SIMPLE_VALUE.has(c.type));
}

/** Names a statement binds: assignment targets, `for` targets, `with … as`, walrus. */
function namesBoundBy(statement: SyntaxNode): string[] {
  const out = new Set<string>();
  const visit = (n: SyntaxNode): void => {
    if (n.type === 'assignment' || n.type === 'augmented_assignment') targetNames(n.childForFieldName('left'), out);
    else if (n.type === 'for_statement' || n.type === 'for_in_clause') targetNames(n.childForFieldName('left'), out);
    else if (n.type === 'as_pattern') targetNames(n.childForFieldName('alias')?.firstNamedChild ?? null, out);
    else if (n.type === 'named_expression') targetNames(n.childForFieldName('name'), out);
    else if (n.type === 'function_definition' || n.type === 'class_definition') {
      const name = n.childForFieldName('name');
      if (name) out.add(name.text);
      return;
    } else if (n.type === 'import_statement' || n.type === 'import_from_statement') {
      for (const c of n.descendantsOfType('identifier')) out.add(c.text);
      return;
    }
    for (const c of n.namedChildren) visit(c);
  };
  visit(statement);
  return [...out];
}

/**
 * Why skipping the statement when the member is None would change more than the interface (null when it
 * only redraws, relabels or sets the editor's own settings: `context.area.tag_redraw()`,
 * `context.space_data.show_gizmo = False`, `context.region_data.view_rotation = q`).
 */
function notUiOnly(statement: SyntaxNode, m: Members, place: Place): string | null {
  const what = `\`${firstLine(statement.text)}\``;
  const work = `${what} does more than change the editor (it reads or changes data through it), and skipping it would silently drop that work`;
  if (statement.type !== 'expression_statement' || statement.namedChildCount !== 1) return work;
  const e = statement.firstNamedChild!;
  if (e.type === 'call') {
    const callee = e.childForFieldName('function');
    if (callee?.type !== 'attribute') return work;
    const method = callee.childForFieldName('attribute')?.text ?? '';
    const object = callee.childForFieldName('object')!;
    const onMember = m.isMember(object);
    const path = chainPath(object, m);
    if ((UI_METHODS.has(method) && path && !path.some((a) => DATA_POINTERS.has(a))) || (onMember && method === 'update')) return null;
    return work;
  }
  if (e.type === 'assignment' || e.type === 'augmented_assignment') {
    const { targets, value } = assignmentTargets(e);
    for (const t of targets) {
      if (t.type === 'identifier') {
        // A local set from the member and never read again: dead code, unless the value does work.
        if (value && value.descendantsOfType('call').length > 0) return work;
        if (usedAfter(t.text, statement, place.fn)) return work;
        continue;
      }
      const path = chainPath(t, m);
      if (!path || path.slice(0, -1).some((x) => DATA_POINTERS.has(x))) return work;
    }
    return null;
  }
  return work;
}

/** The function reads `name` after `statement`, or before it inside a loop around it. */
function usedAfter(name: string, statement: SyntaxNode, fn: SyntaxNode): boolean {
  const body = fn.childForFieldName('body');
  if (!body) return false;
  return body.descendantsOfType('identifier').some((id) => id.text === name && id.startIndex >= statement.endIndex) ||
    // A loop around the statement reads it again on the next round.
    (() => {
      for (let p = statement.parent; p && p.id !== fn.id; p = p.parent) {
        if (p.type === 'for_statement' || p.type === 'while_statement') {
          if (p.descendantsOfType('identifier').some((id) => id.text === name && id.startIndex < statement.startIndex)) return true;
        }
      }
      return false;
    })();
}
