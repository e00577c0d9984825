// BGS009 helper: the registration sites of a file. `register_class(X)` / `unregister_class(X)` calls that
// run while the add-on loads or unloads, directly or in a loop over classes (`for cls in classes:`, also
// `reversed(classes)` and an inline tuple), and `register_classes_factory(...)`; the module-level class
// sequences they name, and why a sequence cannot be rewritten. The calls come from the model's index.
import { isField, mentionsBackground } from '../../src/syntax/scope.js';
import type { CallSite } from '../../src/model/index.js';
import type { RuleContext, SyntaxNode } from '../../src/types.js';
import { occurrences } from './occurrences.js';
import { className, gated, type Scan } from './scan.js';

export type Side = 'register' | 'unregister';

export interface Sequence {
  name: string;
  statement: SyntaxNode;
  collection: SyntaxNode;
  elements: SyntaxNode[];
  /** Why the sequence's registration cannot be rewritten; null when it can. */
  unclear: string | null;
  sites: Site[];
}

export interface Site {
  kind: 'direct' | 'loop' | 'factory';
  /** `both` for a factory: it makes the register and the unregister function. */
  side: Side | 'both';
  call: SyntaxNode;
  /** The statement the fix wraps (direct call, loop) or edits (factory). */
  statement: SyntaxNode;
  gated: boolean;
  /** Direct call: the class expression. Factory: the argument. */
  argument: SyntaxNode;
  sequence?: Sequence;
  /** Loop / factory over a named sequence: the identifier that names it. */
  reference?: SyntaxNode;
}

/** UI classes registered in a shape the fix cannot rewrite, and why. */
export interface Unclear {
  node: SyntaxNode;
  classes: string[];
  reason: string;
}

const REGISTRATION_NAMES = new Set(['register_class', 'unregister_class', 'register_classes_factory']);
/** The called expression: a name or attribute ending in one of them (`bpy.utils.register_class`). */
const REGISTRATION = /(^|[.])(register_class|unregister_class|register_classes_factory)$/;

/** The registration sites of the file, and the UI classes registered in shapes it cannot rewrite. */
export function collectSites(scan: Scan): { sites: Site[]; unclear: Unclear[] } {
  const sites: Site[] = [];
  const unclear: Unclear[] = [];
  for (const { site, fn, args } of registrationCalls(scan.ctx)) {
    const call = site.node;
    const what = fn.text.split('.').pop()!;
    const a = positional(args);
    if (a.length !== 1 || a[0].type === 'keyword_argument') continue;
    if (what === 'register_classes_factory') factorySite(scan, call, a[0], sites, unclear);
    else if (scan.runsAtLoad(site)) classSite(scan, call, a[0], what === 'register_class' ? 'register' : 'unregister', sites, unclear);
  }
  checkSequenceUses(scan, sites);
  return { sites, unclear };
}

/** `register_class(…)`, `unregister_class(…)`, `register_classes_factory(…)` calls with an argument list,
 *  in source order, from the model's index of the file's calls. */
function registrationCalls(ctx: RuleContext): Array<{ site: CallSite; fn: SyntaxNode; args: SyntaxNode }> {
  const out: Array<{ site: CallSite; fn: SyntaxNode; args: SyntaxNode }> = [];
  const mentions = occurrences(ctx.source, 'register_class');
  let next = 0;
  for (const c of ctx.model.index.calls) {
    if (c.path) {
      if (!REGISTRATION_NAMES.has(c.path[c.path.length - 1])) continue;
    } else {
      // Not a dotted name (`get_utils().register_class(X)`): only a call whose text has the name. The index
      // lists calls in source order of their starts, so one pass over the mentions serves them all.
      const start = c.node.startIndex;
      while (next < mentions.length && mentions[next] < start) next++;
      if (next === mentions.length || mentions[next] >= c.node.endIndex) continue;
    }
    const fn = c.node.childForFieldName('function');
    const args = c.node.childForFieldName('arguments');
    if (!fn || (fn.type !== 'identifier' && fn.type !== 'attribute') || args?.type !== 'argument_list') continue;
    if (REGISTRATION.test(fn.text)) out.push({ site: c, fn, args });
  }
  return out;
}

