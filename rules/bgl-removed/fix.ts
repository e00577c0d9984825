// BGS015 bgl-removed: the edits of the fix. Where every supported Blender has gpu.state (2.93 and later) each
// mapped call is replaced in place and the bgl imports go; where the range starts earlier, each run of mapped
// statements becomes `if bpy.app.version >= (2, 93, 0): <gpu.state> else: <bgl as before>` and the imports
// move under `if bpy.app.version < (2, 93, 0):`, so Blender 5.0+ never imports bgl.
import type { Edit, RuleContext, SyntaxNode } from '../../src/types.js';
import { consecutiveRuns, wrapStatements } from '../../src/syntax/edits.js';
import { endsLine, lineEndOf, lineIndent, lineStartOf, startsLine } from '../../src/syntax/source.js';
import type { BglImport, BglItem } from './uses.js';

export const GPU_STATE_FROM = '(2, 93, 0)';

export interface Mapped {
  item: BglItem;
  /** The gpu.state call that replaces it. */
  text: string;
}

/** No version branch: each call replaced by its gpu.state call. */
export function inPlace(mapped: Mapped[]): Edit[] {
  return mapped.map(({ item, text }) => ({ start: item.call!.startIndex, end: item.call!.endIndex, text }));
}

/** The statement a mapped call is the whole of, on lines of its own; null otherwise. */
export function ownStatement(ctx: RuleContext, call: SyntaxNode): SyntaxNode | null {
  const s = call.parent;
  if (s?.type !== 'expression_statement' || s.namedChildCount !== 1) return null;
  if (!startsLine(ctx.source, s.startIndex) || !endsLine(ctx.source, s.endIndex)) return null;
  const body = s.parent;
  // A one-line body (`if x: bgl.glEnable(...)`) does not start its line; a block of statements does.
  return body && (body.type === 'block' || body.type === 'module') ? s : null;
}

/**
 * With a version branch: each run of neighbouring mapped statements becomes one `if … else:` holding the
 * gpu.state calls and, in `else:`, the lines as they were (comments kept in both). Returns the edits and
 * the items placed; an item whose call is not a statement of its own is left out.
 */
export function branched(ctx: RuleContext, mapped: Mapped[]): { edits: Edit[]; placed: Set<BglItem> } {
  const byStatement = new Map<number, Mapped>();
  for (const m of mapped) {
    const s = ownStatement(ctx, m.item.call!);
    if (s) byStatement.set(s.id, m);
  }
  const statements = mapped.map((m) => ownStatement(ctx, m.item.call!)).filter((s): s is SyntaxNode => !!s);
  const edits: Edit[] = [];
  const placed = new Set<BglItem>();
  for (const run of consecutiveRuns(statements)) {
    const first = run[0];
    const start = lineStartOf(ctx.source, first.startIndex);
    const end = lineEndOf(ctx.source, run[run.length - 1].endIndex);
    const old = ctx.source.slice(start, end);
    if (/'''|"""/.test(old)) continue;
    const runMapped = run.map((s) => byStatement.get(s.id)!);
    let now = old;
    for (const m of [...runMapped].sort((a, b) => b.item.call!.startIndex - a.item.call!.startIndex)) {
      now = now.slice(0, m.item.call!.startIndex - start) + m.text + now.slice(m.item.call!.endIndex - start);
    }
    const indent = lineIndent(ctx.source, first.startIndex);
    const nl = ctx.newline;
    const text =
      `${indent}if bpy.app.version >= ${GPU_STATE_FROM}:${nl}${indented(ctx, now)}${nl}` +
      `${indent}else:${nl}${indented(ctx, old)}`;
    edits.push({ start, end, text });
    for (const m of runMapped) placed.add(m.item);
  }
  return { edits, placed };
}

/** Lines one indent unit deeper (blank lines stay blank). */
function indented(ctx: RuleContext, text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => (line.trim() === '' ? '' : ctx.indentUnit + line))
    .join(ctx.newline);
}

/**
 * The bgl imports removed: a statement on lines of its own goes whole (replaced by `pass` where it is the
 * only statement of its block, by `import gpu` for the first module-level one when `gpu` is wanted and not
 * imported); `bgl` leaves a list (`import bgl, blf`). Returns the edits and whether `import gpu` was placed.
 */
export function removeImports(ctx: RuleContext, imports: BglImport[], wantGpu: boolean): { edits: Edit[]; gpuPlaced: boolean } {
  const edits: Edit[] = [];
  let gpuPlaced = !wantGpu;
  for (const imp of imports) {
    const s = imp.statement;
    if (!imp.onlyBgl) {
      edits.push(removeFromList(s));
      continue;
    }
    if (!gpuPlaced && s.parent?.type === 'module') {
      edits.push({ start: s.startIndex, end: s.endIndex, text: 'import gpu' });
      gpuPlaced = true;
      continue;
    }
    const alone = s.parent?.type === 'block' && s.parent.namedChildren.filter((c) => c.type !== 'comment').length === 1;
    if (alone || !startsLine(ctx.source, s.startIndex) || !endsLine(ctx.source, s.endIndex)) {
      edits.push({ start: s.startIndex, end: s.endIndex, text: alone ? 'pass' : '' });
      continue;
    }
    const lineStart = lineStartOf(ctx.source, s.startIndex);
    const lineEnd = lineEndOf(ctx.source, s.endIndex);
    let next = afterLine(ctx.source, lineEnd);
    // An import opening a function body often has a blank line after it: that goes too.
    const blankAfter = /^[ \t]*$/.test(ctx.source.slice(next, lineEndOf(ctx.source, next)));
    if (s.parent?.type === 'block' && s.parent.firstNamedChild?.id === s.id && next < ctx.source.length && blankAfter) {
      next = afterLine(ctx.source, lineEndOf(ctx.source, next));
    }
    edits.push({ start: lineStart, end: next, text: '' });
  }
  return { edits, gpuPlaced };
}

/** The offset after the newline at `lineEnd`. */
function afterLine(source: string, lineEnd: number): number {
  return source.startsWith('\r\n', lineEnd) ? lineEnd + 2 : Math.min(lineEnd + 1, source.length);
}

/** `bgl` (or `bgl as gl`) out of `import a, bgl, b`, with its comma. */
function removeFromList(stmt: SyntaxNode): Edit {
  const names = stmt.namedChildren.filter((c) => c.type === 'dotted_name' || c.type === 'aliased_import');
  const i = names.findIndex((n) => (n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.text) === 'bgl');
  const n = names[i];
  return i + 1 < names.length
    ? { start: n.startIndex, end: names[i + 1].startIndex, text: '' }
    : { start: names[i - 1].endIndex, end: n.endIndex, text: '' };
}

/** The bgl imports under `if bpy.app.version < (2, 93, 0):`; null where one cannot be wrapped (it shares its
 *  line or its statement with other code, or `bpy` is imported only after it). */
export function guardImports(ctx: RuleContext, imports: BglImport[], bpyImportAt: number | null): Edit[] | null {
  const edits: Edit[] = [];
  for (const imp of imports) {
    if (!imp.onlyBgl) return null;
    if (bpyImportAt !== null && bpyImportAt > imp.statement.startIndex && imp.statement.parent?.type === 'module') return null;
    const wrap = wrapStatements(ctx, imp.statement, imp.statement, `bpy.app.version < ${GPU_STATE_FROM}`);
    if (!wrap) return null;
    edits.push(...wrap);
  }
  return edits;
}
