// BGS018 legacy-io-operators: `bpy.ops.export_scene.obj` / `import_scene.obj` / `export_mesh.ply` /
// `import_mesh.ply` / `export_mesh.stl` / `import_mesh.stl` were the Python add-ons io_scene_obj, io_mesh_ply
// and io_mesh_stl; Blender replaced them with C++ operators (`wm.obj_export`, ...) with other keyword
// names, and newer versions no longer have them: measured, the call works in 3.4.1 and raises
// `AttributeError: Calling operator "bpy.ops.export_scene.obj" error, could not be found` in 4.3.2 and 5.2.2
// (GUI and background alike). The call is rewritten for the add-on's Blender range, with a
// `bpy.app.version` branch that keeps the legacy call where the range also has versions that need it.
import type { Edit, RuleContext, SyntaxNode } from '../../src/types.js';
import { defineRule } from '../../src/rule.js';
import { hasSplat, positionalArgs } from '../../src/syntax/call-arguments.js';
import { editedSlice, wrapStatements } from '../../src/syntax/edits.js';
import { startsLine } from '../../src/syntax/source.js';
import { editsWithImport, stringValue } from '../../src/syntax/names.js';
import { operatorCalls, type OperatorCall } from '../../src/syntax/operator-calls.js';
import { isGuarded } from '../../src/syntax/scope.js';
import { allBefore, allFrom, formatVersion } from '../../src/versions.js';
import { AXIS_VALUES, REPLACEMENTS, renamesInWords, type Replacement } from './table.js';

const GROUPS = new Set(['export_scene', 'import_scene', 'export_mesh', 'import_mesh']);

type MessageId = 'rewrite' | 'rewriteBranch' | 'noEquivalent' | 'valueNotLiteral' | 'unknownArguments' | 'branchByHand';

