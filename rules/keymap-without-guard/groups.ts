// The key-config uses BGS002 reports, as groups that one fix wraps: a name bound to the key config
// (`kc = wm.keyconfigs.addon`) and its first unguarded use, or the inline `wm.keyconfigs.addon.…`
// expressions of one scope. Also when such code runs around loading, and what counts as a guard.
import { reachedInFile } from '../../src/model/index.js';
import { occurrencesIn, type Occurrence } from '../../src/syntax/bindings.js';
import { freeName } from '../../src/syntax/names.js';
import { enclosingFunction, isField, isGuarded, mentionsBackground } from '../../src/syntax/scope.js';
import type { RuleContext, SyntaxNode } from '../../src/types.js';

export type When = 'import' | 'register' | 'unregister';

/** Module-level functions that, by their name, run while an add-on loads or unloads even when this
 *  file's register() does not call them (a submodule's `register_keymaps()`); `draw…` functions are UI. */
const KEYMAP_FUNCTION_NAME = /^(?!_*draw)(_*(un)?register|.*(keymap|key_map|hotkey|shortcut))/i;

export interface Group {
  scope: SyntaxNode;
  /** The block whose statements get wrapped. */
  block: SyntaxNode;
  /** The key config's name: the one the code binds, or the one the fix introduces. */
  name: string;
  /** Named form: the statement `kc = wm.keyconfigs.addon`, and the identifier it binds. */
  binding: { statement: SyntaxNode; target: SyntaxNode } | null;
  /** Inline form: the `wm.keyconfigs.addon` expressions the fix replaces by the name. */
  inline: SyntaxNode[];
  /** The first use that would raise. */
  firstUse: SyntaxNode;
  when: When;
  guarded: (text: string) => boolean;
}

/** The occurrences of names in a scope, computed once per scope. */
export type Occurrences = (scope: SyntaxNode) => Occurrence[];

export function occurrenceCache(): Occurrences {
  const cache = new Map<number, Occurrence[]>();
  return (scope) => {
    let hit = cache.get(scope.id);
    if (!hit) cache.set(scope.id, (hit = occurrencesIn(scope)));
    return hit;
  };
}

/** When code runs around loading: at import, in register() (or what it reaches, across the add-on's
 *  files), in unregister(), in a function named like `register_keymaps` (or what it reaches), else null. */
export function loadTimeOf(ctx: RuleContext): (at: SyntaxNode) => When | null {
  let named: Set<string> | undefined;
  const namedReach = (): Set<string> => {
    const starts = [...ctx.model.index.functions.values()].filter((d) => KEYMAP_FUNCTION_NAME.test(d.name));
    return (named ??= reachedInFile(ctx.model, starts));
  };
  return (at) => {
    // A lambda runs where it is called; take the place it is written as the best guess.
    let node = at;
    for (let fn = enclosingFunction(node); fn?.type === 'lambda'; fn = enclosingFunction(node)) node = fn;
    // At import, in register() or unregister() and what they reach across the add-on's files, and in
    // classes' register()/unregister() classmethods (register_class calls them).
    const lt = ctx.model.loadTimes(node)[0];
    if (lt) return lt.kind;
    const fn = enclosingFunction(node);
    const def = fn ? ctx.model.index.byNode.get(fn.id) : undefined;
    if (!def || !namedReach().has(def.qualname)) return null;
    return /^_*unregister/i.test(def.name) ? 'unregister' : 'register';
  };
}

/** The groups to report, named ones first, then the inline ones (one per scope and expression text). */
export function keyconfigGroups(
  ctx: RuleContext,
  matches: Array<Record<string, SyntaxNode>>,
  occurrences: Occurrences,
): Group[] {
  const whenItRuns = loadTimeOf(ctx);
  const namedPerScope = namesPerScope(matches);
  const groups: Group[] = [];
  const inlineGroups = new Map<string, { scope: SyntaxNode; which: string; nodes: SyntaxNode[]; when: When }>();
  for (const { keyconfig, _which } of matches) {
    const scope = scopeOf(keyconfig);
    const p = keyconfig.parent!;
    const left = p.type === 'assignment' && isField(p, 'right', keyconfig) ? p.childForFieldName('left') : null;
    if (left?.type === 'identifier') {
      const group = namedGroup(left, scope, occurrences);
      const when = group && whenItRuns(keyconfig);
      if (group && when) groups.push({ ...group, when });
      continue;
    }
    // Inline: `wm.keyconfigs.addon.keymaps…`.
    if (!dereferenceOf(keyconfig)) continue;
    if (isGuarded(keyconfig, guardTest(namedPerScope.get(scope.id) ?? []))) continue;
    const when = whenItRuns(keyconfig);
    if (!when) continue;
    const key = `${scope.id}:${keyconfig.text.replace(/\s+/g, '')}`;
    const group = inlineGroups.get(key) ?? { scope, which: _which.text, nodes: [], when };
    group.nodes.push(keyconfig);
    inlineGroups.set(key, group);
  }
  const chosen = new Map<number, Set<string>>();
  for (const group of inlineGroups.values()) {
    const taken = chosen.get(group.scope.id) ?? new Set(occurrences(group.scope).map((o) => o.name));
    chosen.set(group.scope.id, taken);
    const which = group.which;
    const name = freeName('kc', taken, { prefer: ['kc', `kc_${which}`, 'keyconfig', `keyconfig_${which}`], separator: '' });
    taken.add(name);
    group.nodes.sort((a, b) => a.startIndex - b.startIndex);
    groups.push({
      scope: group.scope,
      block: lowestCommonBlock(group.nodes, group.scope) ?? group.scope,
      name,
      binding: null,
      inline: group.nodes,
      firstUse: dereferenceOf(group.nodes[0])!,
      when: group.when,
      guarded: guardTest([name, ...(namedPerScope.get(group.scope.id) ?? [])]),
    });
  }
  return groups;
}

