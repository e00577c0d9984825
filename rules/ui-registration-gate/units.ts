// BGS009 helper: the registration sites grouped into what the fix gates as one: a sequence with its loops
// or factory, or one directly registered class with its calls. Sites gated on one side only are
// asymmetric; UI classes that must stay registered (used elsewhere, their own register()) or that have no
// counterpart on the other side are reported without a fix.
import type { SyntaxNode } from '../../src/types.js';
import { foreignUse, harmlessUse } from './classes.js';
import { className, type Scan } from './scan.js';
import { shorten, type Sequence, type Site, type Unclear } from './sites.js';

/** What the fix gates as one. */
export interface Unit {
  label: string[];
  sites: Site[];
  sequence?: Sequence;
  /** The UI elements of the sequence that get gated. */
  move?: SyntaxNode[];
}

export interface Plan {
  units: Unit[];
  /** Reported without a fix, and why. */
  reportOnly: Unclear[];
  /** Gated on one side only. */
  asymmetric: Array<{ node: SyntaxNode; classes: string[] }>;
}

export function planUnits(scan: Scan, sites: Site[], unclear: Unclear[]): Plan {
  const plan: Plan = { units: [], reportOnly: [...unclear], asymmetric: [] };
  const disqualified = disqualifier(scan, sites);
  const bySequence = new Map<Sequence, Site[]>();
  const byClass = new Map<string, Site[]>();
  for (const s of sites) {
    if (s.sequence) bySequence.set(s.sequence, [...(bySequence.get(s.sequence) ?? []), s]);
    else byClass.set(className(s.argument), [...(byClass.get(className(s.argument)) ?? []), s]);
  }
  for (const [seq, list] of bySequence) sequenceUnit(scan, plan, seq, list, disqualified);
  for (const [name, list] of byClass) classUnit(plan, name, list, disqualified);
  return plan;
}

function sequenceUnit(scan: Scan, plan: Plan, seq: Sequence, list: Site[], disqualified: (node: SyntaxNode) => string | null): void {
  const uiEls = seq.elements.filter((e) => scan.ui(e));
  if (uiEls.length === 0) return;
  const state = symmetric(list);
  if (state === 'all') return;
  const first = list.find((s) => !s.gated)!;
  if (state === 'mixed') {
    plan.asymmetric.push({ node: first.call, classes: uiEls.map(className) });
    return;
  }
  if (seq.unclear) {
    plan.reportOnly.push({ node: first.call, classes: uiEls.map(className), reason: seq.unclear });
    return;
  }
  if (!hasBothSides(list)) {
    plan.reportOnly.push({ node: first.call, classes: uiEls.map(className), reason: `this file has no matching ${first.side === 'register' ? 'unregister' : 'register'} loop for \`${seq.name || 'them'}\`` });
    return;
  }
  const move: SyntaxNode[] = [];
  for (const e of uiEls) {
    const why = disqualified(e);
    if (why) plan.reportOnly.push({ node: first.call, classes: [className(e)], reason: why });
    else move.push(e);
  }
  if (move.length === 0) return;
  if (!seq.name && move.length !== seq.elements.length) return; // inline literal: reported above
  plan.units.push({ label: move.map(className), sites: list, sequence: seq, move });
}

function classUnit(plan: Plan, name: string, list: Site[], disqualified: (node: SyntaxNode) => string | null): void {
  const state = symmetric(list);
  if (state === 'all') return;
  const first = list.find((s) => !s.gated)!;
  if (state === 'mixed') {
    plan.asymmetric.push({ node: first.call, classes: [name] });
    return;
  }
  if (!hasBothSides(list)) {
    if (first.side === 'register') {
      plan.reportOnly.push({ node: first.call, classes: [name], reason: `this file has no matching \`unregister_class(${name})\`` });
    }
    return;
  }
  const why = disqualified(list[0].argument);
  if (why) {
    plan.reportOnly.push({ node: first.call, classes: [name], reason: why });
    return;
  }
  plan.units.push({ label: [name], sites: list });
}

function symmetric(list: Site[]): 'none' | 'all' | 'mixed' {
  const g = list.filter((s) => s.gated).length;
  return g === 0 ? 'none' : g === list.length ? 'all' : 'mixed';
}

function hasBothSides(list: Site[]): boolean {
  return list.some((s) => s.side !== 'unregister') && list.some((s) => s.side !== 'register');
}

/** Why a UI class must not be gated automatically (null when it may): its own register() classmethod, or
 *  a use here or in another file of the add-on that is none of the registration sites. */
function disqualifier(scan: Scan, sites: Site[]): (node: SyntaxNode) => string | null {
  const allowed = new Set<number>();
  for (const s of sites) {
    if (s.kind === 'direct') allowed.add(s.argument.id);
    if (s.sequence && !s.sequence.unclear) for (const e of s.sequence.elements) allowed.add(e.id);
  }
  return (node) => {
    const full = className(node);
    const name = full.split('.').pop()!;
    if (scan.facts(node)?.selfRegister) return `\`${full}\` has its own register()/unregister() classmethod, which may do more than UI`;
    for (const id of scan.names.named(name)) {
      if (allowed.has(id.id) || (id.parent && allowed.has(id.parent.id)) || harmlessUse(id)) continue;
      return `\`${name}\` is also used on line ${id.startPosition.row + 1} (\`${shorten(enclosingLine(id))}\`), which may need it registered`;
    }
    const elsewhere = foreignUse(scan.ctx.model, name);
    if (elsewhere) return `\`${name}\` is also used in ${elsewhere}, which may need it registered`;
    return null;
  };
}

function enclosingLine(node: SyntaxNode): string {
  let n = node;
  while (n.parent && n.parent.type !== 'block' && n.parent.type !== 'module') n = n.parent;
  return n.text.trim();
}
