// BGS016 context-dict-override: a context dict passed as an operator's first positional argument
// (`bpy.ops.object.select_all(override, action='SELECT')`) was deprecated in Blender 3.2 and removed in 4.0:
// Blender 4.3.2 and 5.2.2 raise `ValueError: 1-2 args execution context is supported` (3.4.1 runs the call),
// headless and in the GUI alike. The call goes under `with bpy.context.temp_override(**override):` without
// the dict (behind a `bpy.app.version` branch where the add-on also supports Blender before 3.2).
import type { Fix, RuleContext, SyntaxNode } from '../../src/types.js';
import { defineRule } from '../../src/rule.js';
import { positionalArgs } from '../../src/syntax/call-arguments.js';
import { editsWithImport } from '../../src/syntax/names.js';
import { operatorCalls } from '../../src/syntax/operator-calls.js';
import { isGuarded } from '../../src/syntax/scope.js';
import { allFrom, includesBefore, includesFrom } from '../../src/versions.js';
import { dictSource, type DictSource } from './dict-source.js';
import { rewriteEdits, wrappableStatement } from './fix.js';

/** The exception Blender 4.3.2 and 5.2.2 raise for a dict as an operator's first argument (measured). */
const ERROR_TEXT = 'ValueError: 1-2 args execution context is supported';
const MEASURED = `Blender 4.0 removed context dicts as operator arguments: 4.3.2 and 5.2.2 raise \`${ERROR_TEXT}\` (3.4.1 runs the call)`;

/** Context members that `temp_override` checks belong together (3.4.1: `TypeError: Region not found in
 *  area`; 4.3.2 and 5.2.2: `… in area or screen`), where a dict never was checked. */
const UI_KEYS = ['window', 'screen', 'area', 'region'];

/** An operator call whose first argument is not a string, `)`, a keyword argument, a bool, a number or
 *  `*args`: the only calls that can pass a dict (comments and line breaks before it included). A file
 *  without one is not parsed for this rule. */