/** Named: `kc = wm.keyconfigs.addon` as a statement of its own, then an unguarded `kc.keymaps…`. */
function namedGroup(left: SyntaxNode, scope: SyntaxNode, occurrences: Occurrences): Omit<Group, 'when'> | null {
  const statement = left.parent!.parent;
  if (statement?.type !== 'expression_statement' || !statement.parent) return null;
  if (statement.parent.type !== 'block' && statement.parent.type !== 'module') return null;
  const name = left.text;
  const guarded = guardTest([name]);
  const firstUse = occurrences(scope).find((o) => {
    const use = o.name === name && o.node.startIndex > statement.endIndex ? dereferenceOf(o.node) : null;
    return use !== null && !isGuarded(use, guarded);
  });
  if (!firstUse) return null;
  const binding = { statement, target: left };
  return { scope, block: statement.parent, name, binding, inline: [], firstUse: dereferenceOf(firstUse.node)!, guarded };
}

/** Names bound to a key config, per scope: `if kc:` guards inline uses too. */
function namesPerScope(matches: Array<Record<string, SyntaxNode>>): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const { keyconfig } of matches) {
    const p = keyconfig.parent;
    if (p?.type === 'assignment' && isField(p, 'right', keyconfig) && p.childForFieldName('left')?.type === 'identifier') {
      const scope = scopeOf(keyconfig);
      const set = out.get(scope.id) ?? new Set<string>();
      set.add(p.childForFieldName('left')!.text);
      out.set(scope.id, set);
    }
  }
  return out;
}

/** `x.attr` or `x[...]` with `x` being `node`: the use that fails when `x` is None. */
export function dereferenceOf(node: SyntaxNode): SyntaxNode | null {
  const p = node.parent;
  if (p?.type === 'attribute' && isField(p, 'object', node)) return p;
  if (p?.type === 'subscript' && isField(p, 'value', node)) return p;
  return null;
}

/** The function (not a lambda) that holds `node`, or the module. */
export function scopeOf(node: SyntaxNode): SyntaxNode {
  let fn = enclosingFunction(node);
  while (fn?.type === 'lambda') fn = enclosingFunction(fn);
  if (fn) return fn;
  let root = node;
  while (root.parent) root = root.parent;
  return root;
}

/** True when a class body between `node` and `scope` holds `node` (its names are the class's own). */
export function insideClassBody(node: SyntaxNode, scope: SyntaxNode): boolean {
  for (let p = node.parent; p && p.id !== scope.id; p = p.parent) if (p.type === 'class_definition') return true;
  return false;
}

function wordTest(names: Iterable<string>): (text: string) => boolean {
  const list = [...names].map((n) => n.replace(/[^\w]/g, ''));
  if (list.length === 0) return () => false;
  const re = new RegExp(`\\b(${list.join('|')})\\b`);
  return (text) => re.test(text);
}

/** A condition that protects key-map code: it names the key config (`if kc:`, `if wm.keyconfigs.addon:`,
 *  `if not kc: return`, `if kc and …`) or headless mode (`if not bpy.app.background:`). */
export function guardTest(names: Iterable<string>): (text: string) => boolean {
  const mentions = wordTest(names);
  return (text) => /\bkeyconfigs\b/.test(text) || mentionsBackground(text) || mentions(text);
}

function lowestCommonBlock(nodes: SyntaxNode[], scope: SyntaxNode): SyntaxNode | null {
  const chains = nodes.map((n) => {
    const chain: SyntaxNode[] = [];
    for (let p = n.parent; p; p = p.parent) {
      if (p.type === 'block' || p.type === 'module') chain.unshift(p);
      if (p.id === scope.id) break;
    }
    return chain;
  });
  let common: SyntaxNode | null = null;
  for (let i = 0; chains.every((c) => i < c.length && c[i].id === chains[0][i].id); i++) common = chains[0][i];
  return common;
}
