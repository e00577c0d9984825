// BGS017 eevee-engine-name: EEVEE's render engine identifier is `'BLENDER_EEVEE'` before Blender 4.2,
// `'BLENDER_EEVEE_NEXT'` in 4.2 to 4.5 and `'BLENDER_EEVEE'` again from 5.0. Setting `render.engine` to the
// name of another era raises `TypeError: bpy_struct: item.attr = val: enum "…" not found in (…)` (in the GUI
// and headless alike: a render farm's job script fails), and comparing `….engine` with it is silently never
// true. For the add-on's supported versions (`ctx.target`) the string becomes the one right name, or, where
// the range spans eras, a value chosen by `bpy.app.version` (assignments) or a test of both names (comparisons).
import type { Edit, RuleContext } from '../../src/types.js';
import { defineRule } from '../../src/rule.js';
import { editsWithImport } from '../../src/syntax/names.js';
import { EEVEE, EEVEE_NEXT, engineExpression, neededNames, otherName, rangeWords, whereWrong } from './eras.js';
import { engineStrings, usageOf, type Usage } from './usage.js';

const ERROR_NEXT = `TypeError: bpy_struct: item.attr = val: enum "${EEVEE_NEXT}" not found in ('${EEVEE}', 'BLENDER_WORKBENCH', 'CYCLES')`;
const ERROR_EEVEE = `TypeError: bpy_struct: item.attr = val: enum "${EEVEE}" not found in ('${EEVEE_NEXT}', 'BLENDER_WORKBENCH', 'CYCLES')`;

type MessageId = 'assign' | 'assignBranch' | 'compare' | 'compareBoth';