const MAY_PASS_DICT = /\bops\s*\.\s*\w+\s*\.\s*\w+\s*\(\s*(?!['")*]|[rRbBuUfF]{1,2}['"]|True\b|False\b|\d|\w+\s*=(?!=))/;

/** Group names of `bpy.ops.<group>.` / `ops.<group>.` in a text. */
const GROUP_TEXT = /\bops\s*\.\s*(\w+)\s*\./g;

export const contextDictOverride = defineRule({
  code: 'BGS016',
  slug: 'context-dict-override',
  summary:
    'A context dict as an operator\'s first argument (`bpy.ops.x.y(override, …)`) raises ValueError from Blender 4.0: use `context.temp_override()`',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'Operator calls `bpy.ops.<group>.<name>(dict, …)` (also `ops.…` after `from bpy import ops`) whose first ' +
      'positional argument is a context dict: a dict literal, `bpy.context.copy()`, `context.copy()` or a name ' +
      'bound to one of those in the same function (keys may be added as `override[\'area\'] = area`). A call that ' +
      'is a statement of its own (also `x = bpy.ops…(…)` and `return bpy.ops…(…)`) is rewritten; a call inside a ' +
      'larger expression, a dict the rule cannot see whole (a parameter, a global, changed by `.update()` or by ' +
      'another function, a key that is not a plain string) and a copy of the context given its own `area` without ' +
      'its `region` are reported with what to do, and so is the Context itself passed as the dict (`bpy.ops.x.y(context)`: ' +
      'it raises in every version). Left alone: calls whose first argument is a string (`\'INVOKE_DEFAULT\'`), a bool or ' +
      'a number (the undo flag, taken by every version), calls behind a check of `bpy.app.version`, and every call where the add-on ' +
      'supports only versions before 4.0 and some before 3.2 (the dict works there and `temp_override` does not exist).',
    whyItBreaks:
      'Measured with `blender -b --factory-startup`: in Blender 4.3.2 and 5.2.2 `bpy.ops.object.select_all(' +
      'bpy.context.copy(), action=\'SELECT\')`, `bpy.ops.mesh.primitive_cube_add(override, \'EXEC_DEFAULT\', size=2)`, ' +
      `\`bpy.ops.object.delete({'selected_objects': [ob]})\` and \`….poll(ctx)\` raise \`${ERROR_TEXT}\`, in background ` +
      'mode as in the GUI (the API docs: deprecated since 3.2, removed in 4.0); Blender 3.4.1 runs them. ' +
      '`Context.temp_override` exists from 3.2 and gives the operator the same context: `with bpy.context.' +
      'temp_override(selected_objects=[ob]): bpy.ops.object.delete()` deletes the same object in 3.4.1, 4.3.2 and 5.2.2, ' +
      'and keys that are not context members are taken silently as a dict\'s were. What differs: it checks that ' +
      '`window`, `screen`, `area` and `region` belong together (`TypeError: Region not found in area` in 3.4.1, ' +
      '`… in area or screen` in 4.3.2 and 5.2.2), where a dict was never checked; non-string keys fail both ways ' +
      '(`TypeError: keywords must be strings`). An add-on for 3.2 to 3.6 only is rewritten too: the dict is ' +
      'deprecated there and `temp_override` works.',
    example: {
      before: [
        'class OBJECT_OT_select_everything(bpy.types.Operator):',
        '    bl_idname = "object.select_everything"',
        '    bl_label = "Select Everything"',
        '',
        '    def execute(self, context):',
        '        override = context.copy()',
        '        bpy.ops.object.select_all(override, action="SELECT")',
        '        return {"FINISHED"}',
        '',
      ].join('\n'),
      after: [
        'class OBJECT_OT_select_everything(bpy.types.Operator):',
        '    bl_idname = "object.select_everything"',
        '    bl_label = "Select Everything"',
        '',
        '    def execute(self, context):',
        '        override = context.copy()',
        '        with context.temp_override(**override):',
        '            bpy.ops.object.select_all(action="SELECT")',
        '        return {"FINISHED"}',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe where the operator sees the same context as before: a copy of the live context, or a dict of members ' +
      'other than `window`/`screen`/`area`/`region`. A dict that sets any of those four itself gets an unsafe fix ' +
      '(`temp_override` checks that they belong together; a dict never was). An execution-context string and the ' +
      'undo flag stay. Where the add-on supports Blender before 3.2 (no `bl_info["blender"]` means 2.80 and later), the ' +
      `new code goes under \`if bpy.app.version >= (3, 2, 0):\` and the old call under \`else:\`; where every supported ` +
      'version is 3.2 or later there is no branch.',
  },
  messages: {
    rewrite: `\`{call}\` passes a context dict as its first argument. ${MEASURED}; {fix}`,
    expression:
      `\`{call}\` passes a context dict as its first argument. ${MEASURED}. No automatic fix because the call is part ` +
      'of a larger expression or shares its line with other code. By hand: call it in a statement of its own under ' +
      '`with {owner}.temp_override({args}):`, without the dict argument{branch}',
    unseen:
      `\`{call}\` passes a context dict as its first argument. ${MEASURED}. No automatic fix because {reason}. By ` +
      'hand: once the dict is complete, call the operator without it under `with bpy.context.temp_override(**{dict}):` ' +
      '(its keys must be strings; `window`, `screen`, `area` and `region` must belong together){branch}',
    contextObject:
      '`{call}` passes the Context itself, not a dict, as its first argument: Blender 3.4.1 raises `ValueError: 1-3 ' +
      `args execution context is supported\`, 4.3.2 and 5.2.2 \`${ERROR_TEXT}\`. No automatic fix because the call ` +
      'never ran (dropping the argument would make it run). By hand: drop the argument, or call the operator under ' +
      '`with context.temp_override(...)` with the members it needs',
    regionMismatch:
      `\`{call}\` passes a context dict as its first argument. ${MEASURED}. No automatic fix because the dict is a ` +
      'copy of the context with its own `{keys}` but the current `region`: `temp_override` raises `TypeError: ' +
      'Region not found in area` for a region of another area, where the dict was never checked. By hand: ' +
      '`with {owner}.temp_override(**{dict}, region=region):` with the region of that area (e.g. its `WINDOW` region), ' +
      'and the call without the dict{branch}',
  },
  prefilter: ['ops.'],
  prefilterText: (text) => MAY_PASS_DICT.test(text),
  errorPatterns: [/ValueError: 1-2 args execution context is supported/],

  check(ctx) {
    // Only versions before 4.0 and some before 3.2: the dict works everywhere and temp_override not.
    if (!includesFrom(ctx.target, [4, 0]) && !allFrom(ctx.target, [3, 2])) return;
    const branch = includesBefore(ctx.target, [3, 2]);
    const groups = new Set([...ctx.source.matchAll(GROUP_TEXT)].map((m) => m[1]));
    for (const op of operatorCalls(ctx, groups)) {
      const arg = dictArgument(op.args);
      if (!arg || isGuarded(op.call, (t) => /\bapp\s*\.\s*version\b/.test(t), { tryExcept: false })) continue;
      checkCall(ctx, op.call, op.callee, op.args, arg, branch);
    }
  },
});

type Ctx = RuleContext<'rewrite' | 'expression' | 'unseen' | 'regionMismatch' | 'contextObject'>;

/** Arguments that can be a dict: a literal, a call (`context.copy()`), a name, `self.override`, `d[k]`. A
 *  string, bool or number first is the execution context or the undo flag (they work in every version). */
const DICT_LIKE = new Set(['dictionary', 'call', 'identifier', 'attribute', 'subscript']);

/** The call's first argument where it can be a context dict (not after `*args`; at most the three
 *  positional arguments an operator takes). */
function dictArgument(args: SyntaxNode): SyntaxNode | null {
  const first = args.namedChildren.find((c) => c.type !== 'comment');
  const positional = positionalArgs(args);
  if (!first || positional[0]?.id !== first.id || positional.length > 3) return null;
  return DICT_LIKE.has(first.type) ? first : null;
}

/** The finding (and fix) for one operator call with a dict argument. */
function checkCall(ctx: Ctx, call: SyntaxNode, callee: string, args: SyntaxNode, arg: SyntaxNode, branch: boolean): void {
  const source = dictSource(arg, call);
  const more = positionalArgs(args).length > 1 || args.namedChildren.some((c) => c.type === 'keyword_argument');
  const shown = `${callee}(${arg.text.length > 30 || arg.text.includes('\n') ? '{…}' : arg.text}${more ? ', …' : ''})`;
  const base = { call: shown, dict: arg.type === 'identifier' ? arg.text : 'override' };
  const branchNote = branch ? ', and keep the old call under `else:` of `if bpy.app.version >= (3, 2, 0):` (the add-on supports Blender before 3.2)' : '';
  const data = { ...base, branch: branchNote };
  if (source.kind === 'other') {
    if (source.what === 'context') ctx.report({ messageId: 'contextObject', node: call, data });
    return;
  }
  if (source.kind === 'unknown') {
    ctx.report({ messageId: 'unseen', node: call, data: { ...data, reason: `the dict ${source.reason}` } });
    return;
  }
  const setUi = UI_KEYS.filter((k) => source.keys.includes(k));
  if (source.fromCopy && setUi.includes('area') && !setUi.includes('region')) {
    ctx.report({ messageId: 'regionMismatch', node: call, data: { ...data, owner: source.owner, keys: setUi.join('`, `') } });
    return;
  }
  const header = `${source.owner}.temp_override(${source.overrideArgs})`;
  const statement = wrappableStatement(call);
  const edits = statement && rewriteEdits(ctx, statement, args, arg, header, branch);
  if (!edits) {
    ctx.report({ messageId: 'expression', node: call, data: { ...data, owner: source.owner, args: source.overrideArgs } });
    return;
  }
  ctx.report({ messageId: 'rewrite', node: call, data: { ...data, fix: fixNote(source, setUi, branch) }, fix: makeFix(ctx, edits, source, setUi, branch) });
}

function fixNote(source: DictSource & { kind: 'known' }, setUi: string[], branch: boolean): string {
  const where = branch ? ' (for Blender 3.2 and later; the old call stays for older versions)' : '';
  const unsafe = setUi.length > 0
    ? `. Unsafe: the dict sets \`${setUi.join('`, `')}\`, and \`temp_override\` raises TypeError where \`window\`, \`screen\`, \`area\` and \`region\` do not belong together (a dict was never checked)`
    : '';
  return `the call goes under \`with ${source.owner}.temp_override(…):\` without the dict${where}${unsafe}`;
}

function makeFix(ctx: Ctx, edits: ReturnType<typeof rewriteEdits> & object, source: DictSource & { kind: 'known' }, setUi: string[], branch: boolean): Fix {
  const needsBpy = branch || source.owner === 'bpy.context';
  return {
    safety: setUi.length > 0 ? 'unsafe' : 'safe',
    description: `call under \`with ${source.owner}.temp_override(…):\`${branch ? ' where bpy.app.version >= (3, 2, 0)' : ''}`,
    edits: needsBpy ? editsWithImport(ctx, 'bpy', edits) : edits,
  };
}
