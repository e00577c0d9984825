// BGS004 context-area-none: a use of a context member that already sits behind a None check of it, or
// inside a `try` whose `except` catches AttributeError.
import type { SyntaxNode } from '../../src/types.js';
import { isField } from '../../src/syntax/scope.js';
import type { Members } from './members.js';

/** Statements that leave a block: `if not context.area: return` guards what follows. */
const EXITS = new Set(['return_statement', 'raise_statement', 'continue_statement', 'break_statement']);

/** The use at `node` already sits behind a None check of a context member (or an AttributeError handler). */
export function behindNoneCheck(node: SyntaxNode, fn: SyntaxNode, m: Members): boolean {
  let child = node;
  for (let p = node.parent; p && p.id !== fn.id; child = p, p = p.parent) {
    switch (p.type) {
      case 'if_statement': {
        const cond = p.childForFieldName('condition');
        if (!cond) break;
        if (isField(p, 'consequence', child) && m.positive(cond)) return true;
        const alts = p.childrenForFieldName('alternative');
        const at = alts.findIndex((a) => a.id === child.id);
        if (at >= 0) {
          if (m.noneTrue(cond)) return true;
          for (const earlier of alts.slice(0, at)) {
            const c = earlier.childForFieldName('condition');
            if (c && m.noneTrue(c)) return true;
          }
        }
        break;
      }
      case 'elif_clause':
      case 'while_statement': {
        const cond = p.childForFieldName('condition');
        const body = p.childForFieldName(p.type === 'elif_clause' ? 'consequence' : 'body');
        if (cond && body?.id === child.id && m.positive(cond)) return true;
        break;
      }
      case 'conditional_expression': {
        const [yes, cond, no] = p.namedChildren;
        if (cond && yes?.id === child.id && m.positive(cond)) return true;
        if (cond && no?.id === child.id && m.noneTrue(cond)) return true;
        break;
      }
      case 'boolean_operator': {
        const left = p.childForFieldName('left');
        if (left && isField(p, 'right', child)) {
          if (p.childForFieldName('operator')?.text === 'and' ? m.positive(left) : m.noneTrue(left)) return true;
        }
        break;
      }
      case 'try_statement':
        if (isField(p, 'body', child) && p.namedChildren.some((c) => c.type === 'except_clause' && catchesAttributeError(c))) return true;
        break;
      case 'block':
        for (let s = child.previousNamedSibling; s; s = s.previousNamedSibling) {
          if (s.type === 'if_statement') {
            const cond = s.childForFieldName('condition');
            const last = s.childForFieldName('consequence')?.lastNamedChild;
            if (cond && last && EXITS.has(last.type) && m.noneTrue(cond)) return true;
          } else if (s.type === 'assert_statement' && s.firstNamedChild && m.positive(s.firstNamedChild)) {
            return true;
          }
        }
        break;
    }
  }
  return false;
}

/** The except clause catches AttributeError: bare `except:`, or a type (or tuple of types) naming
 *  `AttributeError`, `Exception` or `BaseException`. */
function catchesAttributeError(clause: SyntaxNode): boolean {
  const value = clause.childForFieldName('value');
  if (!value) return true;
  const type = value.type === 'as_pattern' ? value.firstNamedChild : value;
  const types = type?.type === 'tuple' || type?.type === 'parenthesized_expression' ? type.namedChildren : type ? [type] : [];
  return types.some((t) => /^(builtins\.)?(AttributeError|Exception|BaseException)$/.test(t.text));
}