export const legacyIoOperators = defineRule({
  code: 'BGS018',
  slug: 'legacy-io-operators',
  summary: 'The legacy OBJ/PLY/STL operators (`bpy.ops.export_scene.obj`, `import_mesh.stl`, ...) are gone in Blender 4.x: call `wm.obj_export` and the like',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      'Calls of `bpy.ops.export_scene.obj`, `bpy.ops.import_scene.obj`, `bpy.ops.export_mesh.ply`, `bpy.ops.import_mesh.ply`, ' +
      '`bpy.ops.export_mesh.stl` and `bpy.ops.import_mesh.stl` (also `ops.…` after `from bpy import ops`), anywhere in ' +
      'the add-on, where its Blender range (`bl_info["blender"]`, `blender_manifest.toml`, `--target-blender`) has ' +
      'versions without them: from 4.0 for OBJ and PLY, from 4.2 for STL. Left alone: an add-on whose every ' +
      'supported version still has the legacy operator, calls behind a check of `bpy.app.version` (or in a `try` ' +
      'with an `except`), and other operators of these groups (`export_scene.fbx`, `export_scene.gltf`, ...). ' +
      `The keyword renames: ${renamesInWords()}; axis values \`'-X'\`/\`'-Y'\`/\`'-Z'\` become \`'NEGATIVE_X'\`/... and ` +
      "PLY's `use_colors=True`/`False` becomes `export_colors='SRGB'`/`'NONE'`.",
    whyItBreaks:
      'Measured with `blender -b --factory-startup`: in Blender 3.4.1 the six legacy operators work (their add-ons ' +
      'are enabled by default); in 4.3.2 and 5.2.2 every one raises `AttributeError: Calling operator ' +
      '"bpy.ops.export_scene.obj" error, could not be found` (with its own name), in the GUI as headless, so an operator ' +
      'or a batch script that exports or imports through them fails. Their replacements `wm.obj_export`, ' +
      '`wm.obj_import`, `wm.ply_export`, `wm.ply_import`, `wm.stl_export` and `wm.stl_import` exist in 4.3.2 and ' +
      '5.2.2; 3.4.1 has `wm.obj_export`, `wm.obj_import` and `wm.stl_import` but not `wm.ply_*` nor `wm.stl_export` ' +
      '(`Calling operator "bpy.ops.wm.ply_export" error, could not be found`). Many keywords are renamed ' +
      "(`use_selection` → `export_selected_objects`, `use_mesh_modifiers` → `apply_modifiers`, `axis_forward='-Z'` → " +
      "`forward_axis='NEGATIVE_Z'`, `use_ascii`/`ascii` → `ascii_format`, ...): the old names raise `TypeError: " +
      'Converting py args to operator properties:: keyword "use_selection" unrecognized` (4.3.2). The table of renames ' +
      'comes from introspecting the operators in each version, and each rename was checked by running both ' +
      'operators on the same scene (3.4.1 for OBJ, 3.4.1 against 4.3.2 for PLY and STL): the same vertices, faces, ' +
      'normals, UVs, materials and coordinates. The versions where the legacy operators went away (4.0 for OBJ and ' +
      'PLY, 4.2 for STL, where the STL add-on moved to the extensions platform) are not measured here (only 3.4.1, ' +
      '4.3.2 and 5.2.2 are): the branch uses them so that every version that had the legacy operator keeps it.',
    example: {
      before: [
        'def export_selection(filepath):',
        '    bpy.ops.export_scene.obj(filepath=filepath, use_selection=True, axis_forward="-Z", axis_up="Y")',
        '',
      ].join('\n'),
      after: [
        'def export_selection(filepath):',
        '    if bpy.app.version >= (4, 0, 0):',
        '        bpy.ops.wm.obj_export(filepath=filepath, export_selected_objects=True, forward_axis="NEGATIVE_Z", up_axis="Y")',
        '    else:',
        '        bpy.ops.export_scene.obj(filepath=filepath, use_selection=True, axis_forward="-Z", axis_up="Y")',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe: where the add-on\'s range has only versions without the legacy operator, the call is rewritten in ' +
      'place; where it also has older versions, the legacy call stays, unchanged, in the `else:` of a ' +
      '`bpy.app.version` branch, so those versions behave as before, and the versions where the call raised get ' +
      'the replacement. Where the defaults differ, the old default is written out (`wm.ply_export` writes normals ' +
      'only with `export_normals=True`). The new operators write files that differ in small ways (a PLY also ' +
      'holds custom attributes such as vertex groups, an OBJ writes one `usemtl` per material used). Report only, ' +
      'with what to do: keywords without an equivalent (`use_edges`, `split_mode`, `batch_mode`, ...), values that ' +
      'change but are not literals (`axis_forward=axis`), `**kwargs` or a context override passed in, and a call ' +
      'that needs a version branch but is not a statement of its own.',
  },
  messages: {
    rewrite:
      '`{call}` does not exist in Blender {gone} and later (`{error}`); the add-on supports {range}, so it becomes `{replacement}` with its keywords renamed',
    rewriteBranch:
      '`{call}` does not exist in Blender {gone} and later (`{error}`); the add-on supports {range}, so the call goes under ' +
      '`if bpy.app.version >= {tuple}:` as `{replacement}` (keywords renamed) and stays as it is in the `else:`',
    noEquivalent:
      '`{call}` does not exist in Blender {gone} and later (`{error}`), and `{replacement}` has no equivalent of `{keyword}`. ' +
      'Not fixed automatically. By hand: for `{keyword}`, {byHand}; then call `{replacement}` with the other keywords renamed ' +
      'as `bgsafe explain BGS018` lists',
    valueNotLiteral:
      '`{call}` does not exist in Blender {gone} and later (`{error}`); `{replacement}` takes `{keyword}` as `{newKeyword}` ' +
      'with other values ({values}), and this value is not a literal. Not fixed automatically. By hand: map the value ' +
      'and call `{replacement}`',
    unknownArguments:
      '`{call}` does not exist in Blender {gone} and later (`{error}`); its arguments ({why}) cannot be renamed for ' +
      '`{replacement}` automatically. By hand: call `{replacement}` with the keywords renamed as `bgsafe explain BGS018` lists',
    branchByHand:
      '`{call}` does not exist in Blender {gone} and later (`{error}`), and the add-on also supports older versions. Not fixed ' +
      'automatically because the call is not a statement of its own. By hand: `if bpy.app.version >= {tuple}:` call ' +
      '`{replacement}` (keywords renamed: `{rewritten}`), `else:` keep this call',
  },
  prefilter: ['export_scene', 'import_scene', 'export_mesh', 'import_mesh'],
  errorPatterns: [/Calling operator "bpy\.ops\.(export_scene|import_scene)\.obj" error, could not be found/, /Calling operator "bpy\.ops\.(export_mesh|import_mesh)\.(ply|stl)" error, could not be found/],

  check(ctx) {
    for (const op of operatorCalls(ctx, GROUPS)) {
      const replacement = REPLACEMENTS[`${op.group}.${op.name}`];
      if (!replacement || allBefore(ctx.target, replacement.since)) continue;
      if (isGuarded(op.call, (text) => /\bversion\b/.test(text))) continue;
      reportCall(ctx, op, replacement);
    }
  },
});

/** The edits that turn the call into the replacement's, or why they cannot be made. */
type Rewrite = { edits: Edit[] } | { messageId: 'noEquivalent' | 'valueNotLiteral' | 'unknownArguments'; data: Record<string, string> };

function reportCall(ctx: RuleContext<MessageId>, op: OperatorCall, replacement: Replacement): void {
  const prefix = op.callee.slice(0, op.callee.length - `${op.group}.${op.name}`.length);
  const tuple = `(${replacement.since[0]}, ${replacement.since[1]}, 0)`;
  const data = {
    call: op.callee,
    replacement: `${prefix}${replacement.op}`,
    gone: formatVersion(replacement.since),
    error: `AttributeError: Calling operator "bpy.ops.${op.group}.${op.name}" error, could not be found`,
    range: formatRangeText(ctx),
    tuple,
  };
  const rewrite = rewriteCall(op, replacement);
  if (!('edits' in rewrite)) {
    ctx.report({ messageId: rewrite.messageId, node: op.call, data: { ...data, ...rewrite.data } });
    return;
  }
  if (allFrom(ctx.target, replacement.since)) {
    const fix = { safety: 'safe' as const, description: `call \`${data.replacement}\``, edits: rewrite.edits };
    ctx.report({ messageId: 'rewrite', node: op.call, data, fix });
    return;
  }
  const branch = branchEdits(ctx, op.call, rewrite.edits, `bpy.app.version >= ${tuple}`);
  if (!branch) {
    const rewritten = editedSlice(ctx.source, op.call.startIndex, op.call.endIndex, rewrite.edits).replace(/\s*\n\s*/g, ' ');
    ctx.report({ messageId: 'branchByHand', node: op.call, data: { ...data, rewritten } });
    return;
  }
  const fix = {
    safety: 'safe' as const,
    description: `call \`${data.replacement}\` from Blender ${data.gone} on, keep \`${op.callee}\` before`,
    edits: editsWithImport(ctx, 'bpy', branch),
  };
  ctx.report({ messageId: 'rewriteBranch', node: op.call, data, fix });
}

function formatRangeText(ctx: RuleContext): string {
  const { min, maxExclusive } = ctx.target;
  return maxExclusive ? `Blender ${formatVersion(min)} to before ${formatVersion(maxExclusive)}` : `Blender ${formatVersion(min)} and later`;
}

/** The edits of the callee, the keyword names and the values that change, or why there are none. */
function rewriteCall(op: OperatorCall, replacement: Replacement): Rewrite {
  const positional = positionalArgs(op.args);
  // Only an execution context ('EXEC_DEFAULT') may come first; a context override dict fails in 4.0+ anyway.
  if (hasSplat(op.args) || positional.length > 1 || (positional[0] && stringValue(positional[0]) === null)) {
    return { messageId: 'unknownArguments', data: { why: hasSplat(op.args) ? '`*args` or `**kwargs`' : 'a context override' } };
  }
  const callee = op.call.childForFieldName('function')!;
  const group = callee.childForFieldName('object')!.childForFieldName('attribute')!;
  const edits: Edit[] = [{ start: group.startIndex, end: callee.endIndex, text: replacement.op }];
  const given = new Set<string>();
  let lastArg: SyntaxNode | null = null;
  for (const arg of op.args.namedChildren) {
    if (arg.type === 'comment') continue;
    lastArg = arg;
    if (arg.type !== 'keyword_argument') continue;
    const name = arg.childForFieldName('name')!;
    const value = arg.childForFieldName('value')!;
    given.add(name.text);
    const keyword = replacement.keywords[name.text];
    if (!keyword) return { messageId: 'unknownArguments', data: { why: `\`${name.text}\`, which the legacy operator does not have` } };
    if ('byHand' in keyword) return { messageId: 'noEquivalent', data: { keyword: name.text, byHand: keyword.byHand } };
    if (keyword.to !== name.text) edits.push({ start: name.startIndex, end: name.endIndex, text: keyword.to });
    if (!keyword.values) continue;
    const changed = changedValue(value, keyword.values);
    if (changed === null) {
      const values = keyword.values === 'axis' ? "'-Z' → 'NEGATIVE_Z', ..." : "True → 'SRGB', False → 'NONE'";
      return { messageId: 'valueNotLiteral', data: { keyword: name.text, newKeyword: keyword.to, values } };
    }
    if (changed) edits.push(changed);
  }
  for (const [legacy, written] of Object.entries(replacement.defaults ?? {})) {
    if (given.has(legacy)) continue;
    edits.push(lastArg
      ? { start: lastArg.endIndex, end: lastArg.endIndex, text: `, ${written}` }
      : { start: op.args.startIndex + 1, end: op.args.startIndex + 1, text: written });
  }
  return { edits };
}

/** The edit of a literal value that changes (none where it stays the same), or null: not a literal. */
function changedValue(value: SyntaxNode, change: 'axis' | 'colors'): Edit | null | false {
  if (change === 'colors') {
    if (value.type !== 'true' && value.type !== 'false') return null;
    return { start: value.startIndex, end: value.endIndex, text: value.type === 'true' ? "'SRGB'" : "'NONE'" };
  }
  const text = stringValue(value);
  const mapped = text === null ? undefined : AXIS_VALUES[text];
  if (mapped === undefined) return null;
  if (mapped === text) return false;
  // Inside the quotes, so the file's quote style and any prefix stay.
  const open = value.text.search(/['"]/);
  return { start: value.startIndex + open + 1, end: value.endIndex - 1, text: mapped };
}

/**
 * `if <condition>:` with the rewritten statement, `else:` with the statement as it was, for a call that is a
 * statement of its own (`f(...)`, `x = f(...)`): wrapStatements' edits, with the header carrying the new branch.
 * Null where the call is part of a larger statement or shares its line.
 */
function branchEdits(ctx: RuleContext, call: SyntaxNode, callEdits: Edit[], condition: string): Edit[] | null {
  let statement = call.parent;
  if (statement?.type === 'assignment' && statement.childForFieldName('right')?.id === call.id) statement = statement.parent;
  if (statement?.type !== 'expression_statement' || statement.namedChildCount !== 1) return null;
  if (!startsLine(ctx.source, statement.startIndex)) return null;
  const wrap = wrapStatements(ctx, statement, statement, condition);
  if (!wrap) return null;
  const [header, ...indents] = wrap;
  const headerLine = `if ${condition}:`;
  const lead = header.text.slice(headerLine.length); // newline, the statement's indent and one unit
  const rewritten = editedSlice(ctx.source, statement.startIndex, statement.endIndex, [...indents, ...callEdits]);
  const indent = lead.slice(ctx.newline.length, lead.length - (lead.endsWith('\t') ? 1 : ctx.indentUnit.length));
  return [{ ...header, text: `${headerLine}${lead}${rewritten}${ctx.newline}${indent}else:${lead}` }, ...indents];
}
