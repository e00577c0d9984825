// BGS003's fix: move the top-level statements of register() that need the real context (and the ones after
// them that use names they set) into a persistent load_post handler above register(), append the handler
// where they were, and remove it first thing in unregister(). Where moving them could change what the
// add-on does, the plan is a reason instead.
import { namesBoundIn, occurrencesIn, within, type Occurrence } from '../../src/syntax/bindings.js';
import { ensureImport } from '../../src/syntax/edits.js';
import { freeName, usedNames } from '../../src/syntax/names.js';
import { enclosingFunction } from '../../src/syntax/scope.js';
import { endsLine, lineEndOf, lineIndent, lineStartOf, startsLine } from '../../src/syntax/source.js';
import type { Edit, RuleContext, SyntaxNode } from '../../src/types.js';
import { registerStatements, type Module } from './runs.js';
import { firstLine, sideEffect } from './side-effects.js';

export const HANDLER_NAME = '_setup_after_load';
export const HANDLER_COMMENT =
  '# Runs after each .blend is loaded: bpy.context and bpy.data are restricted while register() runs.';

export type Plan = { edits: Edit[]; handler: string; count: number } | { reason: string };

const MOVABLE_TYPES = new Set(['expression_statement', 'for_statement', 'if_statement', 'delete_statement', 'import_from_statement']);

/** `C = bpy.context` / `from bpy import data as D`: goes with the moved statements that use the name. */
const ALIAS_STATEMENT = /^(\w+\s*=\s*bpy\.(context|data)|from\s+bpy\s+import\s+(context|data)(\s+as\s+\w+)?)\s*$/;

/** The fix for the statements `initial` of register() (those that lead to an access), or why there is none. */
export function planFix(ctx: RuleContext, m: Module, register: SyntaxNode, initial: SyntaxNode[]): Plan {
  const unregister = m.unregister;
  const refused = shapeProblem(register, unregister);
  if (refused || !unregister) return { reason: refused ?? 'the module has no unregister() to remove the handler in' };
  const occurrences = occurrencesIn(register.childForFieldName('body')!, { ownNamesOnly: true });
  const chosen = statementsToMove(m, occurrences, initial);
  const reason = movingProblem(ctx, m, register, chosen, occurrences);
  if (reason) return { reason };
  const handler = freeName(HANDLER_NAME, usedNames(ctx));
  const edits = moveEdits(ctx, register, chosen, handler);
  const removal = removalEdit(ctx, unregister, handler);
  if (!removal) return { reason: 'the first statement of unregister() shares its line' };
  return { edits: [...edits, removal], handler, count: chosen.length };
}

/** Why the shape of register() / unregister() leaves no room for the fix, or null. */
function shapeProblem(register: SyntaxNode, unregister: SyntaxNode | null): string | null {
  const body = register.childForFieldName('body')!;
  if (body.startPosition.row === register.startPosition.row) return 'register() is written on one line';
  if (register.parent?.type === 'decorated_definition') return 'register() is decorated';
  if (!unregister) return 'the module has no unregister() to remove the handler in';
  const unBody = unregister.childForFieldName('body')!;
  if (unBody.startPosition.row === unregister.startPosition.row) return 'unregister() is written on one line';
  for (const n of body.descendantsOfType(['return_statement', 'yield', 'global_statement', 'nonlocal_statement'])) {
    if (enclosingFunction(n)?.id === register.id) return `register() has \`${firstLine(n.text, 30)}\``;
  }
  return null;
}

/** The statements to move: those that need the context, and those that use names they set. */
function statementsToMove(m: Module, occurrences: Occurrence[], initial: SyntaxNode[]): SyntaxNode[] {
  const statements = registerStatements(m);
  const moved = new Set(initial.map((n) => n.id));
  const inMoved = (n: SyntaxNode): boolean => statements.some((t) => moved.has(t.id) && within(n, t));
  const boundInMoved = (): Set<string> => new Set(occurrences.filter((o) => o.binding && inMoved(o.node)).map((o) => o.name));
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of statements) {
      if (moved.has(s.id)) continue;
      const follows = occurrences.some(
        (o) =>
          !o.binding &&
          within(o.node, s) &&
          occurrences.some((b) => b.binding && b.name === o.name && b.node.startIndex < s.startIndex && inMoved(b.node)),
      );
      if (follows && !sideEffect(m, s, new Set([...boundInMoved(), ...namesBoundIn(s)]))) {
        moved.add(s.id);
        changed = true;
        continue;
      }
      if (ALIAS_STATEMENT.test(s.text)) {
        const bound = namesBoundIn(s);
        if (occurrences.some((o) => !o.binding && bound.has(o.name) && inMoved(o.node))) {
          moved.add(s.id);
          changed = true;
        }
      }
    }
  }
  return statements.filter((s) => moved.has(s.id));
}

