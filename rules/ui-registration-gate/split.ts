// BGS009 helper: splitting `classes = (OpA, PanelB, OpC)` into `classes = (OpA, OpC)` and
// `ui_classes = (PanelB,)`, in the layout it had: on one line, one class a line (comment lines heading a
// run of UI classes go with them), or re-laid one a line.
import { endsLine, lineEndOf, lineIndent, lineStartOf, startsLine } from '../../src/syntax/source.js';
import type { Edit, RuleContext, SyntaxNode } from '../../src/types.js';
import type { Sequence } from './sites.js';

/** The edits that split `seq`, its elements in `moved` going to a new sequence `uiName` after it; a reason
 *  when the layout does not allow it. */
export function splitSequence(ctx: RuleContext, seq: Sequence, moved: Set<number>, uiName: string): Edit[] | string {
  const { source, newline: nl } = ctx;
  const coll = seq.collection;
  const open = coll.child(0)!.text;
  const close = coll.child(coll.childCount - 1)!.text;
  const isTuple = coll.type === 'tuple';
  const kept = seq.elements.filter((e) => !moved.has(e.id));
  const move = seq.elements.filter((e) => moved.has(e.id));
  const render = (list: SyntaxNode[]): string =>
    `${open}${list.map((e) => e.text).join(', ')}${isTuple && list.length === 1 ? ',' : ''}${close}`;
  const after = lineEndOf(source, seq.statement.endIndex);
  if (!endsLine(source, seq.statement.endIndex)) return `\`${seq.name} = …\` shares its line with other code`;
  if (coll.startPosition.row === coll.endPosition.row) {
    return [
      { start: coll.startIndex, end: coll.endIndex, text: render(kept) },
      { start: after, end: after, text: `${nl}${uiName} = ${render(move)}` },
    ];
  }
  const lastChild = coll.child(coll.childCount - 1)!;
  const oneALine =
    endsLine(source, coll.child(0)!.endIndex) &&
    startsLine(source, lastChild.startIndex) &&
    seq.elements.every((e) => startsLine(source, e.startIndex) && /^[ \t]*,?[ \t]*(#.*)?$/.test(source.slice(e.endIndex, lineEndOf(source, e.startIndex))) && e.startPosition.row === e.endPosition.row);
  if (oneALine) return splitLines(ctx, seq, moved, uiName, { open, close, isTuple, kept, move, after, lastChild });
  if (coll.namedChildren.some((c) => c.type === 'comment')) return `\`${seq.name}\` mixes comments with several classes a line`;
  const first = seq.elements[0];
  const elIndent = startsLine(source, first.startIndex) ? lineIndent(source, first.startIndex) : ctx.indentUnit;
  const block = (list: SyntaxNode[]): string => `${open}${nl}${list.map((e) => `${elIndent}${e.text},`).join(nl)}${nl}${close}`;
  return [
    { start: coll.startIndex, end: coll.endIndex, text: block(kept) },
    { start: after, end: after, text: `${nl}${uiName} = ${block(move)}` },
  ];
}

interface Layout {
  open: string;
  close: string;
  isTuple: boolean;
  kept: SyntaxNode[];
  move: SyntaxNode[];
  /** The end of the sequence's last line. */
  after: number;
  lastChild: SyntaxNode;
}

/** One element a line: move whole lines, and a comment line heading a run of UI classes goes with them. */
function splitLines(ctx: RuleContext, seq: Sequence, moved: Set<number>, uiName: string, layout: Layout): Edit[] {
  const { source, newline: nl } = ctx;
  const { open, close, isTuple, kept, move, after, lastChild } = layout;
  const edits: Edit[] = [];
  const movedLines: string[] = [];
  const children = seq.collection.namedChildren;
  const take = (node: SyntaxNode): void => {
    const ls = lineStartOf(source, node.startIndex);
    edits.push({ start: ls, end: lineAfter(source, node.startIndex), text: '' });
    movedLines.push(source.slice(ls, lineEndOf(source, node.startIndex)));
  };
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (c.type === 'comment') {
      if (!startsLine(source, c.startIndex)) continue; // a trailing comment travels with its line
      const section: SyntaxNode[] = [];
      for (let j = i + 1; j < children.length; j++) {
        if (children[j].type === 'comment' && startsLine(source, children[j].startIndex)) break;
        if (children[j].type !== 'comment') section.push(children[j]);
      }
      if (section.length > 0 && section.every((e) => moved.has(e.id))) take(c);
      continue;
    }
    if (moved.has(c.id)) take(c);
  }
  // A tuple left with one class needs its comma.
  const lastKept = kept[kept.length - 1];
  if (isTuple && kept.length === 1 && !/^[ \t]*,/.test(source.slice(lastKept.endIndex))) {
    edits.push({ start: lastKept.endIndex, end: lastKept.endIndex, text: ',' });
  }
  const lastMoved = move[move.length - 1];
  if (isTuple && move.length === 1 && !/^[ \t]*,/.test(source.slice(lastMoved.endIndex))) {
    const i = movedLines.findIndex((l) => l.includes(lastMoved.text));
    const line = movedLines[i];
    const at = line.indexOf(lastMoved.text) + lastMoved.text.length;
    movedLines[i] = `${line.slice(0, at)},${line.slice(at)}`;
  }
  const closeIndent = lineIndent(source, lastChild.startIndex);
  edits.push({ start: after, end: after, text: `${nl}${uiName} = ${open}${nl}${movedLines.join(nl)}${nl}${closeIndent}${close}` });
  return edits;
}

function lineAfter(source: string, offset: number): number {
  const nl = source.indexOf('\n', offset);
  return nl < 0 ? source.length : nl + 1;
}
