// BGS002: key-map code that uses `wm.keyconfigs.addon` (`.user`, `.active`) without a None check.
// The key configs are None when an add-on is enabled at start-up in background mode (Blender 3.4), so the
// first `kc.keymaps…` raises and register() stops half-way. The fix binds the key config to a name and
// wraps the statements that use it (and the names derived from it) in `if kc:`.
import { defineRule } from '../../src/rule.js';
import type { RuleContext } from '../../src/types.js';
import { keyconfigGroups, occurrenceCache, type Group, type Occurrences, type When } from './groups.js';
import { planFix } from './plan.js';

/** `<anything>.keyconfigs.addon` / `.user` / `.active`. */
const KEYCONFIG_QUERY = `(
  (attribute
    object: (attribute attribute: (identifier) @_keyconfigs)
    attribute: (identifier) @_which) @keyconfig
  (#eq? @_keyconfigs "keyconfigs")
  (#match? @_which "^(addon|user|active)$"))`;

/** What stops half-way when the key-map code raises. */
const STOPS: Record<When, string> = {
  import: 'the add-on fails to import',
  register: 'register() stops',
  unregister: 'unregister() stops',
};

type MessageId = 'unguardedKeyconfig' | 'unguardedInline' | 'unguardedKeyconfigNoFix' | 'unguardedInlineNoFix';

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
      'inside a try/except is left alone. (`bpy.utils.register_tool(Tool)` of a tool with `bl_keymap` is ' +
      'BGS021\'s.) Not found: key configs reached through a parameter ' +
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
      '(`--addons`, `addon_utils.enable(...)` from a script) gets the key configs and does not fail.',
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
      'code) the rule reports without a fix and says what to wrap by hand.',
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
  },
  prefilter: ['keyconfigs'],
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
