// Edits that transforms share: wrapping statements in a new `if` block, guarding an assignment's value,
// and making sure a module is imported. Each returns plain Edit data, or null where the code's shape
// leaves no fix that is certainly right (the caller then reports without a fix).
import type { Edit, SyntaxNode, TransformContext } from '../types.js';
import {
  endsLine,
  insideAny,
  lineEndOf,
  lineIndent,
  lineStartOf,
  multilineStringRanges,
  startsLine,
} from './source.js';
import { enclosingFunction } from './scope.js';

const stringRangeCache = new WeakMap<object, Array<[number, number]>>();
function stringRanges(ctx: TransformContext): Array<[number, number]> {
  let r = stringRangeCache.get(ctx.tree);
  if (!r) {
    r = multilineStringRanges(ctx.tree);
    stringRangeCache.set(ctx.tree, r);
  }
  return r;
}

/**
 * Wrap the sibling statements first..last (same block) in `if <condition>:`.
 * Every line they cover gets one more indent unit, except lines that start inside a multi-line string
 * (their text is the string's value) and blank lines. A one-line body (`def f(): x()`) is opened into
 * a block. Returns null where the statements share a line with code that must stay outside.
 */
export function wrapStatements(
  ctx: TransformContext,
  first: SyntaxNode,
  last: SyntaxNode,
  condition: string,
): Edit[] | null {
  const { source, indentUnit: unit, newline: nl } = ctx;
  if (!endsLine(source, last.endIndex)) return null;
  const header = `if ${condition}:`;
  if (!startsLine(source, first.startIndex)) {
    // One-line body: `def f(): x()` or `if a: x()`. Open it only when nothing before `first` on the line
    // is another statement of the same block.
    const block = first.parent;
    if (!block || block.type !== 'block' || block.firstNamedChild?.id !== first.id) return null;
    const owner = block.parent;
    if (!owner) return null;
    const before = source.slice(lineStartOf(source, first.startIndex), first.startIndex);
    if (!/:[ \t]*$/.test(before)) return null;
    if (last.endPosition.row !== first.startPosition.row) {
      // Continuation lines of a one-line body keep their own layout; any layout is valid inside brackets,
      // but a backslash continuation or a string could not be moved safely.
      if (!/[)\]}]\s*(#.*)?$/.test(source.slice(lineStartOf(source, last.endIndex), lineEndOf(source, last.endIndex)))) {
        return null;
      }
    }
    const ownerIndent = lineIndent(source, owner.startIndex);
    const wsStart = first.startIndex - (/[ \t]*$/.exec(before)?.[0].length ?? 0);
    const inner = ownerIndent + unit;
    return [{ start: wsStart, end: first.startIndex, text: `${nl}${inner}${header}${nl}${inner}${unit}` }];
  }
  const indent = lineIndent(source, first.startIndex);
  const strings = stringRanges(ctx);
  const edits: Edit[] = [];
  const firstLine = lineStartOf(source, first.startIndex);
  edits.push({ start: firstLine, end: firstLine, text: `${indent}${header}${nl}${unit}` });
  let at = source.indexOf('\n', firstLine);
  while (at >= 0 && at + 1 < last.endIndex) {
    const ls = at + 1;
    const lineEnd = lineEndOf(source, ls);
    const blank = /^[ \t]*$/.test(source.slice(ls, lineEnd));
    if (!blank && !insideAny(ls, strings)) edits.push({ start: ls, end: ls, text: unit });
    at = source.indexOf('\n', ls);
  }
  return edits;
}

/** Types whose text can take ` if … else …` after it without parentheses and keep its meaning. */
const BINDS_TIGHTER = new Set([
  'call', 'attribute', 'identifier', 'subscript', 'parenthesized_expression', 'list', 'dictionary', 'set',
  'tuple', 'list_comprehension', 'dictionary_comprehension', 'set_comprehension', 'generator_expression',
  'string', 'concatenated_string', 'integer', 'float', 'true', 'false', 'none', 'binary_operator',
  'unary_operator', 'boolean_operator', 'not_operator', 'comparison_operator', 'await',
]);

/** `x = <value>` becomes `x = <value> if <condition> else None`, parenthesising the value where needed. */
export function guardValue(value: SyntaxNode, condition: string): Edit[] {
  if (BINDS_TIGHTER.has(value.type)) {
    return [{ start: value.endIndex, end: value.endIndex, text: ` if ${condition} else None` }];
  }
  return [
    { start: value.startIndex, end: value.startIndex, text: '(' },
    { start: value.endIndex, end: value.endIndex, text: `) if ${condition} else None` },
  ];
}

/** True when the module binds the name `bpy` by `import bpy` (at any level of the file). */
export function importsModule(root: SyntaxNode, name: string): boolean {
  for (const stmt of root.descendantsOfType('import_statement')) {
    if (enclosingFunction(stmt)) continue;
    for (const n of stmt.namedChildren) {
      if (n.type === 'dotted_name' && n.text === name) return true;
      if (n.type === 'dotted_name' && n.text.startsWith(`${name}.`)) return true;
    }
  }
  return false;
}

/**
 * An edit that adds `import <name>` to the module, after its last top-level import (or after the
 * docstring and `from __future__` imports when there is none). Null if the module already imports it.
 */
export function ensureImport(ctx: TransformContext, name: string): Edit | null {
  const root = ctx.tree.rootNode;
  if (importsModule(root, name)) return null;
  let anchor: SyntaxNode | null = null;
  for (const stmt of root.namedChildren) {
    if (stmt.type === 'import_statement' || stmt.type === 'import_from_statement' || stmt.type === 'future_import_statement') {
      anchor = stmt;
    } else if (stmt.type === 'comment') {
      continue;
    } else if (anchor === null && stmt.type === 'expression_statement' && stmt.firstNamedChild?.type === 'string' && stmt.id === root.firstNamedChild?.id) {
      anchor = stmt; // the docstring
    } else {
      break;
    }
  }
  if (anchor) {
    const end = lineEndOf(ctx.source, anchor.endIndex);
    return { start: end, end, text: `${ctx.newline}import ${name}` };
  }
  const firstCode = root.namedChildren.find((n) => n.type !== 'comment');
  const at = firstCode ? lineStartOf(ctx.source, firstCode.startIndex) : ctx.source.length;
  const lead = at > 0 && !ctx.source.slice(0, at).endsWith('\n') ? ctx.newline : '';
  return { start: at, end: at, text: `${lead}import ${name}${ctx.newline}` };
}
