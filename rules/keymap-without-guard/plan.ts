// BGS002's fix for one group: find the statements to wrap (from the first failing use to the last use of
// the names made from the key config), check that wrapping them in `if kc:` is certainly right, and build
// the edits (for the inline form, binding the key config to the new name first).
import { within, type Occurrence } from '../../src/syntax/bindings.js';
import { wrapStatements } from '../../src/syntax/edits.js';
import { enclosingFunction, isGuarded, statementIn } from '../../src/syntax/scope.js';
import { lineStartOf } from '../../src/syntax/source.js';
import type { Edit, RuleContext, SyntaxNode } from '../../src/types.js';
import { dereferenceOf, insideClassBody, scopeOf, type Group, type Occurrences } from './groups.js';

export type Plan = { edits: Edit[] } | { reason: string };

/** What the checks work on: the group, the names of its scope outside the inline expressions, and the
 *  names made from the key config. */
interface Names {
  g: Group;
  names: Occurrence[];
  tracked: Set<string>;
  mentionsTracked(value: SyntaxNode): boolean;
}

export function planFix(ctx: RuleContext, g: Group, occurrences: Occurrences): Plan {
  const inInline = (node: SyntaxNode): boolean => g.inline.some((s) => within(node, s));
  const n = trackNames(g, occurrences(g.scope).filter((o) => !inInline(o.node)));
  const rebound = reboundProblem(n);
  if (rebound) return { reason: rebound };
  const range = wrapRange(n);
  if ('reason' in range) return range;
  const reason = rangeProblem(n, range.first, range.last, occurrences);
  if (reason) return { reason };
  return wrapEdits(ctx, g, range.first, range.last);
}

/** Names derived from the key config: `km = kc.keymaps.new(…)`, `kmi = km.keymap_items.new(…)`, … */
function trackNames(g: Group, names: Occurrence[]): Names {
  const tracked = new Set<string>(g.binding ? [g.name] : []);
  const mentionsTracked = (value: SyntaxNode): boolean =>
    g.inline.some((s) => within(s, value)) ||
    names.some((o) => tracked.has(o.name) && !o.binding && within(o.node, value));
  for (let changed = true; changed; ) {
    changed = false;
    for (const o of names) {
      if (o.binding?.value && !tracked.has(o.name) && mentionsTracked(o.binding.value)) {
        tracked.add(o.name);
        changed = true;
      }
    }
  }
  return { g, names, tracked, mentionsTracked };
}

/** A tracked name bound to something else too (or the key config's name bound twice), or null. */
function reboundProblem({ g, names, tracked, mentionsTracked }: Names): string | null {
  for (const o of names) {
    if (!o.binding || !tracked.has(o.name)) continue;
    if (g.binding && o.node.id === g.binding.target.id) continue;
    if (g.binding && o.name === g.name) return `\`${g.name}\` is assigned more than once here`;
    if (!o.binding.value || !mentionsTracked(o.binding.value)) return `\`${o.name}\` is also bound to something other than the key config`;
  }
  return null;
}

/** The statements to wrap: from the first failing use to the last use of the tracked names. */
function wrapRange({ g, names, tracked }: Names): { first: SyntaxNode; last: SyntaxNode } | { reason: string } {
  if (g.block.type !== 'block' && g.block.type !== 'module') return { reason: 'the key config is used in several functions' };
  const first = statementIn(g.block, g.firstUse);
  if (!first) return { reason: 'the key config is used in a different block than the one that sets it' };
  if (g.binding && first.startIndex < g.binding.statement.endIndex) return { reason: `\`${g.name}\` is used before it is set` };
  const inlineIds = new Set(g.inline.map((n) => n.id));
  let last = first;
  const uses: SyntaxNode[] = [...g.inline, ...names.filter((o) => tracked.has(o.name)).map((o) => o.node)];
  for (const node of uses) {
    if (g.binding && node.id === g.binding.target.id) continue;
    if (node.startIndex < first.startIndex) {
      // Earlier uses are fine where they are guarded or only pass the key config on.
      if (g.binding && node.text === g.name && !dereferenceOf(node)) continue;
      if (!inlineIds.has(node.id) && isGuarded(node, g.guarded)) continue;
      return { reason: `\`${node.text}\` is used before the key-map statements` };
    }
    if (scopeOf(node).id !== g.scope.id || insideClassBody(node, g.scope)) {
      return { reason: `\`${node.text}\` is used inside another function or class` };
    }
    const stmt = statementIn(g.block, node);
    if (!stmt) return { reason: `\`${node.text}\` is used outside the block that holds the key-map statements` };
    if (stmt.startIndex > last.startIndex) last = stmt;
  }
  return { first, last };
}