/** `register, unregister = bpy.utils.register_classes_factory(classes)` (or an inline tuple). */
function factorySite(scan: Scan, call: SyntaxNode, arg: SyntaxNode, sites: Site[], unclear: Unclear[]): void {
  const p = call.parent;
  const statement = p?.type === 'assignment' && isField(p, 'right', call) ? p.parent : null;
  const isGated = gated(scan, call) || (arg.type === 'conditional_expression' && mentionsBackground(arg.namedChildren[1]?.text ?? ''));
  const site: Site = { kind: 'factory', side: 'both', call, statement: statement ?? call, gated: isGated, argument: arg };
  if (arg.type === 'identifier') {
    const seq = sequenceNamed(scan, arg.text);
    if (!seq) return;
    site.sequence = seq;
    site.reference = arg;
    seq.sites.push(site);
    if (!statement || statement.type !== 'expression_statement') seq.unclear ??= `\`${shorten(call.text)}\` is not assigned to a register/unregister pair`;
  } else if (arg.type === 'tuple' || arg.type === 'list') {
    const elements = arg.namedChildren.filter((c) => c.type === 'identifier' || c.type === 'attribute');
    const uiEls = elements.filter((e) => scan.ui(e));
    if (uiEls.length === 0 || isGated) return;
    if (uiEls.length !== elements.length || elements.length !== arg.namedChildren.length) {
      unclear.push({ node: call, classes: uiEls.map(className), reason: 'the class list mixes UI and other classes inline; name it (`classes = (…)`) first' });
      return;
    }
    site.sequence = { name: '', statement: site.statement, collection: arg, elements, unclear: null, sites: [site] };
  } else if (!isGated) {
    for (const id of arg.descendantsOfType('identifier')) {
      const seq = scan.sequences.get(id.text) ?? sequenceNamed(scan, id.text);
      if (seq) seq.unclear ??= `\`${shorten(call.text)}\` builds the class list in the call`;
    }
    return;
  }
  sites.push(site);
}

/** `register_class(X)` / `unregister_class(X)`: direct, or in a loop over a named sequence or an inline tuple. */
function classSite(scan: Scan, call: SyntaxNode, arg: SyntaxNode, side: Side, sites: Site[], unclear: Unclear[]): void {
  const stmt = call.parent?.type === 'expression_statement' && call.parent.namedChildCount === 1 ? call.parent : null;
  // Inside `for cls in classes:`?
  let loop: SyntaxNode | null = null;
  for (let p = call.parent; p && p.type !== 'function_definition'; p = p.parent) {
    if (p.type === 'for_statement' && arg.type === 'identifier' && p.childForFieldName('left')?.text === arg.text) {
      loop = p;
      break;
    }
  }
  if (loop) return loopSite(scan, call, arg, side, stmt, loop, sites, unclear);
  if (arg.type !== 'identifier' && arg.type !== 'attribute') return;
  if (!scan.ui(arg)) return;
  const site: Site = { kind: 'direct', side, call, statement: stmt ?? call, gated: gated(scan, call), argument: arg };
  if (!stmt || (stmt.parent?.type !== 'block' && stmt.parent?.type !== 'module')) {
    if (!site.gated) unclear.push({ node: call, classes: [className(arg)], reason: `\`${shorten(call.text)}\` is part of a larger statement` });
    return;
  }
  sites.push(site);
}

function loopSite(
  scan: Scan,
  call: SyntaxNode,
  arg: SyntaxNode,
  side: Side,
  stmt: SyntaxNode | null,
  loop: SyntaxNode,
  sites: Site[],
  unclear: Unclear[],
): void {
  const iter = loop.childForFieldName('right')!;
  const ref = iterableName(iter);
  const body = loop.childForFieldName('body');
  const simple =
    stmt && body && stmt.parent?.id === body.id && body.namedChildren.length === 1 && !loop.childForFieldName('alternative') &&
    (loop.parent?.type === 'block' || loop.parent?.type === 'module');
  if (iter.type === 'tuple' || iter.type === 'list') {
    const elements = iter.namedChildren.filter((c) => c.type === 'identifier' || c.type === 'attribute');
    const uiEls = elements.filter((e) => scan.ui(e));
    if (uiEls.length === 0 || gated(scan, call)) return;
    if (!simple || uiEls.length !== elements.length || elements.length !== iter.namedChildren.length) {
      unclear.push({ node: call, classes: uiEls.map(className), reason: simple ? 'the loop mixes UI and other classes inline; name the tuple first' : 'the loop does more than register the classes' });
      return;
    }
    const seq: Sequence = { name: '', statement: loop, collection: iter, elements, unclear: null, sites: [] };
    const site: Site = { kind: 'loop', side, call, statement: loop, gated: false, argument: arg, sequence: seq };
    seq.sites.push(site);
    sites.push(site);
    return;
  }
  const seq = ref ? sequenceNamed(scan, ref.text) : null;
  if (!seq) return;
  const site: Site = { kind: 'loop', side, call, statement: loop, gated: gated(scan, call), argument: arg, sequence: seq, reference: ref! };
  seq.sites.push(site);
  sites.push(site);
  if (!simple) seq.unclear ??= `the loop over \`${seq.name}\` (line ${loop.startPosition.row + 1}) does more than register the classes`;
}