/** Why moving `chosen` could break the code or change what it does, or null. */
function movingProblem(ctx: RuleContext, m: Module, register: SyntaxNode, chosen: SyntaxNode[], occurrences: Occurrence[]): string | null {
  const isMoved = (n: SyntaxNode): boolean => chosen.some((s) => within(n, s));
  for (const s of chosen) {
    if (!startsLine(ctx.source, s.startIndex) || !endsLine(ctx.source, s.endIndex)) return `\`${firstLine(s.text)}\` shares its line with other code`;
    if (!MOVABLE_TYPES.has(s.type)) return `\`${firstLine(s.text)}\` is a ${s.type.replace(/_/g, ' ')}`;
  }
  const boundInside = new Set(occurrences.filter((o) => o.binding && isMoved(o.node)).map((o) => o.name));
  for (const s of chosen) {
    const effect = sideEffect(m, s, boundInside);
    if (effect) return effect;
  }
  // Names: the moved statements may use only module-level names and their own.
  const boundOutside = new Set(occurrences.filter((o) => o.binding && !isMoved(o.node)).map((o) => o.name));
  for (const p of register.childForFieldName('parameters')?.descendantsOfType('identifier') ?? []) boundOutside.add(p.text);
  for (const o of occurrences) {
    if (isMoved(o.node) && boundOutside.has(o.name)) return `\`${o.name}\` is a local variable of register() set outside the statements to move`;
    if (!isMoved(o.node) && boundInside.has(o.name)) return `register() uses \`${o.name}\` outside the statements that need the context`;
  }
  return null;
}

/** The moved statements out of register() (the handler appended where the last one was), the handler above
 *  register(), and `import bpy` where the file lacks it. */
function moveEdits(ctx: RuleContext, register: SyntaxNode, chosen: SyntaxNode[], handler: string): Edit[] {
  const { source, newline: nl } = ctx;
  const indent = lineIndent(source, chosen[0].startIndex);
  const edits: Edit[] = [];
  let movedText = '';
  chosen.forEach((s, i) => {
    const start = lineStartOf(source, leadingStart(ctx, s));
    const end = pastLine(source, s.endIndex);
    let text = source.slice(start, end);
    if (!text.endsWith('\n')) text += nl;
    movedText += text;
    // The handler is appended where the last moved statement was: after what it depends on is set up.
    const last = i === chosen.length - 1;
    edits.push({ start, end, text: last ? `${indent}bpy.app.handlers.load_post.append(${handler})${nl}` : '' });
  });
  // The handler goes right above register() (and the comments about it), with the file's spacing.
  const defStart = lineStartOf(source, leadingStart(ctx, register));
  let blank = 0;
  for (let at = defStart; at > 0; ) {
    const prevStart = lineStartOf(source, at - 1);
    if (!/^[ \t]*\r?\n?$/.test(source.slice(prevStart, at))) break;
    blank++;
    at = prevStart;
  }
  const gap = nl.repeat(defStart === 0 ? 2 : Math.max(1, blank));
  const importEdit = ensureImport(ctx, 'bpy', defStart);
  if (importEdit) edits.unshift(importEdit);
  edits.push({
    start: defStart,
    end: defStart,
    text: `@bpy.app.handlers.persistent${nl}def ${handler}(*_args):${nl}${indent}${HANDLER_COMMENT}${nl}${movedText}${gap}`,
  });
  return edits;
}

/** unregister() removes the handler first (it is absent when register() failed before appending it); null
 *  when its first statement shares a line. */
function removalEdit(ctx: RuleContext, unregister: SyntaxNode, handler: string): Edit | null {
  const { source, newline: nl } = ctx;
  const unStatements = unregister.childForFieldName('body')!.namedChildren.filter((n) => n.type !== 'comment');
  const isDoc = (n: SyntaxNode | undefined): boolean => n?.type === 'expression_statement' && n.firstNamedChild?.type === 'string';
  const firstReal = unStatements.find((n, i) => !(i === 0 && isDoc(n)));
  const unIndent = lineIndent(source, (firstReal ?? unStatements[0]).startIndex);
  const unit = /^\t+$/.test(unIndent) ? '\t' : ctx.indentUnit;
  const removal = [
    `if ${handler} in bpy.app.handlers.load_post:`,
    `${unIndent}${unit}bpy.app.handlers.load_post.remove(${handler})`,
  ].join(nl);
  if (firstReal) {
    if (!startsLine(source, firstReal.startIndex)) return null;
    const at = leadingStart(ctx, firstReal);
    return { start: at, end: at, text: `${removal}${nl}${unIndent}` };
  }
  const at = lineEndOf(source, unStatements[0].endIndex);
  return { start: at, end: at, text: `${nl}${unIndent}${removal}` };
}

/** Standalone comment lines right above `stmt` (no blank line between): they travel with it. */
function leadingStart(ctx: RuleContext, stmt: SyntaxNode): number {
  let start = stmt.startIndex;
  let row = stmt.startPosition.row;
  for (let s = stmt.previousNamedSibling; s && s.type === 'comment'; s = s.previousNamedSibling) {
    if (!startsLine(ctx.source, s.startIndex) || s.endPosition.row + 1 !== row) break;
    start = s.startIndex;
    row = s.startPosition.row;
  }
  return start;
}

/** Offset just past the newline that ends the line holding `offset` (or the end of the source). */
function pastLine(source: string, offset: number): number {
  const end = lineEndOf(source, offset);
  if (source.startsWith('\r\n', end)) return end + 2;
  if (source.startsWith('\n', end)) return end + 1;
  return end;
}
