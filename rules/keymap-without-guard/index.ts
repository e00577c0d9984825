// BGS002: key-map code that uses `wm.keyconfigs.addon` (`.user`, `.active`) without a None check.
// The key configs are None when an add-on is enabled at start-up in background mode (Blender 3.4), so the
// first `kc.keymaps…` raises and register() stops half-way. The fix binds the key config to a name and
// wraps the statements that use it (and the names derived from it) in `if kc:`.
import { defineRule } from '../../src/rule.js';
import { isGuarded } from '../../src/syntax/scope.js';
import type { RuleContext, SyntaxNode } from '../../src/types.js';
import { guardTest, keyconfigGroups, loadTimeOf, occurrenceCache, type Group, type Occurrences, type When } from './groups.js';
import { planFix } from './plan.js';

/** `<anything>.keyconfigs.addon` / `.user` / `.active`. */
const KEYCONFIG_QUERY = `(
  (attribute
    object: (attribute attribute: (identifier) @_keyconfigs)
    attribute: (identifier) @_which) @keyconfig
  (#eq? @_keyconfigs "keyconfigs")
  (#match? @_which "^(addon|user|active)$"))`;

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

/** What stops half-way when the key-map code raises. */
const STOPS: Record<When, string> = {
  import: 'the add-on fails to import',
  register: 'register() stops',
  unregister: 'unregister() stops',
};

type MessageId = 'unguardedKeyconfig' | 'unguardedInline' | 'unguardedKeyconfigNoFix' | 'unguardedInlineNoFix' | 'registerToolKeymap';

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
    const occurrences = occurrenceCache();
    const reported = new Set<number>();
    for (const g of keyconfigGroups(ctx, ctx.matches(KEYCONFIG_QUERY), occurrences)) {
      // Two bindings in different branches (`if …: kc = …addon` / `else: kc = …user`) reach one use: one finding.
      if (reported.has(g.firstUse.id)) continue;
      reported.add(g.firstUse.id);
      reportGroup(ctx, g, occurrences);
    }
    if (ctx.source.includes('bl_keymap')) reportKeymapTools(ctx);
  },
});

/** One group's finding: with the fix where the plan has one, else with the reason and what to do by hand. */
function reportGroup(ctx: RuleContext<MessageId>, g: Group, occurrences: Occurrences): void {
  const keyconfig = g.binding ? g.binding.target.parent?.childForFieldName('right')?.text ?? g.name : g.inline[0].text;
  const use = `${g.firstUse.text.split('\n')[0]}`;
  const data = { name: g.name, expr: keyconfig, use: use.length > 60 ? `${use.slice(0, 57)}...` : use, stops: STOPS[g.when] };
  const plan = planFix(ctx, g, occurrences);
  if ('reason' in plan) {
    const messageId = g.binding ? 'unguardedKeyconfigNoFix' : 'unguardedInlineNoFix';
    ctx.report({ messageId, node: g.firstUse, data: { ...data, reason: plan.reason } });
    return;
  }
  ctx.report({
    messageId: g.binding ? 'unguardedKeyconfig' : 'unguardedInline',
    node: g.firstUse,
    data,
    fix: {
      safety: 'safe',
      description: g.binding
        ? `wrap the key-map statements in \`if ${g.name}:\``
        : `bind the key config to \`${g.name}\` and wrap the key-map statements in \`if ${g.name}:\``,
      edits: plan.edits,
    },
  });
}

/** register_tool() of a tool with bl_keymap, while the add-on loads and unguarded: report only. */
function reportKeymapTools(ctx: RuleContext<MessageId>): void {
  const keymapTools = new Set(ctx.matches(KEYMAP_TOOL_CLASS_QUERY).map((m) => m.name.text));
  if (keymapTools.size === 0) return;
  const whenItRuns = loadTimeOf(ctx);
  for (const { tool } of ctx.matches(REGISTER_TOOL_QUERY)) {
    if (!keymapTools.has(tool.text)) continue;
    const call: SyntaxNode = tool.parent!.parent!;
    if (isGuarded(call, guardTest([])) || !whenItRuns(call)) continue;
    ctx.report({ messageId: 'registerToolKeymap', node: call, data: { call: call.text.split('\n')[0], tool: tool.text } });
  }
}
