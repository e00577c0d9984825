// BGS009 helper: the fix. A unit registered whole is wrapped in `if not bpy.app.background:` (runs of
// consecutive statements under one check, the file's menu `append`/`remove` entries with them); a mixed
// sequence is split and its UI part gets a second, gated loop next to the loop over the rest; a
// `register_classes_factory` argument leaves the UI classes out headless. `import bpy` is added if missing.
import { ensureImport, wrapStatements } from '../../src/syntax/edits.js';
import { freeName } from '../../src/syntax/names.js';
import { endsLine, lineEndOf, lineIndent, lineStartOf, startsLine } from '../../src/syntax/source.js';
import type { Edit, RuleContext, SyntaxNode } from '../../src/types.js';
import { gated, type Scan } from './scan.js';
import { shorten, type Side } from './sites.js';
import { splitSequence } from './split.js';
import type { Unit } from './units.js';

export const CONDITION = 'not bpy.app.background';

/** `bpy.types.VIEW3D_MT_add` (`_HT_`, `_PT_`): a menu, header or panel whose draw functions get entries. */
const MENU = /^bpy[.]types[.][A-Za-z0-9_]+_(MT|HT|PT)_[A-Za-z0-9_]+$/;
const MENU_METHOD = /^(append|prepend|remove)$/;

/** A generated loop: the UI part of a mixed sequence, registered next to the loop over the rest. */
interface Generated {
  loop: SyntaxNode;
  side: Side;
  lines: string[];
}

/** A run of consecutive statements wrapped under one check, with the generated loops that join it. */
interface Run {
  first: SyntaxNode;
  last: SyntaxNode;
  before: Generated[];
  after: Generated[];
}

interface FixState {
  edits: Edit[];
  /** Statements to wrap whole. */
  wrapped: SyntaxNode[];
  generated: Generated[];
  /** What the fix does, in words for the message. */
  how: Set<string>;
  /** The first module-level statement edited (a factory), for where `import bpy` goes. */
  firstModuleUse: number;
}

/** The fix for the units, or why there is none. */
export function buildFix(scan: Scan, units: Unit[]): { edits: Edit[]; how: string[] } | { reason: string } {
  const { ctx } = scan;
  const fx: FixState = { edits: [], wrapped: [], generated: [], how: new Set(), firstModuleUse: Infinity };
  const failed = unitEdits(scan, units, fx);
  if (failed) return { reason: failed };
  if (fx.wrapped.length > 0 || fx.generated.length > 0) fx.how.add('their registration goes under `if not bpy.app.background:`');
  // Menu entries in the same file go with them.
  const menus = fx.wrapped.length > 0 || fx.generated.length > 0 || fx.how.size > 0 ? menuStatements(scan) : [];
  if (menus.length > 0) fx.how.add('menu entries (`append`/`remove`) go under the same check');
  const toWrap = [...new Map([...fx.wrapped, ...menus].map((s) => [s.id, s])).values()].sort((x, y) => x.startIndex - y.startIndex);
  const { runs, alone } = groupRuns(toWrap, fx.generated);
  const wrapFailed = runEdits(ctx, runs, alone, fx.edits);
  if (wrapFailed) return { reason: wrapFailed };
  const firstFunctionUse = Math.min(...toWrap.map((s) => s.startIndex), ...fx.generated.map((g) => g.loop.startIndex));
  const imp = ensureImport(ctx, 'bpy', Math.min(fx.firstModuleUse, firstFunctionUse));
  if (imp) fx.edits.push(imp);
  return { edits: fx.edits, how: [...fx.how] };
}

/** Per unit: split its sequence if only part of it is UI, edit factory arguments, and collect the
 *  statements to wrap and the loops to generate. A reason when a sequence cannot be split. */
function unitEdits(scan: Scan, units: Unit[], fx: FixState): string | null {
  const { source } = scan.ctx;
  const added = new Set<string>();
  for (const unit of units) {
    const seq = unit.sequence;
    const whole = !seq || unit.move!.length === seq.elements.length;
    let uiName = '';
    if (seq && !whole) {
      const stem = uiStem(seq.name);
      uiName = freeName(stem, new Set([...scan.names.startingWith(stem), ...added]), { separator: '' });
      added.add(uiName);
      const split = splitSequence(scan.ctx, seq, new Set(unit.move!.map((e) => e.id)), uiName);
      if (typeof split === 'string') return split;
      fx.edits.push(...split);
      fx.how.add(`\`${seq.name}\` is split, its UI classes moved to \`${uiName}\``);
    }
    for (const site of unit.sites) {
      if (site.kind === 'factory') {
        fx.firstModuleUse = Math.min(fx.firstModuleUse, site.statement.startIndex);
        if (whole) fx.edits.push({ start: site.argument.endIndex, end: site.argument.endIndex, text: ` if ${CONDITION} else ()` });
        else fx.edits.push({ start: site.argument.startIndex, end: site.argument.endIndex, text: `${seq!.name} + ${uiName} if ${CONDITION} else ${seq!.name}` });
        fx.how.add('the class list given to `register_classes_factory` leaves them out in background mode');
        continue;
      }
      if (whole) {
        fx.wrapped.push(site.statement);
        continue;
      }
      // A second loop over the UI classes, next to the loop over the rest.
      const loop = site.statement;
      const ls = lineStartOf(source, loop.startIndex);
      const indent = lineIndent(source, loop.startIndex);
      const text = source.slice(ls, site.reference!.startIndex) + uiName + source.slice(site.reference!.endIndex, loop.endIndex);
      const lines = text.split(/\r?\n/).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
      fx.generated.push({ loop, side: site.side as Side, lines });
    }
  }
  return null;
}

