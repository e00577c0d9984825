// BGS002: key-map code that uses `wm.keyconfigs.addon` (`.user`, `.active`) without a None check.
// The key configs are None when an add-on is enabled at start-up in background mode (Blender 3.4), so the
// first `kc.keymaps…` raises and register() stops half-way. The fix binds the key config to a name and
// wraps the statements that use it (and the names derived from it) in `if kc:`.
import { wrapStatements } from '../src/syntax/edits.js';
import { lineStartOf } from '../src/syntax/source.js';
import {
  enclosingFunction,
  functionsNamedLike,
  isGuarded,
  mentionsBackground,
  isField,
} from '../src/syntax/scope.js';
import type { Edit, SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';

/** `<anything>.keyconfigs.addon` / `.user` / `.active`. */
const KEYCONFIG_QUERY = `(
  (attribute
    object: (attribute attribute: (identifier) @_keyconfigs)
    attribute: (identifier) @_which) @keyconfig
  (#eq? @_keyconfigs "keyconfigs")
  (#match? @_which "^(addon|user|active)$"))`;

/** Every identifier of a scope; attribute names and keyword names are filtered out in code. */
const IDENTIFIER_QUERY = '(identifier) @id';

/** `bpy.utils.register_tool(ToolClass, …)` / `register_tool(ToolClass)`. */
const REGISTER_TOOL_QUERY = `(
  (call
    function: (_) @function
    arguments: (argument_list . (identifier) @tool))
  (#match? @function "(^|[.])register_tool$"))`;

/** Classes that set `bl_keymap` in their body. */
const KEYMAP_TOOL_CLASS_QUERY = `(
  (class_definition
    name: (identifier) @name
    body: (block (expression_statement (assignment left: (identifier) @_attribute))))
  (#eq? @_attribute "bl_keymap"))`;

/** Module-level functions that, by their name, run while an add-on loads or unloads even when this
 *  file's register() does not call them (a submodule's `register_keymaps()`); `draw…` functions are UI. */
const KEYMAP_FUNCTION_NAME = /^(?!_*draw)(_*(un)?register|.*(keymap|key_map|hotkey|shortcut))/i;

type When = 'import' | 'register' | 'unregister';

/** When the code at `node` runs around loading: at import, in register() (or what it reaches), in
 *  unregister(), or null (operators, draw callbacks, handlers). */
function whenItRuns(ctx: RuleContext, at: SyntaxNode): When | null {
  // A lambda runs where it is called; take the place it is written as the best guess.
  let node = at;
  for (let fn = enclosingFunction(node); fn?.type === 'lambda'; fn = enclosingFunction(node)) node = fn;
  // At import, in register() or unregister() and what they reach across the add-on's files, and in
  // classes' register()/unregister() classmethods (register_class calls them).
  const lt = ctx.model.loadTimes(node)[0];
  if (lt) return lt.kind;
  const fn = enclosingFunction(node);
  if (!fn) return null;
  let root = fn;
  while (root.parent) root = root.parent;
  if (!functionsNamedLike(root, KEYMAP_FUNCTION_NAME).has(fn.id)) return null;
  return /^_*unregister/i.test(fn.childForFieldName('name')?.text ?? '') ? 'unregister' : 'register';
}

/** What stops half-way when the key-map code raises. */
const STOPS: Record<When, string> = {
  import: 'the add-on fails to import',
  register: 'register() stops',
  unregister: 'unregister() stops',
};

// ---------------------------------------------------------------------------------------------------
// Names in a scope: where each identifier occurs, and whether that occurrence binds it.

interface Occurrence {
  node: SyntaxNode;
  name: string;
  /** Set when this occurrence binds the name; `value` is what it is bound to, where there is one. */
  binding: { value: SyntaxNode | null } | null;
}

const PATTERN_TYPES = new Set(['pattern_list', 'tuple_pattern', 'list_pattern', 'list_splat_pattern', 'parenthesized_expression']);
const PARAMETER_TYPES = new Set(['default_parameter', 'typed_parameter', 'typed_default_parameter']);

/** Whether the identifier `id` binds its name, and to what value. */
function bindingOf(id: SyntaxNode): Occurrence['binding'] {
  let child = id;
  let p = id.parent;
  while (p && PATTERN_TYPES.has(p.type)) {
    child = p;
    p = p.parent;
  }
  if (!p) return null;
  switch (p.type) {
    case 'assignment':
    case 'augmented_assignment':
    case 'for_statement':
    case 'for_in_clause':
      return isField(p, 'left', child) ? { value: p.childForFieldName('right') } : null;
    case 'named_expression':
      return isField(p, 'name', child) ? { value: p.childForFieldName('value') } : null;
    case 'as_pattern_target': {
      const as = p.parent;
      return { value: as?.type === 'as_pattern' ? as.namedChildren[0] ?? null : null };
    }
    case 'function_definition':
    case 'class_definition':
      return isField(p, 'name', child) ? { value: null } : null;
    case 'parameters':
    case 'lambda_parameters':
    case 'global_statement':
    case 'nonlocal_statement':
      return { value: null };
    case 'aliased_import':
      return isField(p, 'alias', child) ? { value: null } : null;
    case 'dotted_name': {
      const imp = p.parent;
      const first = p.namedChildren[0];
      if (imp && first?.id === child.id && imp.type === 'import_statement') return { value: null };
      if (imp?.type === 'import_from_statement' && !isField(imp, 'module_name', p)) return { value: null };
      return null;
    }
    default:
      if (PARAMETER_TYPES.has(p.type)) {
        return isField(p, 'value', child) || isField(p, 'type', child) ? null : { value: null };
      }
      return null;
  }
}

/** Identifiers that name a variable (not `x.attr`'s `attr`, not `f(name=…)`'s `name`). */
function occurrencesIn(ctx: RuleContext, scope: SyntaxNode): Occurrence[] {
  const out: Occurrence[] = [];
  for (const { id } of ctx.matches(IDENTIFIER_QUERY, scope)) {
    const p = id.parent;
    if (p?.type === 'attribute' && isField(p, 'attribute', id)) continue;
    if (p?.type === 'keyword_argument' && isField(p, 'name', id)) continue;
    out.push({ node: id, name: id.text, binding: bindingOf(id) });
  }
  return out;
}

function within(node: SyntaxNode, outer: SyntaxNode): boolean {
  return node.startIndex >= outer.startIndex && node.endIndex <= outer.endIndex;
}

/** `x.attr` or `x[...]` with `x` being `node`: the use that fails when `x` is None. */
function dereferenceOf(node: SyntaxNode): SyntaxNode | null {
  const p = node.parent;
  if (p?.type === 'attribute' && isField(p, 'object', node)) return p;
  if (p?.type === 'subscript' && isField(p, 'value', node)) return p;
  return null;
}

/** The statement of `block` that holds `node`, or null when `node` is not inside `block`. */
function statementIn(block: SyntaxNode, node: SyntaxNode): SyntaxNode | null {
  for (let n: SyntaxNode | null = node; n; n = n.parent) {
    if (n.parent?.id === block.id) return n;
  }
  return null;
}

/** True when a class body between `node` and `scope` holds `node` (its names are the class's own). */
function insideClassBody(node: SyntaxNode, scope: SyntaxNode): boolean {
  for (let p = node.parent; p && p.id !== scope.id; p = p.parent) if (p.type === 'class_definition') return true;
  return false;
}

/** The function (not a lambda) that holds `node`, or the module. */
function scopeOf(node: SyntaxNode): SyntaxNode {
  let fn = enclosingFunction(node);
  while (fn?.type === 'lambda') fn = enclosingFunction(fn);
  if (fn) return fn;
  let root = node;
  while (root.parent) root = root.parent;
  return root;
}

function wordTest(names: Iterable<string>): (text: string) => boolean {
  const list = [...names].map((n) => n.replace(/[^\w]/g, ''));
  if (list.length === 0) return () => false;
  const re = new RegExp(`\\b(${list.join('|')})\\b`);
  return (text) => re.test(text);
}

/** A condition that protects key-map code: it names the key config (`if kc:`, `if wm.keyconfigs.addon:`,
 *  `if not kc: return`, `if kc and …`) or headless mode (`if not bpy.app.background:`). */
function guardTest(names: Iterable<string>): (text: string) => boolean {
  const mentions = wordTest(names);
  return (text) => /\bkeyconfigs\b/.test(text) || mentionsBackground(text) || mentions(text);
}

// ---------------------------------------------------------------------------------------------------
// The fix: find the statements to wrap, check that wrapping them is certainly right, build the edits.

interface Group {
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

type Plan = { edits: Edit[] } | { reason: string };

function planFix(ctx: RuleContext, g: Group): Plan {
  const occurrences = occurrencesIn(ctx, g.scope);
  const inlineIds = new Set(g.inline.map((n) => n.id));
  const inInline = (node: SyntaxNode): boolean => g.inline.some((s) => within(node, s));
  const names = occurrences.filter((o) => !inInline(o.node));

  // Names derived from the key config: `km = kc.keymaps.new(…)`, `kmi = km.keymap_items.new(…)`, …
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
  for (const o of names) {
    if (!o.binding || !tracked.has(o.name)) continue;
    if (g.binding && o.node.id === g.binding.target.id) continue;
    if (g.binding && o.name === g.name) return { reason: `\`${g.name}\` is assigned more than once here` };
    if (!o.binding.value || !mentionsTracked(o.binding.value)) {
      return { reason: `\`${o.name}\` is also bound to something other than the key config` };
    }
  }

  // The statements to wrap: from the first failing use to the last use of the tracked names.
  if (g.block.type !== 'block' && g.block.type !== 'module') return { reason: 'the key config is used in several functions' };
  const first = statementIn(g.block, g.firstUse);
  if (!first) return { reason: 'the key config is used in a different block than the one that sets it' };
  if (g.binding && first.startIndex < g.binding.statement.endIndex) {
    return { reason: `\`${g.name}\` is used before it is set` };
  }
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
  const rangeStart = first.startIndex;
  const rangeEnd = last.endIndex;
  const inRange = (n: SyntaxNode): boolean => n.startIndex >= rangeStart && n.endIndex <= rangeEnd;

  for (const ret of g.scope.descendantsOfType(['return_statement', 'yield'])) {
    if (!inRange(ret) || enclosingFunction(ret)?.id !== enclosingFunction(first)?.id) continue;
    const value = ret.type === 'yield' ? ret : ret.namedChildren[0];
    if (value && (g.inline.some((s) => within(s, value)) || names.some((o) => tracked.has(o.name) && within(o.node, value)))) {
      return { reason: `\`${ret.text.split('\n')[0]}\` hands a key-map object to its caller, which would get None in background mode` };
    }
  }
  // A name set inside the wrapped statements and read after them would be unset when the key config is None.
  const boundInside = new Set(names.filter((o) => o.binding && inRange(o.node)).map((o) => o.name));
  for (const o of names) {
    if (o.node.startIndex >= rangeEnd && boundInside.has(o.name) && !o.binding) {
      return { reason: `\`${o.name}\` is set inside the key-map statements and used after them` };
    }
  }
  if (g.inline.length > 0) {
    // `wm.keyconfigs.addon` is read once, before the statements: its names must not change inside them.
    const base = new Set(occurrencesIn(ctx, g.inline[0]).map((o) => o.name));
    for (const o of names) {
      if (o.binding && base.has(o.name) && o.node.startIndex >= rangeStart && o.node.startIndex < rangeEnd) {
        return { reason: `\`${o.name}\` changes inside the key-map statements` };
      }
    }
  }

  const wrap = wrapStatements(ctx, first, last, g.name);
  if (!wrap || wrap.length === 0) return { reason: 'the key-map statements share a line with other code' };
  if (g.inline.length === 0) return { edits: wrap };

  // Inline form: bind the key config just before the `if`, and use the name inside it.
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

// ---------------------------------------------------------------------------------------------------

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

function freeName(which: string, taken: Set<string>): string {
  for (const name of ['kc', `kc_${which}`, 'keyconfig', `keyconfig_${which}`]) if (!taken.has(name)) return name;
  let i = 2;
  while (taken.has(`kc${i}`)) i++;
  return `kc${i}`;
}

export const keymapWithoutGuard = defineRule({
  code: 'BGS002',
  slug: 'keymap-without-guard',
  summary: 'Key-map code that uses `wm.keyconfigs.addon` (`.user`, `.active`) without a None check',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'Code that runs while an add-on loads or unloads (at import, in register() or unregister() and the ' +
      'functions they call, in functions named like `register_keymaps`) and reads `keymaps` (or anything else) ' +
      'from `wm.keyconfigs.addon`, `.user` or `.active` without first checking that the key config is not None: ' +
      '`kc = wm.keyconfigs.addon` followed by `kc.keymaps.new(...)`, or the inline ' +
      '`wm.keyconfigs.addon.keymaps.new(...)`. Code already under `if kc:`, `if kc is not None:`, ' +
      '`if not kc: return`, `if kc and ...:`, `if wm.keyconfigs.addon:`, `if not bpy.app.background:` or ' +
      'inside a try/except is left alone. It also reports `bpy.utils.register_tool(Tool)` where `Tool` ' +
      'sets `bl_keymap` (report only). Not found: key configs reached through a parameter ' +
      '(`def add_keys(kc): kc.keymaps.new(...)`), through the `keyconfigs` collection bound to a name ' +
      '(`kcs = wm.keyconfigs; kcs.addon.keymaps`), or helpers called only from another file whose names ' +
      'do not look like key-map registration.',
    whyItBreaks:
      'When Blender starts in background mode (`blender --background`) with the add-on enabled in the saved ' +
      'preferences, and when Blender runs as a Python module (`import bpy`), the key configs do not exist: ' +
      '`wm.keyconfigs.addon` (and `.user`, `.active`) is None. `kc.keymaps.new(...)` then raises ' +
      "`AttributeError: 'NoneType' object has no attribute 'keymaps'`, and register() stops half-way: the " +
      'classes registered before that line stay registered, everything after it (more key maps, menus, ' +
      'properties, handlers) is missing, and Blender reports the add-on as failed to enable. The same error ' +
      'comes from unregister() when it removes key maps through the key config. Measured in Blender 3.4.1 ' +
      '(Debian); in Blender 4.3.2 the key configs already exist at start-up in background mode, so the code ' +
      'runs there, but it still fails in Blender-as-a-module and older versions. An add-on enabled later ' +
      '(`--addons`, `addon_utils.enable(...)` from a script) gets the key configs and does not fail. ' +
      '`bpy.utils.register_tool()` of a tool with `bl_keymap` reads the add-on key config too and fails the ' +
      'same way.',
    example: {
      before: [
        'def register():',
        '    bpy.utils.register_class(MESH_OT_checker_pick)',
        '    wm = bpy.context.window_manager',
        '    kc = wm.keyconfigs.addon',
        "    km = kc.keymaps.new(name='Mesh', space_type='EMPTY')",
        "    kmi = km.keymap_items.new('mesh.checker_pick', 'K', 'PRESS', ctrl=True)",
        '    addon_keymaps.append((km, kmi))',
        '    bpy.types.VIEW3D_MT_select_edit_mesh.append(menu_func)',
        '',
      ].join('\n'),
      after: [
        'def register():',
        '    bpy.utils.register_class(MESH_OT_checker_pick)',
        '    wm = bpy.context.window_manager',
        '    kc = wm.keyconfigs.addon',
        '    if kc:',
        "        km = kc.keymaps.new(name='Mesh', space_type='EMPTY')",
        "        kmi = km.keymap_items.new('mesh.checker_pick', 'K', 'PRESS', ctrl=True)",
        '        addon_keymaps.append((km, kmi))',
        '    bpy.types.VIEW3D_MT_select_edit_mesh.append(menu_func)',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe: in the GUI the key config is never None, so the `if kc:` block always runs and nothing changes. ' +
      'The fix wraps the statements from the first use of the key config to the last use of the names made ' +
      'from it (`km`, `kmi`, ...) and leaves the statements after them outside; an inline ' +
      '`wm.keyconfigs.addon.keymaps...` is first bound to `kc`. Removal in unregister() that loops over a ' +
      'stored `addon_keymaps` list already works when nothing was added; removal through the key config is ' +
      'guarded the same way. Where the shape of the code makes the right block uncertain (the names used in ' +
      'several blocks, reused for something else, returned, or the statements sharing a line with other ' +
      'code) the rule reports without a fix and says what to wrap by hand. `register_tool` with ' +
      '`bl_keymap` is report-only: the guard must be the same around `register_tool` and `unregister_tool`.',
  },
  messages: {
    unguardedKeyconfig:
      '`{name}` (`{expr}`) is None when the add-on is enabled at start-up in background mode (Blender 3.4) ' +
      'or in Blender-as-a-module, so `{use}` raises AttributeError and {stops} half-way; the key-map ' +
      'statements go under `if {name}:`',
    unguardedInline:
      '`{expr}` is None when the add-on is enabled at start-up in background mode (Blender 3.4) or in ' +
      'Blender-as-a-module, so `{use}` raises AttributeError and {stops} half-way; the key config is bound ' +
      'to `{name}` and the key-map statements go under `if {name}:`',
    unguardedKeyconfigNoFix:
      '`{name}` (`{expr}`) is None when the add-on is enabled at start-up in background mode (Blender 3.4) ' +
      'or in Blender-as-a-module, so `{use}` raises AttributeError and {stops} half-way. No automatic fix ' +
      'because {reason}. By hand: put the statements that use `{name}`, and the key maps and items made ' +
      'from it, under `if {name}:` (with `{name}` set to the key config before it), and keep anything ' +
      'needed after them outside the `if`',
    unguardedInlineNoFix:
      '`{expr}` is None when the add-on is enabled at start-up in background mode (Blender 3.4) or in ' +
      'Blender-as-a-module, so `{use}` raises AttributeError and {stops} half-way. No automatic fix because ' +
      '{reason}. By hand: bind it to a name (`kc = {expr}`), use `kc` instead, put the statements that use ' +
      'it, and the key maps and items made from it, under `if kc:`, and keep anything needed after them ' +
      'outside the `if`',
    registerToolKeymap:
      '`{call}` registers a tool with `bl_keymap`, which reads the add-on key config; that is None when the ' +
      "add-on is enabled at start-up in background mode (Blender 3.4) and the call raises `AttributeError: " +
      "'NoneType' object has no attribute 'keymaps'`. By hand: put this call and the matching " +
      '`unregister_tool({tool})` under the same check, `if bpy.context.window_manager.keyconfigs.addon:` ' +
      '(a tool registered on one side only makes unregister_tool raise)',
  },
  prefilter: ['keyconfigs', 'bl_keymap'],
  errorPatterns: [/AttributeError: 'NoneType' object has no attribute 'keymaps'/],

  check(ctx) {
    const groups: Group[] = [];
    const inlineGroups = new Map<string, { scope: SyntaxNode; which: string; nodes: SyntaxNode[]; when: When }>();
    const namedPerScope = new Map<number, Set<string>>();
    const matches = ctx.matches(KEYCONFIG_QUERY);

    // Names bound to a key config, per scope: `if kc:` guards inline uses too.
    for (const { keyconfig } of matches) {
      const p = keyconfig.parent;
      if (p?.type === 'assignment' && isField(p, 'right', keyconfig) && p.childForFieldName('left')?.type === 'identifier') {
        const scope = scopeOf(keyconfig);
        const set = namedPerScope.get(scope.id) ?? new Set<string>();
        set.add(p.childForFieldName('left')!.text);
        namedPerScope.set(scope.id, set);
      }
    }

    for (const { keyconfig, _which } of matches) {
      const when = whenItRuns(ctx, keyconfig);
      if (!when) continue;
      const scope = scopeOf(keyconfig);
      const p = keyconfig.parent!;
      const left = p.type === 'assignment' && isField(p, 'right', keyconfig) ? p.childForFieldName('left') : null;
      if (left?.type === 'identifier') {
        // Named: `kc = wm.keyconfigs.addon`, then `kc.keymaps…`.
        const statement = p.parent;
        if (statement?.type !== 'expression_statement' || !statement.parent) continue;
        if (statement.parent.type !== 'block' && statement.parent.type !== 'module') continue;
        const name = left.text;
        const guarded = guardTest([name]);
        const firstUse = occurrencesIn(ctx, scope).find((o) => {
          const use = o.name === name && o.node.startIndex > statement.endIndex ? dereferenceOf(o.node) : null;
          return use !== null && !isGuarded(use, guarded);
        });
        if (!firstUse) continue;
        groups.push({
          scope,
          block: statement.parent,
          name,
          binding: { statement, target: left },
          inline: [],
          firstUse: dereferenceOf(firstUse.node)!,
          when,
          guarded,
        });
        continue;
      }
      // Inline: `wm.keyconfigs.addon.keymaps…`.
      if (!dereferenceOf(keyconfig)) continue;
      if (isGuarded(keyconfig, guardTest(namedPerScope.get(scope.id) ?? []))) continue;
      const key = `${scope.id}:${keyconfig.text.replace(/\s+/g, '')}`;
      const group = inlineGroups.get(key) ?? { scope, which: _which.text, nodes: [], when };
      group.nodes.push(keyconfig);
      inlineGroups.set(key, group);
    }

    const chosen = new Map<number, Set<string>>();
    for (const group of inlineGroups.values()) {
      const taken = chosen.get(group.scope.id) ?? new Set(occurrencesIn(ctx, group.scope).map((o) => o.name));
      chosen.set(group.scope.id, taken);
      const name = freeName(group.which, taken);
      taken.add(name);
      group.nodes.sort((a, b) => a.startIndex - b.startIndex);
      const block = lowestCommonBlock(group.nodes, group.scope);
      groups.push({
        scope: group.scope,
        block: block ?? group.scope,
        name,
        binding: null,
        inline: group.nodes,
        firstUse: dereferenceOf(group.nodes[0])!,
        when: group.when,
        guarded: guardTest([name, ...(namedPerScope.get(group.scope.id) ?? [])]),
      });
    }

    const reported = new Set<number>();
    for (const g of groups) {
      // Two bindings in different branches (`if …: kc = …addon` / `else: kc = …user`) reach one use: one finding.
      if (reported.has(g.firstUse.id)) continue;
      reported.add(g.firstUse.id);
      const when = g.when;
      const keyconfig = g.binding ? g.binding.target.parent?.childForFieldName('right')?.text ?? g.name : g.inline[0].text;
      const use = `${g.firstUse.text.split('\n')[0]}`;
      const data = { name: g.name, expr: keyconfig, use: use.length > 60 ? `${use.slice(0, 57)}...` : use, stops: STOPS[when] };
      const plan = planFix(ctx, g);
      if ('reason' in plan) {
        const messageId = g.binding ? 'unguardedKeyconfigNoFix' : 'unguardedInlineNoFix';
        ctx.report({ messageId, node: g.firstUse, data: { ...data, reason: plan.reason } });
        continue;
      }
      ctx.report({
        messageId: g.binding ? 'unguardedKeyconfig' : 'unguardedInline',
        node: g.firstUse,
        data,
        fix: {
          safety: 'safe',
          description: g.binding ? `wrap the key-map statements in \`if ${g.name}:\`` : `bind the key config to \`${g.name}\` and wrap the key-map statements in \`if ${g.name}:\``,
          edits: plan.edits,
        },
      });
    }

    // register_tool() of a tool with bl_keymap: report only.
    if (!ctx.source.includes('bl_keymap')) return;
    const keymapTools = new Set(ctx.matches(KEYMAP_TOOL_CLASS_QUERY).map((m) => m.name.text));
    for (const { tool } of ctx.matches(REGISTER_TOOL_QUERY)) {
      if (!keymapTools.has(tool.text)) continue;
      const call = tool.parent!.parent!;
      if (!whenItRuns(ctx, call) || isGuarded(call, guardTest([]))) continue;
      ctx.report({
        messageId: 'registerToolKeymap',
        node: call,
        data: { call: call.text.split('\n')[0], tool: tool.text },
      });
    }
  },
});
