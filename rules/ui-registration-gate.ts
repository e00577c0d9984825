// BGS009 ui-registration-gate (off by default: hygiene, not a crash fix). Panel, Menu, Header and UIList
// classes registered in background mode too, where nothing ever draws them. The fix registers them, and
// appends menu entries, only under `if not bpy.app.background:`, and unregisters them under the same check
// (unregister_class of a class that was never registered raises). Mixed class tuples are split in two, order
// kept, so operators stay registered headless. UI classes are found through their bases, the add-on's own
// base classes and imports from its other files (read from disk, see src/syntax/ui-registration-gate-resolve.ts).
import { existsSync } from 'node:fs';
import { ensureImport, wrapStatements } from '../src/syntax/edits.js';
import { endsLine, lineEndOf, lineIndent, lineStartOf, startsLine } from '../src/syntax/source.js';
import {
  enclosingFunction,
  functionsNamedLike,
  loadTimeContext,
  isGuarded,
  mentionsBackground,
  unloadTimeContext,
  isField,
} from '../src/syntax/scope.js';
import {
  buildModuleInfo,
  expressionFacts,
  foreignUse,
  harmlessUse,
  type ModuleInfo,
} from '../src/syntax/ui-registration-gate-resolve.js';
import type { Edit, SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';

const CONDITION = 'not bpy.app.background';
const UNREGISTER_ERROR = "RuntimeError: unregister_class(...):, missing bl_rna attribute from 'RNAMeta' instance (may not be registered)";

/** `register_class(X)`, `unregister_class(X)`, `register_classes_factory(classes)` (any prefix). */
const CALL_QUERY = `(
  (call
    function: [(identifier) (attribute)] @function
    arguments: (argument_list) @arguments) @call
  (#match? @function "(^|[.])(register_class|unregister_class|register_classes_factory)$"))`;

/** `bpy.types.VIEW3D_MT_add.append(menu_func)` and `.prepend` / `.remove`. */
const MENU_QUERY = `(
  (call
    function: (attribute
      object: (attribute) @menu
      attribute: (identifier) @method)) @call
  (#match? @method "^(append|prepend|remove)$")
  (#match? @menu "^bpy[.]types[.][A-Za-z0-9_]+_(MT|HT|PT)_[A-Za-z0-9_]+$"))`;

const IDENTIFIER_QUERY = '(identifier) @id';

type Side = 'register' | 'unregister';

interface Sequence {
  name: string;
  statement: SyntaxNode;
  collection: SyntaxNode;
  elements: SyntaxNode[];
  /** Why the sequence's registration cannot be rewritten; null when it can. */
  unclear: string | null;
  sites: Site[];
}

interface Site {
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

function rootOf(node: SyntaxNode): SyntaxNode {
  let r = node;
  while (r.parent) r = r.parent;
  return r;
}

/** True when the code at `node` already runs only outside background mode, or the opposite: an `if` /
 *  `elif` / conditional expression testing `background`, an earlier `if bpy.app.background: return`, or a
 *  helper that is only ever called behind such a check. */
function gated(node: SyntaxNode, depth = 0): boolean {
  if (isGuarded(node, mentionsBackground, { tryExcept: false })) return true;
  const fn = enclosingFunction(node);
  // A helper (`register_ui()`) called only behind a check.
  if (!fn || fn.type !== 'function_definition' || depth > 3) return false;
  const name = fn.childForFieldName('name')?.text;
  if (!name || /^_*(un)?register$/.test(name)) return false;
  const calls = rootOf(fn).descendantsOfType('call').filter((c) => c.childForFieldName('function')?.text === name);
  return calls.length > 0 && calls.every((c) => gated(c, depth + 1));
}

const REGISTER_NAME = /^_*register/i;
const UNREGISTER_NAME = /^_*unregister/i;

/** True when the code at `node` runs while the add-on registers or unregisters (register(), unregister(),
 *  what they call, and functions named like `register_ui`), not in operators or draw code. */
function runsAtLoad(node: SyntaxNode): boolean {
  const fn = enclosingFunction(node);
  if (!fn) return false;
  if (fn.type === 'lambda') return false;
  if (loadTimeContext(node) === 'register' || unloadTimeContext(node) === 'unregister') return true;
  const root = rootOf(node);
  return functionsNamedLike(root, REGISTER_NAME).has(fn.id) || functionsNamedLike(root, UNREGISTER_NAME).has(fn.id);
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

function enclosingLine(node: SyntaxNode): string {
  let n = node;
  while (n.parent && n.parent.type !== 'block' && n.parent.type !== 'module') n = n.parent;
  return n.text.trim();
}

function shorten(text: string): string {
  const line = text.split('\n')[0];
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

function nameList(names: string[]): string {
  const uniq = [...new Set(names)];
  const shown = uniq.slice(0, 4).map((n) => `\`${n}\``);
  return uniq.length > 4 ? `${shown.join(', ')} and ${uniq.length - 4} more` : shown.join(', ');
}

function freeName(base: string, taken: Set<string>): string {
  const lead = /^_*/.exec(base)![0];
  const stem = `${lead}ui_${base.slice(lead.length)}`;
  let name = stem;
  for (let i = 2; taken.has(name); i++) name = `${stem}${i}`;
  return name;
}

// ---------------------------------------------------------------------------------------------------
// Splitting `classes = (OpA, PanelB, OpC)` into `classes = (OpA, OpC)` and `ui_classes = (PanelB,)`.

function lineAfter(source: string, offset: number): number {
  const nl = source.indexOf('\n', offset);
  return nl < 0 ? source.length : nl + 1;
}

function splitSequence(ctx: RuleContext, seq: Sequence, moved: Set<number>, uiName: string): Edit[] | string {
  const { source, newline: nl } = ctx;
  const coll = seq.collection;
  const open = coll.child(0)!.text;
  const close = coll.child(coll.childCount - 1)!.text;
  const isTuple = coll.type === 'tuple';
  const kept = seq.elements.filter((e) => !moved.has(e.id));
  const move = seq.elements.filter((e) => moved.has(e.id));
  const comments = coll.namedChildren.filter((c) => c.type === 'comment');
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
  if (!oneALine) {
    if (comments.length > 0) return `\`${seq.name}\` mixes comments with several classes a line`;
    const first = seq.elements[0];
    const elIndent = startsLine(source, first.startIndex) ? lineIndent(source, first.startIndex) : ctx.indentUnit;
    const block = (list: SyntaxNode[]): string => `${open}${nl}${list.map((e) => `${elIndent}${e.text},`).join(nl)}${nl}${close}`;
    return [
      { start: coll.startIndex, end: coll.endIndex, text: block(kept) },
      { start: after, end: after, text: `${nl}${uiName} = ${block(move)}` },
    ];
  }
  // One element a line: move whole lines, and a comment line heading a run of UI classes goes with them.
  const edits: Edit[] = [];
  const movedLines: string[] = [];
  const children = coll.namedChildren;
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

// ---------------------------------------------------------------------------------------------------

const infoCache = new WeakMap<object, ModuleInfo>();

function fileOnDisk(ctx: RuleContext): string | null {
  try {
    const abs = ctx.absPath;
    return existsSync(abs) ? abs : null;
  } catch {
    return null;
  }
}

function moduleInfoOf(ctx: RuleContext): ModuleInfo {
  let info = infoCache.get(ctx.tree);
  if (!info) {
    info = buildModuleInfo(ctx.tree, fileOnDisk(ctx));
    infoCache.set(ctx.tree, info);
  }
  return info;
}

/** A generated loop: the UI part of a mixed sequence, registered next to the loop over the rest. */
interface Generated {
  loop: SyntaxNode;
  side: Side;
  lines: string[];
}

export const uiRegistrationGate = defineRule({
  code: 'BGS009',
  slug: 'ui-registration-gate',
  summary: 'Panel, Menu, Header and UIList classes registered in background mode (hygiene; off by default)',
  fixKind: 'safe',
  defaultEnabled: false,
  docs: {
    whatItFinds:
      'Panel, Menu, Header and UIList classes (found by their bases: `bpy.types.Panel`, `Panel` imported from ' +
      '`bpy.types`, the add-on\'s own base classes, and classes imported from the add-on\'s other files with ' +
      '`from .ui import MY_PT_panel` or `from . import ui` then `ui.MY_PT_panel`, which are read from disk) that ' +
      'are registered without a check of `bpy.app.background`: direct `register_class` calls in `register()` ' +
      '(or the functions it calls), loops over a class tuple or list (`for cls in classes: ' +
      'bpy.utils.register_class(cls)`, also `reversed(classes)`), and `bpy.utils.register_classes_factory(classes)`. ' +
      'Hygiene, not a crash fix: the rule is off by default and runs with `--select BGS009`. Left alone: classes ' +
      'already registered under a background check, classes whose kind cannot be resolved (treated as not UI), and ' +
      'operators, property groups and other classes. Reported without a fix, with what to do by hand: a UI class ' +
      'registered in a shape the rule cannot rewrite for certain (a loop that does more than register, a tuple built ' +
      'in several steps or used elsewhere, a class with its own `register()` classmethod, a class looked up as ' +
      '`bpy.types.NAME`, no matching `unregister_class` in the file), and registration gated on one side only.',
    whyItBreaks:
      'Nothing breaks: measured with `blender -b --factory-startup` in Blender 3.4.1 and 4.3.2, Panel (also a ' +
      'sub-panel with `bl_parent_id`), Menu, Header and UIList classes register and unregister fine headless, and ' +
      'menu `append`/`remove` of draw functions work. Registering them there is only wasted start-up work and side ' +
      'effects for a process that never draws; the caveats guide asks for the gate. The gate must be symmetric: ' +
      '`unregister_class` of a class that was never registered raises, in 3.4.1 ' +
      `\`${UNREGISTER_ERROR}\` and in 4.3.2 the same text with \`'_RNAMeta'\`. ` +
      '(`Menu.remove` of a function never appended is silently ignored in both.) A sub-panel registered before its ' +
      "parent fails with `RuntimeError: Error: Registering panel class: parent 'X' for 'Y' not found`, so the " +
      'UI classes keep their order.',
    example: {
      before:
        'import bpy\n\nclasses = (\n    OBJECT_OT_tidy,\n    VIEW3D_PT_tidy,\n    VIEW3D_PT_tidy_options,\n)\n\n\n' +
        'def register():\n    for cls in classes:\n        bpy.utils.register_class(cls)\n' +
        '    bpy.types.VIEW3D_MT_object.append(menu_func)\n\n\n' +
        'def unregister():\n    bpy.types.VIEW3D_MT_object.remove(menu_func)\n' +
        '    for cls in reversed(classes):\n        bpy.utils.unregister_class(cls)\n',
      after:
        'import bpy\n\nclasses = (\n    OBJECT_OT_tidy,\n)\nui_classes = (\n    VIEW3D_PT_tidy,\n    VIEW3D_PT_tidy_options,\n)\n\n\n' +
        'def register():\n    for cls in classes:\n        bpy.utils.register_class(cls)\n' +
        '    if not bpy.app.background:\n        for cls in ui_classes:\n            bpy.utils.register_class(cls)\n' +
        '        bpy.types.VIEW3D_MT_object.append(menu_func)\n\n\n' +
        'def unregister():\n    if not bpy.app.background:\n        bpy.types.VIEW3D_MT_object.remove(menu_func)\n' +
        '        for cls in reversed(ui_classes):\n            bpy.utils.unregister_class(cls)\n' +
        '    for cls in reversed(classes):\n        bpy.utils.unregister_class(cls)\n',
    },
    fixSafety:
      'Safe, and hygiene only: in the GUI `bpy.app.background` is False and every class is registered, in the ' +
      'same order within the UI classes, as before (the UI classes of a mixed tuple are registered after the ' +
      'others, which Blender does not mind: only a sub-panel needs its parent first). Headless the UI classes and ' +
      'menu entries are skipped on both sides, register and unregister, so disabling and enabling again stay clean, ' +
      'and operators stay registered. A direct call is wrapped in `if not bpy.app.background:`; a loop over a ' +
      'tuple of UI classes only is wrapped; a mixed tuple is split into the tuple it had and `ui_<name>` and gets a ' +
      'second, gated loop; `register_classes_factory(classes)` gets `classes if not bpy.app.background else ()` ' +
      '(or `classes + ui_classes if not bpy.app.background else classes`); menu `append`/`prepend`/`remove` of ' +
      '`bpy.types.*_MT_*` (`_HT_`, `_PT_`) in the same file are gated with them; `import bpy` is added where ' +
      'missing. Shapes the rule cannot rewrite for certain are reported with what to do by hand.',
  },
  messages: {
    uiRegistration:
      'Registration of the UI classes {classes} runs in background mode too, where nothing draws them (hygiene, ' +
      'not a crash fix); {how}, and unregistering them is gated the same way',
    uiRegistrationNoFix:
      'Registration of the UI classes {classes} runs in background mode too, where nothing draws them (hygiene, ' +
      'not a crash fix). No automatic fix because {reason}. By hand: register them only under `if not bpy.app.background:` and ' +
      'unregister them under the same check (unregister_class of a class never registered raises ' +
      '`RuntimeError: unregister_class(...):, missing bl_rna attribute`), keeping sub-panels after their parents, ' +
      'or leave them registered: it does no harm',
    asymmetricGate:
      'The UI classes {classes} are gated by a check of `bpy.app.background` on one side only: `{call}` runs in ' +
      'background mode while its counterpart does not, so unregister_class raises `RuntimeError: ' +
      'unregister_class(...):, missing bl_rna attribute` when the add-on is disabled (or the classes stay ' +
      'registered). By hand: put register_class and unregister_class of these classes under the same check',
  },
  prefilter: ['register_class'],
  errorPatterns: [/RuntimeError: unregister_class\(\.\.\.\):, missing bl_rna attribute/],

  check(ctx) {
    const info = moduleInfoOf(ctx);
    const root = ctx.tree.rootNode;
    const { source } = ctx;
    // Every identifier of the file, found once (the checks below look names up many times).
    let identifiers: SyntaxNode[] | undefined;
    const allIdentifiers = (): SyntaxNode[] => (identifiers ??= ctx.matches(IDENTIFIER_QUERY).map((m) => m.id));
    let byName: Map<string, SyntaxNode[]> | undefined;
    const identifiersNamed = (name: string): SyntaxNode[] => {
      if (!byName) {
        byName = new Map();
        for (const id of allIdentifiers()) {
          const list = byName.get(id.text);
          if (list) list.push(id);
          else byName.set(id.text, [id]);
        }
      }
      return byName.get(name) ?? [];
    };

    const isUi = new Map<string, boolean>();
    const uiFacts = (node: SyntaxNode) => expressionFacts(info, node);
    const className = (node: SyntaxNode): string => node.text.replace(/\s+/g, '');

    /** Why a UI class must not be gated automatically; null when it may. Set once the sites are known. */
    let allowed = new Set<number>();
    const disqualified = (node: SyntaxNode): string | null => {
      const facts = uiFacts(node);
      const full = className(node);
      const name = full.split('.').pop()!;
      if (facts?.selfRegister) return `\`${full}\` has its own register()/unregister() classmethod, which may do more than UI`;
      for (const id of identifiersNamed(name)) {
        if (allowed.has(id.id) || (id.parent && allowed.has(id.parent.id)) || harmlessUse(id)) continue;
        return `\`${name}\` is also used on line ${id.startPosition.row + 1} (\`${shorten(enclosingLine(id))}\`), which may need it registered`;
      }
      const elsewhere = foreignUse(name, info.file);
      if (elsewhere) return `\`${name}\` is also used in ${elsewhere}, which may need it registered`;
      return null;
    };
    const ui = (node: SyntaxNode): boolean => {
      const key = className(node);
      if (!isUi.has(key)) isUi.set(key, uiFacts(node)?.ui === true);
      return isUi.get(key)!;
    };

    // --- Module-level sequences of classes.
    const sequences = new Map<string, Sequence>();
    const bindings = new Map<string, number>();
    for (const id of allIdentifiers()) {
      const p = id.parent;
      if (!p) continue;
      const binds =
        ((p.type === 'assignment' || p.type === 'augmented_assignment' || p.type === 'for_statement') && isField(p, 'left', id)) ||
        p.type === 'pattern_list' || p.type === 'global_statement';
      const mutates = p.type === 'attribute' && isField(p, 'object', id) && /^(append|extend|insert|remove|pop|clear|sort|reverse)$/.test(p.childForFieldName('attribute')?.text ?? '');
      if (binds || mutates) bindings.set(id.text, (bindings.get(id.text) ?? 0) + 1);
    }
    const sequenceNamed = (name: string): Sequence | null => {
      if (sequences.has(name)) return sequences.get(name)!;
      let seq: Sequence | null = null;
      for (const stmt of root.namedChildren) {
        const a = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
        if (a?.type !== 'assignment' || a.childForFieldName('left')?.text !== name) continue;
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
      if (seq && (bindings.get(name) ?? 0) > 1) seq.unclear = `\`${name}\` is built or changed in several steps`;
      if (seq) sequences.set(name, seq);
      return seq;
    };

    // --- Registration sites.
    const sites: Site[] = [];
    const unclearSites: Array<{ node: SyntaxNode; classes: string[]; reason: string }> = [];
    for (const { call, function: fn, arguments: args } of ctx.matches(CALL_QUERY)) {
      const what = fn.text.split('.').pop()!;
      const a = positional(args);
      if (a.length !== 1 || a[0].type === 'keyword_argument') continue;
      const arg = a[0];
      if (what === 'register_classes_factory') {
        const p = call.parent;
        const statement = p?.type === 'assignment' && isField(p, 'right', call) ? p.parent : null;
        const isGated = gated(call) || (arg.type === 'conditional_expression' && mentionsBackground(arg.namedChildren[1]?.text ?? ''));
        const site: Site = { kind: 'factory', side: 'both', call, statement: statement ?? call, gated: isGated, argument: arg };
        if (arg.type === 'identifier') {
          const seq = sequenceNamed(arg.text);
          if (!seq) continue;
          site.sequence = seq;
          site.reference = arg;
          seq.sites.push(site);
          if (!statement || statement.type !== 'expression_statement') seq.unclear ??= `\`${shorten(call.text)}\` is not assigned to a register/unregister pair`;
        } else if (arg.type === 'tuple' || arg.type === 'list') {
          const elements = arg.namedChildren.filter((c) => c.type === 'identifier' || c.type === 'attribute');
          const uiEls = elements.filter(ui);
          if (uiEls.length === 0 || isGated) continue;
          if (uiEls.length !== elements.length || elements.length !== arg.namedChildren.length) {
            unclearSites.push({ node: call, classes: uiEls.map(className), reason: 'the class list mixes UI and other classes inline; name it (`classes = (…)`) first' });
            continue;
          }
          site.sequence = { name: '', statement: site.statement, collection: arg, elements, unclear: null, sites: [site] };
        } else if (!isGated) {
          for (const id of arg.descendantsOfType('identifier')) {
            const seq = sequences.get(id.text) ?? sequenceNamed(id.text);
            if (seq) seq.unclear ??= `\`${shorten(call.text)}\` builds the class list in the call`;
          }
          continue;
        }
        sites.push(site);
        continue;
      }
      const side: Side = what === 'register_class' ? 'register' : 'unregister';
      if (!runsAtLoad(call)) continue;
      // Inside `for cls in classes:`?
      const stmt = call.parent?.type === 'expression_statement' && call.parent.namedChildCount === 1 ? call.parent : null;
      let loop: SyntaxNode | null = null;
      for (let p = call.parent; p && p.type !== 'function_definition'; p = p.parent) {
        if (p.type === 'for_statement' && arg.type === 'identifier' && p.childForFieldName('left')?.text === arg.text) {
          loop = p;
          break;
        }
      }
      if (loop) {
        const iter = loop.childForFieldName('right')!;
        const ref = iterableName(iter);
        const body = loop.childForFieldName('body');
        const simple =
          stmt && body && stmt.parent?.id === body.id && body.namedChildren.length === 1 && !loop.childForFieldName('alternative') &&
          (loop.parent?.type === 'block' || loop.parent?.type === 'module');
        if (iter.type === 'tuple' || iter.type === 'list') {
          const elements = iter.namedChildren.filter((c) => c.type === 'identifier' || c.type === 'attribute');
          const uiEls = elements.filter(ui);
          if (uiEls.length === 0 || gated(call)) continue;
          if (!simple || uiEls.length !== elements.length || elements.length !== iter.namedChildren.length) {
            unclearSites.push({ node: call, classes: uiEls.map(className), reason: simple ? 'the loop mixes UI and other classes inline; name the tuple first' : 'the loop does more than register the classes' });
            continue;
          }
          const seq: Sequence = { name: '', statement: loop, collection: iter, elements, unclear: null, sites: [] };
          const site: Site = { kind: 'loop', side, call, statement: loop, gated: false, argument: arg, sequence: seq };
          seq.sites.push(site);
          sites.push(site);
          continue;
        }
        const seq = ref ? sequenceNamed(ref.text) : null;
        if (!seq) continue;
        const site: Site = { kind: 'loop', side, call, statement: loop, gated: gated(call), argument: arg, sequence: seq, reference: ref! };
        seq.sites.push(site);
        sites.push(site);
        if (!simple) seq.unclear ??= `the loop over \`${seq.name}\` (line ${loop.startPosition.row + 1}) does more than register the classes`;
        continue;
      }
      if (arg.type !== 'identifier' && arg.type !== 'attribute') continue;
      if (!ui(arg)) continue;
      const site: Site = { kind: 'direct', side, call, statement: stmt ?? call, gated: gated(call), argument: arg };
      if (!stmt || (stmt.parent?.type !== 'block' && stmt.parent?.type !== 'module')) {
        if (!site.gated) unclearSites.push({ node: call, classes: [className(arg)], reason: `\`${shorten(call.text)}\` is part of a larger statement` });
        continue;
      }
      sites.push(site);
    }

    // Every use of a named sequence must be one of its registration sites.
    const handledRefs = new Set(sites.filter((s) => s.reference).map((s) => s.reference!.id));
    for (const seq of sequences.values()) {
      if (seq.unclear) continue;
      const target = seq.statement.firstNamedChild!.childForFieldName('left')!;
      for (const id of identifiersNamed(seq.name)) {
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

    allowed = new Set<number>();
    for (const s of sites) {
      if (s.kind === 'direct') allowed.add(s.argument.id);
      if (s.sequence && !s.sequence.unclear) for (const e of s.sequence.elements) allowed.add(e.id);
    }

    // --- Units: a sequence with its sites, or one directly registered class with its calls.
    interface Unit {
      label: string[];
      sites: Site[];
      sequence?: Sequence;
      /** The UI elements of the sequence that get gated. */
      move?: SyntaxNode[];
    }
    const units: Unit[] = [];
    const reportOnly: Array<{ node: SyntaxNode; classes: string[]; reason: string }> = [...unclearSites];
    const asymmetric: Array<{ node: SyntaxNode; classes: string[] }> = [];
    const bySequence = new Map<Sequence, Site[]>();
    const byClass = new Map<string, Site[]>();
    for (const s of sites) {
      if (s.sequence) bySequence.set(s.sequence, [...(bySequence.get(s.sequence) ?? []), s]);
      else byClass.set(className(s.argument), [...(byClass.get(className(s.argument)) ?? []), s]);
    }
    const symmetric = (list: Site[]): 'none' | 'all' | 'mixed' => {
      const g = list.filter((s) => s.gated).length;
      return g === 0 ? 'none' : g === list.length ? 'all' : 'mixed';
    };
    const hasBothSides = (list: Site[]): boolean =>
      list.some((s) => s.side !== 'unregister') && list.some((s) => s.side !== 'register');

    for (const [seq, list] of bySequence) {
      const uiEls = seq.elements.filter(ui);
      if (uiEls.length === 0) continue;
      const state = symmetric(list);
      if (state === 'all') continue;
      const first = list.find((s) => !s.gated)!;
      if (state === 'mixed') {
        asymmetric.push({ node: first.call, classes: uiEls.map(className) });
        continue;
      }
      if (seq.unclear) {
        reportOnly.push({ node: first.call, classes: uiEls.map(className), reason: seq.unclear });
        continue;
      }
      if (!hasBothSides(list)) {
        reportOnly.push({ node: first.call, classes: uiEls.map(className), reason: `this file has no matching ${first.side === 'register' ? 'unregister' : 'register'} loop for \`${seq.name || 'them'}\`` });
        continue;
      }
      const move: SyntaxNode[] = [];
      for (const e of uiEls) {
        const why = disqualified(e);
        if (why) reportOnly.push({ node: first.call, classes: [className(e)], reason: why });
        else move.push(e);
      }
      if (move.length === 0) continue;
      if (!seq.name && move.length !== seq.elements.length) continue; // inline literal: reported above
      units.push({ label: move.map(className), sites: list, sequence: seq, move });
    }
    for (const [name, list] of byClass) {
      const state = symmetric(list);
      if (state === 'all') continue;
      const first = list.find((s) => !s.gated)!;
      if (state === 'mixed') {
        asymmetric.push({ node: first.call, classes: [name] });
        continue;
      }
      if (!hasBothSides(list)) {
        if (first.side === 'register') {
          reportOnly.push({ node: first.call, classes: [name], reason: `this file has no matching \`unregister_class(${name})\`` });
        }
        continue;
      }
      const why = disqualified(list[0].argument);
      if (why) {
        reportOnly.push({ node: first.call, classes: [name], reason: why });
        continue;
      }
      units.push({ label: [name], sites: list });
    }

    // One report per class: a class in a `panels` tuple of an update callback is reported there, not again
    // where it is registered.
    const reportedClasses = new Set<string>();
    reportOnly.sort((x, y) => x.node.startIndex - y.node.startIndex);
    for (const r of reportOnly) {
      const classes = r.classes.filter((c) => !reportedClasses.has(c));
      if (classes.length === 0) continue;
      for (const c of classes) reportedClasses.add(c);
      ctx.report({ messageId: 'uiRegistrationNoFix', node: r.node, data: { classes: nameList(classes), reason: r.reason } });
    }
    for (const a of asymmetric) {
      ctx.report({ messageId: 'asymmetricGate', node: a.node, data: { classes: nameList(a.classes), call: shorten(a.node.text) } });
    }
    if (units.length === 0) return;

    // --- The fix.
    const edits: Edit[] = [];
    const wrapped: SyntaxNode[] = [];
    const generated: Generated[] = [];
    const taken = new Set(allIdentifiers().map((id) => id.text));
    const how = new Set<string>();
    let firstModuleUse = Infinity;
    const fail = (reason: string): void => {
      const first = units.flatMap((u) => u.sites).sort((x, y) => x.call.startIndex - y.call.startIndex)[0];
      ctx.report({ messageId: 'uiRegistrationNoFix', node: first.call, data: { classes: nameList(units.flatMap((u) => u.label)), reason } });
    };

    for (const unit of units) {
      const seq = unit.sequence;
      const whole = !seq || unit.move!.length === seq.elements.length;
      let uiName = '';
      if (seq && !whole) {
        uiName = freeName(seq.name, taken);
        taken.add(uiName);
        const split = splitSequence(ctx, seq, new Set(unit.move!.map((e) => e.id)), uiName);
        if (typeof split === 'string') return fail(split);
        edits.push(...split);
        how.add(`\`${seq.name}\` is split, its UI classes moved to \`${uiName}\``);
      }
      for (const site of unit.sites) {
        if (site.kind === 'factory') {
          firstModuleUse = Math.min(firstModuleUse, site.statement.startIndex);
          if (whole) edits.push({ start: site.argument.endIndex, end: site.argument.endIndex, text: ` if ${CONDITION} else ()` });
          else edits.push({ start: site.argument.startIndex, end: site.argument.endIndex, text: `${seq!.name} + ${uiName} if ${CONDITION} else ${seq!.name}` });
          how.add('the class list given to `register_classes_factory` leaves them out in background mode');
          continue;
        }
        if (whole) {
          wrapped.push(site.statement);
          continue;
        }
        // A second loop over the UI classes, next to the loop over the rest.
        const loop = site.statement;
        const ls = lineStartOf(source, loop.startIndex);
        const indent = lineIndent(source, loop.startIndex);
        const text = source.slice(ls, site.reference!.startIndex) + uiName + source.slice(site.reference!.endIndex, loop.endIndex);
        const lines = text.split(/\r?\n/).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l));
        generated.push({ loop, side: site.side as Side, lines });
      }
    }
    if (wrapped.length > 0 || generated.length > 0) how.add('their registration goes under `if not bpy.app.background:`');

    // Menu entries in the same file go with them.
    const menus: SyntaxNode[] = [];
    if (wrapped.length > 0 || generated.length > 0 || how.size > 0) {
      for (const { call } of ctx.matches(MENU_QUERY)) {
        const stmt = call.parent;
        if (stmt?.type !== 'expression_statement' || stmt.namedChildCount !== 1 || stmt.parent?.type !== 'block') continue;
        if (!runsAtLoad(call) || gated(call)) continue;
        menus.push(stmt);
      }
      if (menus.length > 0) how.add('menu entries (`append`/`remove`) go under the same check');
    }

    // Runs of consecutive statements to wrap, per block; generated loops join an adjacent run.
    const toWrap = [...new Map([...wrapped, ...menus].map((s) => [s.id, s])).values()].sort((x, y) => x.startIndex - y.startIndex);
    const wrapIds = new Set(toWrap.map((s) => s.id));
    const runs: Array<{ first: SyntaxNode; last: SyntaxNode; before: Generated[]; after: Generated[] }> = [];
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
    const nl = ctx.newline;
    const unitFor = (indent: string): string => (indent.length > 0 && /^\t+$/.test(indent) ? '\t' : ctx.indentUnit);
    const render = (g: Generated, indent: string): string => g.lines.map((l) => `${indent}${unitFor(indent)}${l}`).join(nl);
    for (const run of runs) {
      const w = wrapStatements(ctx, run.first, run.last, CONDITION);
      if (!w || w.length === 0) return fail(`\`${shorten(run.first.text)}\` shares its line with other code`);
      const indent = lineIndent(source, run.first.startIndex);
      if (!startsLine(source, run.first.startIndex)) {
        if (run.before.length + run.after.length > 0) return fail('the registration shares its line with other code');
      }
      if (run.before.length > 0) {
        const head = w[0];
        const marker = `if ${CONDITION}:${nl}`;
        if (!head.text.startsWith(marker)) return fail('the registration shares its line with other code');
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
      if (!startsLine(source, g.loop.startIndex) || !endsLine(source, g.loop.endIndex)) return fail('the loop shares its line with other code');
      const block = `if ${CONDITION}:${nl}${render(g, indent)}`;
      if (g.side === 'register') {
        const at = lineEndOf(source, g.loop.endIndex);
        edits.push({ start: at, end: at, text: `${nl}${indent}${block}` });
      } else {
        edits.push({ start: g.loop.startIndex, end: g.loop.startIndex, text: `${block}${nl}${indent}` });
      }
    }
    const firstFunctionUse = Math.min(...toWrap.map((s) => s.startIndex), ...generated.map((g) => g.loop.startIndex));
    const imp = ensureImport(ctx, 'bpy', Math.min(firstModuleUse, firstFunctionUse));
    if (imp) edits.push(imp);

    const anchor = units
      .flatMap((u) => u.sites)
      .sort((x, y) => (x.side === 'unregister' ? 1 : 0) - (y.side === 'unregister' ? 1 : 0) || x.call.startIndex - y.call.startIndex)[0];
    ctx.report({
      messageId: 'uiRegistration',
      node: anchor.call,
      data: { classes: nameList(units.flatMap((u) => u.label)), how: [...how].join('; ') },
      fix: { safety: 'safe', description: 'register the UI classes (and menu entries) only when not in background mode', edits },
    });
  },
});
