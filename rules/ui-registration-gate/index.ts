// BGS009 ui-registration-gate (off by default: hygiene, not a crash fix). Panel, Menu, Header and UIList
// classes registered in background mode too, where nothing ever draws them. The fix registers them, and
// appends menu entries, only under `if not bpy.app.background:`, and unregisters them under the same check
// (unregister_class of a class that was never registered raises). Mixed class tuples are split in two, order
// kept, so operators stay registered headless. UI classes are found through their bases, the add-on's own
// base classes and relative imports from its other files, asked of the add-on model (classes.ts).
// The registration sites are found in sites.ts (calls from the model's index, when they run from it too:
// load-time.ts; names through the text: occurrences.ts), grouped into units in units.ts and rewritten in
// fix.ts (split.ts splits a mixed tuple).
import type { RuleContext } from '../../src/types.js';
import { defineRule } from '../../src/rule.js';
import { buildFix } from './fix.js';
import { Scan } from './scan.js';
import { collectSites, shorten, type Site } from './sites.js';
import { planUnits, type Plan, type Unit } from './units.js';

const UNREGISTER_ERROR = "RuntimeError: unregister_class(...):, missing bl_rna attribute from 'RNAMeta' instance (may not be registered)";

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
    const scan = new Scan(ctx);
    const { sites, unclear } = collectSites(scan);
    const plan = planUnits(scan, sites, unclear);
    reportWithoutFix(ctx, plan);
    if (plan.units.length === 0) return;
    const fix = buildFix(scan, plan.units);
    if ('reason' in fix) {
      const first = allSites(plan.units).sort((x, y) => x.call.startIndex - y.call.startIndex)[0];
      ctx.report({ messageId: 'uiRegistrationNoFix', node: first.call, data: { classes: nameList(plan.units.flatMap((u) => u.label)), reason: fix.reason } });
      return;
    }
    // Anchored on the first register-side site.
    const anchor = allSites(plan.units).sort((x, y) => (x.side === 'unregister' ? 1 : 0) - (y.side === 'unregister' ? 1 : 0) || x.call.startIndex - y.call.startIndex)[0];
    ctx.report({
      messageId: 'uiRegistration',
      node: anchor.call,
      data: { classes: nameList(plan.units.flatMap((u) => u.label)), how: fix.how.join('; ') },
      fix: { safety: 'safe', description: 'register the UI classes (and menu entries) only when not in background mode', edits: fix.edits },
    });
  },
});

/** The report-only findings, one per class (a class in a `panels` tuple of an update callback is reported
 *  there, not again where it is registered), then the asymmetric gates. */
function reportWithoutFix(ctx: RuleContext<'uiRegistrationNoFix' | 'asymmetricGate'>, plan: Plan): void {
  const reportedClasses = new Set<string>();
  const reportOnly = [...plan.reportOnly].sort((x, y) => x.node.startIndex - y.node.startIndex);
  for (const r of reportOnly) {
    const classes = r.classes.filter((c) => !reportedClasses.has(c));
    if (classes.length === 0) continue;
    for (const c of classes) reportedClasses.add(c);
    ctx.report({ messageId: 'uiRegistrationNoFix', node: r.node, data: { classes: nameList(classes), reason: r.reason } });
  }
  for (const a of plan.asymmetric) {
    ctx.report({ messageId: 'asymmetricGate', node: a.node, data: { classes: nameList(a.classes), call: shorten(a.node.text) } });
  }
}

function allSites(units: Unit[]): Site[] {
  return units.flatMap((u) => u.sites);
}

/** The names in backticks, comma-separated: at most four, then how many more. */
function nameList(names: string[]): string {
  const uniq = [...new Set(names)];
  const shown = uniq.slice(0, 4).map((n) => `\`${n}\``);
  return uniq.length > 4 ? `${shown.join(', ')} and ${uniq.length - 4} more` : shown.join(', ');
}
