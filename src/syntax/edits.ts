// Edits that rules share: wrapping statements in a new `if` block, guarding an assignment's value,
// and making sure a module is imported. Each returns plain Edit data, or null where the code's shape
// leaves no fix that is certainly right (the caller then reports without a fix).
import MagicString from 'magic-string';
import type { Edit, SyntaxNode, RuleContext } from '../types.js';
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
function stringRanges(ctx: RuleContext): Array<[number, number]> {
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
  ctx: RuleContext,
  first: SyntaxNode,
  last: SyntaxNode,
  condition: string,
): Edit[] | null {
  return wrapInBlocks(ctx, first, last, [`if ${condition}:`]);
}

/**
 * Wrap the sibling statements first..last (same block) in the block headers `headers` (`if x:`, `with y:`),
 * each nested in the one before it, as wrapStatements does for one `if`: every line they cover gets one
 * indent unit per header.
 */
export function wrapInBlocks(ctx: RuleContext, first: SyntaxNode, last: SyntaxNode, headers: string[]): Edit[] | null {
  const { source, indentUnit: unit, newline: nl } = ctx;
  if (!endsLine(source, last.endIndex)) return null;
  const opening = (indent: string, step: string): string =>
    headers.map((h, i) => `${h}${nl}${indent}${step.repeat(i + 1)}`).join('');
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
    return [{ start: wsStart, end: first.startIndex, text: `${nl}${inner}${opening(inner, unit)}` }];
  }
  const indent = lineIndent(source, first.startIndex);
  // A block indented with tabs gets a tab more even in a file that mostly uses spaces (and the other
  // way round is left to the file's unit): mixing them on one line could make Python's TabError.
  const localUnit = indent.length > 0 && /^\t+$/.test(indent) ? '\t' : unit;
  const strings = stringRanges(ctx);
  // The header goes where the first statement starts, so the line keeps its own indent before it.
  const edits: Edit[] = [{ start: first.startIndex, end: first.startIndex, text: opening(indent, localUnit) }];
  let at = source.indexOf('\n', first.startIndex);
  while (at >= 0 && at + 1 < last.endIndex) {
    const ls = at + 1;
    const lineEnd = lineEndOf(source, ls);
    const blank = /^[ \t]*$/.test(source.slice(ls, lineEnd));
    if (!blank && !insideAny(ls, strings)) {
      // Lines of the block (nested bodies, comments) get the unit after the block's indent; continuation
      // lines indented less than the block (inside brackets or after a backslash) get it at the start.
      const pos = source.startsWith(indent, ls) ? ls + indent.length : ls;
      edits.push({ start: pos, end: pos, text: localUnit.repeat(headers.length) });
    }
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
 * An edit that adds `import <name>` to the module: after the first run of top-level imports (or after the
 * docstring and `from __future__` imports when there is none, else before the first statement).
 * `before`, where given, is the offset of the first use the import must precede: imports starting at or
 * after it are not used as the anchor. Null if the module already imports it.
 */
export function ensureImport(ctx: RuleContext, name: string, before?: number): Edit | null {
  const root = ctx.tree.rootNode;
  if (importsModule(root, name)) return null;
  return importPlacement(ctx, root.namedChildren.filter((n) => n.type !== 'comment'), name, before);
}

/** Where `import <name>` goes among the module's top-level `statements` (comments left out), and the edit
 *  that puts it there; shared by ensureImport and names.ts's importEdit. */
export function importPlacement(ctx: RuleContext, statements: SyntaxNode[], name: string, before?: number): Edit {
  const limit = before ?? Infinity;
  const isImport = (n: SyntaxNode): boolean =>
    n.type === 'import_statement' || n.type === 'import_from_statement' || n.type === 'future_import_statement';
  let anchor: SyntaxNode | null = null;
  // The last statement of the first run of imports (e.g. after `bl_info = {...}`), if it comes before `before`.
  const firstImport = statements.findIndex(isImport);
  if (firstImport >= 0) {
    for (let i = firstImport; i < statements.length && isImport(statements[i]); i++) {
      if (statements[i].endIndex > limit) break;
      anchor = statements[i];
    }
  }
  if (!anchor) {
    const doc = statements[0];
    if (doc && doc.type === 'expression_statement' && doc.firstNamedChild?.type === 'string' && doc.endIndex <= limit) {
      anchor = doc; // the docstring
    }
  }
  if (anchor) {
    const end = lineEndOf(ctx.source, anchor.endIndex);
    return { start: end, end, text: `${ctx.newline}import ${name}` };
  }
  const firstCode = statements[0];
  const at = firstCode ? lineStartOf(ctx.source, firstCode.startIndex) : ctx.source.length;
  const lead = at > 0 && !ctx.source.slice(0, at).endsWith('\n') ? ctx.newline : '';
  return { start: at, end: at, text: `${lead}import ${name}${ctx.newline}` };
}

/** The statement after `node` in its block, skipping comments. */
export function nextStatement(node: SyntaxNode): SyntaxNode | null {
  let n = node.nextNamedSibling;
  while (n && n.type === 'comment') n = n.nextNamedSibling;
  return n;
}

/** Statements split into runs of neighbours (only comments between them), in source order, so that each
 *  run can be wrapped in one `if`. */
export function consecutiveRuns(statements: SyntaxNode[]): SyntaxNode[][] {
  const sorted = [...statements].sort((a, b) => a.startIndex - b.startIndex);
  const ids = new Set(sorted.map((s) => s.id));
  const done = new Set<number>();
  const runs: SyntaxNode[][] = [];
  for (const first of sorted) {
    if (done.has(first.id)) continue;
    const run = [first];
    for (let n = nextStatement(first); n && ids.has(n.id); n = nextStatement(n)) run.push(n);
    for (const s of run) done.add(s.id);
    runs.push(run);
  }
  return runs;
}

/** `edits`, plus `import <name>` before the first of them where the module does not import it yet. */
export function withImport(ctx: RuleContext, name: string, edits: Edit[]): Edit[] {
  const imp = ensureImport(ctx, name, Math.min(...edits.map((e) => e.start)));
  return imp ? [imp, ...edits] : edits;
}

/**
 * Wrap statements in `if <condition>:`, neighbours sharing one block; where a run cannot be wrapped whole,
 * each of its statements alone. Returns the edits per statement id (the statements of one run share one
 * array), or null for a statement that cannot be wrapped (it shares its line with other code).
 */
export function wrapRuns(ctx: RuleContext, statements: SyntaxNode[], condition: string): Map<number, Edit[] | null> {
  const out = new Map<number, Edit[] | null>();
  for (const run of consecutiveRuns(statements)) {
    const whole = wrapStatements(ctx, run[0], run[run.length - 1], condition);
    for (const s of run) out.set(s.id, whole ?? (run.length > 1 ? wrapStatements(ctx, s, s, condition) : null));
  }
  return out;
}

/**
 * The source with non-overlapping edits applied (magic-string: bytes outside an edit never change). In
 * order of position, whatever order they come in: an insert at the end of a replaced range is appended
 * to the replaced chunk, which a later overwrite of that chunk would drop. Two inserts at one offset keep
 * their order, and come before a replacement that starts there.
 */
export function applyEdits(source: string, edits: Edit[]): string {
  const ms = new MagicString(source);
  const ordered = [...edits].sort((a, b) => a.start - b.start || (a.end - a.start) - (b.end - b.start));
  for (const e of ordered) {
    if (e.start === e.end) ms.appendLeft(e.start, e.text);
    else ms.overwrite(e.start, e.end, e.text);
  }
  return ms.toString();
}

/** The text of `source[start, end)` with `edits` (all inside that range) applied. */
export function editedSlice(source: string, start: number, end: number, edits: Edit[]): string {
  return applyEdits(source.slice(start, end), edits.map((e) => ({ ...e, start: e.start - start, end: e.end - start })));
}