export const eeveeEngineName = defineRule({
  code: 'BGS017',
  slug: 'eevee-engine-name',
  summary: "`render.engine = 'BLENDER_EEVEE_NEXT'` (or `'BLENDER_EEVEE'`) and comparisons with it, in Blender versions where EEVEE has the other name",
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      `The strings '${EEVEE}' and '${EEVEE_NEXT}' assigned to a render engine (\`scene.render.engine = …\`, ` +
      "`rd.engine = …` after `rd = scene.render`, `setattr(render, 'engine', …)`), compared with one (`context.engine == …`, " +
      "`scene.render.engine != …`, a name bound to either) or listed in a tuple, list or set tested with `in` / `not in`, " +
      'where one of the versions the add-on supports (its `blender_manifest.toml`, `bl_info["blender"]`, `--target-blender`; ' +
      'none: 2.80 and later) does not know that name. Left alone: code that already handles both (a `bpy.app.version` ' +
      'check, an if/elif or try/except naming the other identifier, a literal listing both), values chosen by a conditional ' +
      'expression, and the strings anywhere else: the add-on\'s own enum items, `bl_info`, `COMPAT_ENGINES = {…}` sets of ' +
      'panels (listing both names there is right).',
    whyItBreaks:
      'Blender 4.2 renamed EEVEE\'s identifier to `BLENDER_EEVEE_NEXT` (4.2 release notes, Python API, "Render Settings"); ' +
      '5.0 renamed it back to `BLENDER_EEVEE` (4.5.x reports `BLENDER_EEVEE_NEXT`, 5.0.1 `BLENDER_EEVEE`). Measured with ' +
      "`scene.render.engine = …` in `blender -b --factory-startup`: Blender 3.4.1 and 5.2.2 accept only 'BLENDER_EEVEE' and " +
      `raise \`${ERROR_NEXT}\`; 4.3.2 accepts only 'BLENDER_EEVEE_NEXT' and raises \`${ERROR_EEVEE}\` ` +
      "(`setattr(render, 'engine', …)` alike). The enum lists only the registered engines: each of these versions knows " +
      'exactly one of the two names. An operator or job script that sets the wrong one stops there (a render farm renders ' +
      'nothing); a comparison with the wrong one raises nothing and is never true, so EEVEE-only settings are silently skipped.',
    example: {
      before: [
        'bl_info = {"name": "Farm Presets", "blender": (3, 6, 0)}',
        '',
        'import bpy',
        '',
        '',
        'def use_eevee(scene):',
        "    if scene.render.engine != 'BLENDER_EEVEE_NEXT':",
        "        scene.render.engine = 'BLENDER_EEVEE_NEXT'",
        '    scene.eevee.taa_render_samples = 32',
        '',
      ].join('\n'),
      after: [
        'bl_info = {"name": "Farm Presets", "blender": (3, 6, 0)}',
        '',
        'import bpy',
        '',
        '',
        'def use_eevee(scene):',
        "    if scene.render.engine not in {'BLENDER_EEVEE', 'BLENDER_EEVEE_NEXT'}:",
        "        scene.render.engine = 'BLENDER_EEVEE_NEXT' if (4, 2, 0) <= bpy.app.version < (5, 0, 0) else 'BLENDER_EEVEE'",
        '    scene.eevee.taa_render_samples = 32',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe: in every version where the original name was EEVEE\'s identifier the code does exactly what it did; where it ' +
      'was not, the assignment raised and the comparison could never be true, so the only reading is "EEVEE". Where every ' +
      'supported version agrees the string is replaced by the one right name (no version check). Where the range spans ' +
      "eras, an assignment gets `'BLENDER_EEVEE_NEXT' if <version test> else 'BLENDER_EEVEE'` testing only the bounds the " +
      "range crosses, and a comparison becomes `in {'BLENDER_EEVEE', 'BLENDER_EEVEE_NEXT'}` (`!=`: `not in`; a literal " +
      'after `in` gets the other name added): each version knows only one of the names, so the test is true exactly when ' +
      'EEVEE is the engine, as the author meant. (Blender 4.1 with the experimental EEVEE Next turned on, in a development ' +
      'build, knew both; there the membership test also matches EEVEE Next.)',
  },
  messages: {
    assign:
      "`{target} = '{name}'` raises `TypeError: bpy_struct: item.attr = val: enum \"{name}\" not found in (…)` in {where}. " +
      "The add-on supports Blender {range}, where EEVEE is `'{right}'`: the string is replaced",
    assignBranch:
      "`{target} = '{name}'` raises `TypeError: bpy_struct: item.attr = val: enum \"{name}\" not found in (…)` in {where}. " +
      "The add-on supports Blender {range}, where EEVEE's identifier changes: the value is chosen by `bpy.app.version`",
    compare:
      "`{expr}` tests for a name EEVEE does not have in {where}: there it is `'{right}'`, so the test never matches EEVEE " +
      '(no error is raised). ' +
      'The add-on supports Blender {range}: the string is replaced',
    compareBoth:
      "`{expr}` tests for a name EEVEE does not have in {where}: there it is `'{other}'`, so the test never matches EEVEE " +
      '(no error is raised). ' +
      'The add-on supports Blender {range}, where the name changes: the test accepts both names (each version knows one)',
  },
  prefilter: ['BLENDER_EEVEE'],
  errorPatterns: [/enum "BLENDER_EEVEE(?:_NEXT)?" not found in \(/],

  check(ctx) {
    const names = neededNames(ctx.target);
    for (const { node, name } of engineStrings(ctx.tree, ctx.source)) {
      const where = whereWrong(ctx.target, name);
      if (!where) continue;
      const usage = usageOf(node, name);
      if (usage) report(ctx, usage, names.length > 1, { name, where, range: rangeWords(ctx.target) });
    }
  },
});

/** The finding and fix for one use: the one right name where the range agrees, else both. */
function report(ctx: RuleContext<MessageId>, usage: Usage, spans: boolean, data: { name: string; where: string; range: string }): void {
  const s = usage.string;
  // A plain literal (stringValue): an optional r/u prefix, then its quote.
  const prefix = /^[rRuU]?/.exec(s.text)![0];
  const q = s.text[prefix.length];
  const right = otherName(usage.name);
  if (!spans) {
    const edits = [{ start: s.startIndex, end: s.endIndex, text: `${prefix}${q}${right}${q}` }];
    const fix = { safety: 'safe' as const, description: `use '${right}'`, edits };
    if (usage.kind === 'assign') ctx.report({ messageId: 'assign', node: s, data: { ...data, target: usage.target, right }, fix });
    else ctx.report({ messageId: 'compare', node: usage.comparison, data: { ...data, expr: flat(usage.comparison.text), right }, fix });
    return;
  }
  if (usage.kind === 'assign') {
    const edits = editsWithImport(ctx, 'bpy', [{ start: s.startIndex, end: s.endIndex, text: engineExpression(ctx.target, q) }]);
    const fix = { safety: 'safe' as const, description: 'choose the identifier by `bpy.app.version`', edits };
    ctx.report({ messageId: 'assignBranch', node: s, data: { ...data, target: usage.target }, fix });
    return;
  }
  const fix = { safety: 'safe' as const, description: 'accept both EEVEE identifiers', edits: bothNames(usage, q) };
  ctx.report({ messageId: 'compareBoth', node: usage.comparison, data: { ...data, expr: flat(usage.comparison.text), other: right }, fix });
}

/** The edits that make a comparison accept both names: `== '…'` → `in {…}`, or the other name added to the literal. */
function bothNames(usage: Exclude<Usage, { kind: 'assign' }>, q: string): Edit[] {
  const s = usage.string;
  if (usage.kind === 'member') return [{ start: s.endIndex, end: s.endIndex, text: `, ${q}${otherName(usage.name)}${q}` }];
  const set = `{${q}${EEVEE}${q}, ${q}${EEVEE_NEXT}${q}}`;
  const op = usage.negated ? 'not in' : 'in';
  const { comparison, engine } = usage;
  // `engine == 'X'`: from the operator on; `'X' == engine`: the whole comparison, the engine read first.
  if (engine.startIndex < s.startIndex) return [{ start: engine.endIndex, end: comparison.endIndex, text: ` ${op} ${set}` }];
  return [{ start: comparison.startIndex, end: comparison.endIndex, text: `${engine.text} ${op} ${set}` }];
}

function flat(text: string): string {
  return text.replace(/\s+/g, ' ');
}