/** What wrapping `first`…`last` would break: a key-map object returned, a name set inside and read after,
 *  the inline expression's names changed inside; or null. */
function rangeProblem({ g, names, tracked }: Names, first: SyntaxNode, last: SyntaxNode, occurrences: Occurrences): string | null {
  const rangeStart = first.startIndex;
  const rangeEnd = last.endIndex;
  const inRange = (n: SyntaxNode): boolean => n.startIndex >= rangeStart && n.endIndex <= rangeEnd;
  for (const ret of g.scope.descendantsOfType(['return_statement', 'yield'])) {
    if (!inRange(ret) || enclosingFunction(ret)?.id !== enclosingFunction(first)?.id) continue;
    const value = ret.type === 'yield' ? ret : ret.namedChildren[0];
    if (value && (g.inline.some((s) => within(s, value)) || names.some((o) => tracked.has(o.name) && within(o.node, value)))) {
      return `\`${ret.text.split('\n')[0]}\` hands a key-map object to its caller, which would get None in background mode`;
    }
  }
  // A name set inside the wrapped statements and read after them would be unset when the key config is None.
  const boundInside = new Set(names.filter((o) => o.binding && inRange(o.node)).map((o) => o.name));
  for (const o of names) {
    if (o.node.startIndex >= rangeEnd && boundInside.has(o.name) && !o.binding) {
      return `\`${o.name}\` is set inside the key-map statements and used after them`;
    }
  }
  if (g.inline.length > 0) {
    // `wm.keyconfigs.addon` is read once, before the statements: its names must not change inside them.
    const base = new Set(occurrences(g.inline[0]).map((o) => o.name));
    for (const o of names) {
      if (o.binding && base.has(o.name) && o.node.startIndex >= rangeStart && o.node.startIndex < rangeEnd) {
        return `\`${o.name}\` changes inside the key-map statements`;
      }
    }
  }
  return null;
}

/** `if kc:` around `first`…`last`; for the inline form, `kc = <expression>` before it and `kc` in place
 *  of each expression. */
function wrapEdits(ctx: RuleContext, g: Group, first: SyntaxNode, last: SyntaxNode): Plan {
  const wrap = wrapStatements(ctx, first, last, g.name);
  if (!wrap || wrap.length === 0) return { reason: 'the key-map statements share a line with other code' };
  if (g.inline.length === 0) return { edits: wrap };
  const header = `if ${g.name}:`;
  const head = wrap[0];
  const at = head.text.indexOf(header);
  const exprText = g.inline[0].text;
  if (at < 0 || exprText.includes('\n')) return { reason: 'the key-config expression spans several lines' };
  // The `if` line's indent: from the inserted text where it opens a line, else the source line's own.
  const lineOpen = head.text.lastIndexOf('\n', at);
  const indent =
    lineOpen >= 0
      ? head.text.slice(lineOpen + 1, at)
      : ctx.source.slice(lineStartOf(ctx.source, head.start), head.start) + head.text.slice(0, at);
  if (!/^[ \t]*$/.test(indent)) return { reason: 'the key-map statements share a line with other code' };
  let edits: Edit[] = [
    { ...head, text: `${head.text.slice(0, at)}${g.name} = ${exprText}${ctx.newline}${indent}${head.text.slice(at)}` },
    ...wrap.slice(1),
  ];
  for (const s of g.inline) {
    // An insert where the expression starts (the `if` header, an indent) goes in front of the name.
    const before = edits.filter((e) => e.start === e.end && e.start === s.startIndex);
    if (edits.some((e) => e.start < s.endIndex && e.end > s.startIndex)) {
      return { reason: 'the key-config expression overlaps the re-indented lines' };
    }
    edits = edits.filter((e) => !before.includes(e));
    edits.push({ start: s.startIndex, end: s.endIndex, text: `${before.map((e) => e.text).join('')}${g.name}` });
  }
  return { edits };
}