/** `classes` → `ui_classes`, `_classes` → `_ui_classes`: the stem of the new sequence's name. */
function uiStem(name: string): string {
  const lead = /^_*/.exec(name)![0];
  return `${lead}ui_${name.slice(lead.length)}`;
}

/** `bpy.types.VIEW3D_MT_add.append(menu_func)` statements (`prepend`, `remove`) that run while the
 *  add-on loads or unloads and are not gated yet, from the model's index of the file's calls. */
function menuStatements(scan: Scan): SyntaxNode[] {
  const menus: SyntaxNode[] = [];
  for (const site of scan.ctx.model.index.calls) {
    const { node: call, path } = site;
    if (path?.length !== 4 || path[0] !== 'bpy' || path[1] !== 'types' || !MENU_METHOD.test(path[3])) continue;
    if (!MENU.test(path.slice(0, 3).join('.'))) continue;
    // As written, without whitespace inside the name.
    if (!MENU.test(call.childForFieldName('function')?.childForFieldName('object')?.text ?? '')) continue;
    const stmt = call.parent;
    if (stmt?.type !== 'expression_statement' || stmt.namedChildCount !== 1 || stmt.parent?.type !== 'block') continue;
    if (!scan.runsAtLoad(site) || gated(scan, call)) continue;
    menus.push(stmt);
  }
  return menus;
}

/** Runs of consecutive statements to wrap, per block; a generated loop joins an adjacent run (a register
 *  loop the run after it, an unregister loop the run before it), or stands alone. */
function groupRuns(toWrap: SyntaxNode[], generated: Generated[]): { runs: Run[]; alone: Generated[] } {
  const wrapIds = new Set(toWrap.map((s) => s.id));
  const runs: Run[] = [];
  for (const s of toWrap) {
    const prev = runs[runs.length - 1];
    let p = s.previousNamedSibling;
    while (p && p.type === 'comment') p = p.previousNamedSibling;
    if (prev && p && p.id === prev.last.id) prev.last = s;
    else runs.push({ first: s, last: s, before: [], after: [] });
  }
  const alone: Generated[] = [];
  for (const g of generated) {
    if (g.side === 'register') {
      const next = g.loop.nextNamedSibling;
      const run = next && wrapIds.has(next.id) ? runs.find((r) => r.first.id === next.id) : undefined;
      if (run) run.before.push(g);
      else alone.push(g);
    } else {
      const prev = g.loop.previousNamedSibling;
      const run = prev && wrapIds.has(prev.id) ? runs.find((r) => r.last.id === prev.id) : undefined;
      if (run) run.after.push(g);
      else alone.push(g);
    }
  }
  return { runs, alone };
}

/** The edits that wrap each run (its generated loops inside the check) and gate each lone generated loop;
 *  a reason when a statement shares its line with other code. */
function runEdits(ctx: RuleContext, runs: Run[], alone: Generated[], edits: Edit[]): string | null {
  const { source, newline: nl } = ctx;
  const unitFor = (indent: string): string => (indent.length > 0 && /^\t+$/.test(indent) ? '\t' : ctx.indentUnit);
  const render = (g: Generated, indent: string): string => g.lines.map((l) => `${indent}${unitFor(indent)}${l}`).join(nl);
  for (const run of runs) {
    const w = wrapStatements(ctx, run.first, run.last, CONDITION);
    if (!w || w.length === 0) return `\`${shorten(run.first.text)}\` shares its line with other code`;
    const indent = lineIndent(source, run.first.startIndex);
    if (!startsLine(source, run.first.startIndex)) {
      if (run.before.length + run.after.length > 0) return 'the registration shares its line with other code';
    }
    if (run.before.length > 0) {
      const head = w[0];
      const marker = `if ${CONDITION}:${nl}`;
      if (!head.text.startsWith(marker)) return 'the registration shares its line with other code';
      w[0] = { ...head, text: `${marker}${run.before.map((g) => render(g, indent)).join(nl)}${nl}${head.text.slice(marker.length)}` };
    }
    edits.push(...w);
    if (run.after.length > 0) {
      const at = lineEndOf(source, run.last.endIndex);
      edits.push({ start: at, end: at, text: `${nl}${run.after.map((g) => render(g, indent)).join(nl)}` });
    }
  }
  for (const g of alone) {
    const indent = lineIndent(source, g.loop.startIndex);
    if (!startsLine(source, g.loop.startIndex) || !endsLine(source, g.loop.endIndex)) return 'the loop shares its line with other code';
    const block = `if ${CONDITION}:${nl}${render(g, indent)}`;
    if (g.side === 'register') {
      const at = lineEndOf(source, g.loop.endIndex);
      edits.push({ start: at, end: at, text: `${nl}${indent}${block}` });
    } else {
      edits.push({ start: g.loop.startIndex, end: g.loop.startIndex, text: `${block}${nl}${indent}` });
    }
  }
  return null;
}