/** The module-level `name = (…)` statement the first loop or factory over `name` finds; null when there is
 *  none. Why it cannot be rewritten is kept on it. */
function sequenceNamed(scan: Scan, name: string): Sequence | null {
  if (scan.sequences.has(name)) return scan.sequences.get(name)!;
  let seq: Sequence | null = null;
  // The first module-level `expression_statement` whose assignment binds `name`.
  for (const id of scan.names.named(name)) {
    const a = id.parent;
    const stmt = a?.parent;
    if (a?.type !== 'assignment' || !isField(a, 'left', id) || stmt?.type !== 'expression_statement' || stmt.parent?.type !== 'module') continue;
    if (stmt.firstNamedChild?.id !== a.id) continue;
    const value = a.childForFieldName('right');
    if (!value) continue;
    const elements = value.namedChildren.filter((c) => c.type !== 'comment');
    seq = { name, statement: stmt, collection: value, elements, unclear: null, sites: [] };
    if (value.type !== 'tuple' && value.type !== 'list') seq.unclear = `\`${name}\` is not a plain tuple or list of classes`;
    else if (elements.length === 0 || elements.some((e) => e.type !== 'identifier' && e.type !== 'attribute')) {
      seq.unclear = `\`${name}\` holds more than plain class names`;
    } else if (stmt.namedChildCount !== 1 || a.childForFieldName('type')) seq.unclear = `\`${name}\` has an annotation`;
    break;
  }
  if (seq && scan.bindings(name) > 1) seq.unclear = `\`${name}\` is built or changed in several steps`;
  if (seq) scan.sequences.set(name, seq);
  return seq;
}

/** Every use of a named sequence must be one of its registration sites. */
function checkSequenceUses(scan: Scan, sites: Site[]): void {
  const handledRefs = new Set(sites.filter((s) => s.reference).map((s) => s.reference!.id));
  for (const seq of scan.sequences.values()) {
    if (seq.unclear) continue;
    const target = seq.statement.firstNamedChild!.childForFieldName('left')!;
    for (const id of scan.names.named(seq.name)) {
      if (id.id === target.id || handledRefs.has(id.id)) continue;
      const p = id.parent;
      if (p?.type === 'attribute' && isField(p, 'attribute', id)) continue;
      if (p?.type === 'keyword_argument' && isField(p, 'name', id)) continue;
      // Inside a gated factory argument (our own output): handled.
      if (sites.some((s) => s.kind === 'factory' && s.gated && id.startIndex >= s.argument.startIndex && id.endIndex <= s.argument.endIndex)) continue;
      seq.unclear = `\`${seq.name}\` is also used on line ${id.startPosition.row + 1}`;
      break;
    }
  }
}

function positional(args: SyntaxNode): SyntaxNode[] {
  return args.namedChildren.filter((c) => c.type !== 'comment');
}

/** The named sequence an iterable stands for: `classes`, `reversed(classes)`, `classes[::-1]`. */
function iterableName(iter: SyntaxNode): SyntaxNode | null {
  if (iter.type === 'identifier') return iter;
  if (iter.type === 'call' && iter.childForFieldName('function')?.text === 'reversed') {
    const a = positional(iter.childForFieldName('arguments')!);
    return a.length === 1 && a[0].type === 'identifier' ? a[0] : null;
  }
  if (iter.type === 'subscript' && iter.childForFieldName('value')?.type === 'identifier') {
    const sub = iter.text.slice(iter.childForFieldName('value')!.text.length).replace(/\s+/g, '');
    return sub === '[::-1]' ? iter.childForFieldName('value') : null;
  }
  return null;
}

/** The first line of `text`, cut to 60 characters. */
export function shorten(text: string): string {
  const line = text.split('\n')[0];
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
