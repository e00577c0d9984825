// Where the names of a scope occur, and which occurrences bind them: every identifier of a function (or
// module, or block) that names a variable, with the node that binds it where it does (an assignment, a
// loop, a parameter, an import…) and the value it is bound to where there is one. For rules that follow a
// variable from where it is set to where it is used (a key config and the key maps made from it, the
// names a moved statement sets).
import type { SyntaxNode } from '../types.js';
import { isField } from './scope.js';

export interface Binding {
  /** What binds the name: the assignment, `for`, `with … as`, parameter list, import, definition… */
  binder: SyntaxNode;
  /** The value bound, where the binder has one (`x = value`, `for x in value`, `with value as x`). */
  value: SyntaxNode | null;
}

export interface Occurrence {
  node: SyntaxNode;
  name: string;
  /** Set when this occurrence binds the name. */
  binding: Binding | null;
}

/** Targets that hold further targets: `a, b = …`, `[a, *rest] = …`, `for (i, x) in …`. */
const PATTERN_TYPES = new Set(['pattern_list', 'tuple_pattern', 'list_pattern', 'list_splat_pattern', 'parenthesized_expression']);
const PARAMETER_TYPES = new Set(['default_parameter', 'typed_parameter', 'typed_default_parameter']);
const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);

/** Whether the identifier `id` binds its name, what binds it and to what value; null for a read. */
export function bindingOf(id: SyntaxNode): Binding | null {
  let child = id;
  let p = id.parent;
  while (p && PATTERN_TYPES.has(p.type)) {
    child = p;
    p = p.parent;
  }
  if (!p) return null;
  switch (p.type) {
    case 'assignment':
    case 'augmented_assignment':
    case 'for_statement':
    case 'for_in_clause':
      return isField(p, 'left', child) ? { binder: p, value: p.childForFieldName('right') } : null;
    case 'named_expression':
      return isField(p, 'name', child) ? { binder: p, value: p.childForFieldName('value') } : null;
    case 'as_pattern_target': {
      const as = p.parent;
      return { binder: p, value: as?.type === 'as_pattern' ? as.firstNamedChild : null };
    }
    case 'function_definition':
    case 'class_definition':
      return isField(p, 'name', child) ? { binder: p, value: null } : null;
    case 'parameters':
    case 'lambda_parameters':
    case 'global_statement':
    case 'nonlocal_statement':
      return { binder: p, value: null };
    case 'aliased_import':
      return isField(p, 'alias', child) ? { binder: p, value: null } : null;
    case 'dotted_name': {
      // `import a.b` binds `a`; `from m import x` binds `x` (the module's own name binds nothing).
      const imp = p.parent;
      if (imp?.type !== 'import_statement' && imp?.type !== 'import_from_statement') return null;
      if (isField(imp, 'module_name', p) || p.firstNamedChild?.id !== child.id) return null;
      return { binder: imp, value: null };
    }
    default:
      if (PARAMETER_TYPES.has(p.type) && !isField(p, 'value', child) && !isField(p, 'type', child)) {
        return { binder: p, value: null };
      }
      return null;
  }
}

/**
 * The identifiers under `scope` that name a variable (not `x.attr`'s `attr`, not `f(name=…)`'s `name`), in
 * source order. With `ownNamesOnly`, names local to a comprehension, lambda or function inside `scope` are
 * left out too.
 */
export function occurrencesIn(scope: SyntaxNode, options: { ownNamesOnly?: boolean } = {}): Occurrence[] {
  const out: Occurrence[] = [];
  for (const id of scope.descendantsOfType('identifier')) {
    const p = id.parent;
    if (p?.type === 'attribute' && isField(p, 'attribute', id)) continue;
    if (p?.type === 'keyword_argument' && isField(p, 'name', id)) continue;
    if (options.ownNamesOnly && innerLocal(id, scope)) continue;
    out.push({ node: id, name: id.text, binding: bindingOf(id) });
  }
  return out;
}

/** The names bound under `node` (assignments, loops, parameters, imports…). */
export function namesBoundIn(node: SyntaxNode): Set<string> {
  const out = new Set<string>();
  for (const id of node.descendantsOfType('identifier')) if (bindingOf(id)) out.add(id.text);
  return out;
}

/** True when a comprehension or lambda between `id` and `scope` binds `id`'s name itself, or a function
 *  between them holds `id`. */
function innerLocal(id: SyntaxNode, scope: SyntaxNode): boolean {
  for (let p = id.parent; p && p.id !== scope.id; p = p.parent) {
    if (COMPREHENSIONS.has(p.type)) {
      for (const clause of p.namedChildren) {
        if (clause.type !== 'for_in_clause') continue;
        const left = clause.childForFieldName('left');
        if (left && left.descendantsOfType('identifier').some((n) => n.text === id.text)) return true;
      }
    }
    if (p.type === 'lambda') {
      const params = p.childForFieldName('parameters');
      if (params && params.descendantsOfType('identifier').some((n) => n.text === id.text)) return true;
    }
    if (p.type === 'function_definition' && p.id !== scope.id) return true;
  }
  return false;
}

/** True when `node` lies inside `outer` (or is it). */
export function within(node: SyntaxNode, outer: SyntaxNode): boolean {
  return node.startIndex >= outer.startIndex && node.endIndex <= outer.endIndex;
}
