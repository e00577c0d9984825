// BGS021: `bpy.utils.register_tool(Tool)` of a WorkSpaceTool with `bl_keymap`, while the add-on loads.
// register_tool() builds the tool's key map in the add-on key config, which is None when Blender 3.4 starts
// in background mode with the add-on enabled in the saved preferences: the call raises
// `AttributeError: 'NoneType' object has no attribute 'keymaps'` and register() stops half-way. The fix
// registers the tool only where that key config exists, and makes the matching `unregister_tool(Tool)`
// survive a tool that was never registered (it raises AttributeError: `... has no attribute '_bl_tool'`).
// In Blender 4.3.2 and 5.2.2 the key configs exist at start-up: nothing to report for add-ons that need 4.3+.
import { defineRule } from '../../src/rule.js';
import { isGuarded, mentionsBackground, enclosingFunction } from '../../src/syntax/scope.js';
import type { RuleContext, SyntaxNode } from '../../src/types.js';
import { allFrom, type Version } from '../../src/versions.js';
import { KEYCONFIG, NOT_REGISTERED, registerFixes, unregisterFix } from './fix.js';
import { keymapToolCall, type ToolCall } from './tools.js';

/** `bpy.utils.register_tool(Tool, …)`, `register_tool(Tool)`, `bpy.utils.unregister_tool(tools.Tool)`. */
const TOOL_CALL_QUERY = `(
  (call
    function: (_) @function
    arguments: (argument_list . [(identifier) (attribute)] @tool)) @call
  (#match? @function "(^|[.])(un)?register_tool$"))`;

/** The first version measured where the add-on key config exists at start-up in background mode (4.3.2;
 *  3.4.1 fails; 3.5 to 4.2 were not measured, so they count as failing). */
const WORKS_FROM: Version = [4, 3];

const ERROR_TEXT = "AttributeError: 'NoneType' object has no attribute 'keymaps'";
const UNREGISTER_ERROR = "AttributeError: type object 'StampTool' has no attribute '_bl_tool'";

type MessageId = 'registerTool' | 'registerToolManual' | 'unregisterTool' | 'unregisterToolManual';

export const toolKeymapAtStartup = defineRule({
  code: 'BGS021',
  slug: 'tool-keymap-at-startup',
  summary: '`bpy.utils.register_tool()` of a tool with `bl_keymap` while the add-on loads fails at start-up in background mode (Blender 3.4)',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      '`bpy.utils.register_tool(Tool, ...)` where `Tool` (a WorkSpaceTool, defined in the same file or in ' +
      'another file of the add-on, or inheriting from a class of the add-on) sets `bl_keymap` to a tuple of ' +
      'key-map items or a function, called while the add-on loads (at import, in register() and what it ' +
      'reaches across the add-on\'s files); and the matching `bpy.utils.unregister_tool(Tool)` in unregister(). ' +
      'Left alone: calls under a check of the key config (`if kc:`, `if wm.keyconfigs.addon:`) or of ' +
      '`bpy.app.background`, unregister_tool() inside a try/except or under a background check, tools with ' +
      '`bl_keymap = None` or a key-map name (a string), and every call when the add-on supports only ' +
      'Blender 4.3 and later (`bl_info["blender"]`, `blender_manifest.toml`, `--target-blender`). Not found: ' +
      'tools registered from a list in a loop (`for tool in tools: register_tool(tool)`).',
    whyItBreaks:
      'register_tool() turns `bl_keymap` into a key map of `bpy.context.window_manager.keyconfigs.addon`. ' +
      'When Blender 3.4.1 starts in background mode (`blender --background`, a render node, a CI job) with ' +
      'the add-on enabled in the saved preferences, that key config is None: the call raises ' +
      `\`${ERROR_TEXT}\` (in bl_ui/space_toolsystem_common.py, _km_action_simple) and register() stops ` +
      'half-way, so Blender reports the add-on as failed. A tool without `bl_keymap` registers fine there, and ' +
      'the same add-on enabled later (`addon_utils.enable` from a script, `--addons`) gets the key config. ' +
      'Measured in Blender 3.4.1 (fails), 4.3.2 and 5.2.2 (the key configs exist at start-up, the call works). ' +
      'A registration that is skipped must be matched in unregister(): unregister_tool() of a tool that was ' +
      `never registered raises \`${UNREGISTER_ERROR}\` in 3.4.1, 4.3.2 and 5.2.2, and the key config is ` +
      'there again when the add-on is disabled later, so the same `if` around unregister_tool() does not help; ' +
      'after a failed register_tool() it raises `Exception: Unable to remove <class ...>` (3.4.1).',
    example: {
      before: [
        'def register():',
        '    bpy.utils.register_class(SCULPT_OT_stamp)',
        '    bpy.utils.register_tool(StampTool, separator=True)',
        '',
        '',
        'def unregister():',
        '    bpy.utils.unregister_tool(StampTool)',
        '    bpy.utils.unregister_class(SCULPT_OT_stamp)',
        '',
      ].join('\n'),
      after: [
        'def register():',
        '    bpy.utils.register_class(SCULPT_OT_stamp)',
        `    if ${KEYCONFIG}:`,
        '        bpy.utils.register_tool(StampTool, separator=True)',
        '',
        '',
        'def unregister():',
        '    try:',
        '        bpy.utils.unregister_tool(StampTool)',
        `    except ${NOT_REGISTERED}:  # not registered: there was no add-on key config at start-up`,
        '        pass',
        '    bpy.utils.unregister_class(SCULPT_OT_stamp)',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Safe: in the GUI the add-on key config always exists, so the tool is registered exactly as before, and ' +
      'unregister_tool() of a registered tool does not raise, so the `except` never runs. Headless at ' +
      'start-up the tool is not registered (a tool is of no use without a window) and the rest of register() ' +
      'runs. The `if` tests the key config itself, so it is right in every version and needs no ' +
      '`bpy.app.version` branch; add-ons that support only 4.3 and later get no finding. Neighbouring ' +
      'register_tool() calls share one `if`; a call whose result is used or that shares its line with other ' +
      'code is reported with what to do by hand.',
  },
  messages: {
    registerTool:
      '`{call}` registers `{tool}`{definedIn}, which has `bl_keymap`, {where}: at start-up in background mode ' +
      `(Blender 3.4.1) the add-on key config is None and the call raises \`${ERROR_TEXT}\`, so register() ` +
      `stops half-way; the call goes under \`if ${KEYCONFIG}:\``,
    registerToolManual:
      '`{call}` registers `{tool}`{definedIn}, which has `bl_keymap`, {where}: at start-up in background mode ' +
      `(Blender 3.4.1) the add-on key config is None and the call raises \`${ERROR_TEXT}\`. No automatic fix ` +
      `because {reason}. By hand: make the call only \`if ${KEYCONFIG}:\`, and put the matching ` +
      `\`unregister_tool({tool})\` in \`try:\` … \`except ${NOT_REGISTERED}: pass\``,
    unregisterTool:
      '`{call}` {where}: when register() skipped `{tool}` (no add-on key config at start-up in background ' +
      'mode, Blender 3.4.1), unregister_tool() raises `AttributeError: ... has no attribute \'_bl_tool\'` and ' +
      `unregister() stops half-way; the call goes in \`try:\` … \`except ${NOT_REGISTERED}: pass\``,
    unregisterToolManual:
      '`{call}` {where}: when register() skipped `{tool}` (no add-on key config at start-up in background ' +
      'mode, Blender 3.4.1), unregister_tool() raises `AttributeError: ... has no attribute \'_bl_tool\'`. ' +
      `No automatic fix because {reason}. By hand: catch \`${NOT_REGISTERED}\` around the call`,
  },
  prefilter: ['register_tool'],
  errorPatterns: [
    /AttributeError: 'NoneType' object has no attribute 'keymaps'/,
    /AttributeError: type object '\w+' has no attribute '_bl_tool'/,
    /Exception: Unable to remove <class /,
  ],
  errorFrames: [/\b(un)?register_tool\(/],

  check(ctx) {
    if (allFrom(ctx.target, WORKS_FROM) || (ctx.model.moduleCount === 1 && !ctx.source.includes('bl_keymap'))) return;
    const registers: ToolCall[] = [];
    for (const { call, function: fn, tool } of ctx.matches(TOOL_CALL_QUERY)) {
      const hit = keymapToolCall(ctx, call, fn, tool);
      if (!hit || !runsAt(ctx, call, hit.unregister)) continue;
      if (hit.unregister) reportUnregister(ctx, hit);
      else if (!isGuarded(call, keyconfigGuard(call))) registers.push(hit);
    }
    const fixes = registerFixes(ctx, registers.flatMap((h) => (h.statement ? [h.statement] : [])));
    for (const hit of registers) {
      const data = dataOf(ctx, hit);
      const fix = hit.statement ? fixes.get(hit.statement.id) : undefined;
      if (fix) ctx.report({ messageId: 'registerTool', node: hit.call, data, fix });
      else ctx.report({ messageId: 'registerToolManual', node: hit.call, data: { ...data, reason: reasonOf(hit) } });
    }
  },
});

/** register_tool while the add-on loads (import, register()); unregister_tool in unregister(). */
function runsAt(ctx: RuleContext, call: SyntaxNode, unregister: boolean): boolean {
  return ctx.model.loadTimes(call).some((lt) => (unregister ? lt.kind === 'unregister' : lt.kind !== 'unregister'));
}

/** unregister_tool outside a try/except and a background check: with a try around it, or by hand. */
function reportUnregister(ctx: RuleContext<MessageId>, hit: ToolCall): void {
  if (isGuarded(hit.call, mentionsBackground)) return;
  const data = dataOf(ctx, hit);
  const fix = hit.statement ? unregisterFix(ctx, hit.statement) : null;
  if (fix) ctx.report({ messageId: 'unregisterTool', node: hit.call, data, fix });
  else ctx.report({ messageId: 'unregisterToolManual', node: hit.call, data: { ...data, reason: reasonOf(hit) } });
}

/** A condition that protects register_tool: it tests the key configs (`if wm.keyconfigs.addon:`, `if kc:`
 *  with `kc` bound to one in the function) or headless mode. */
function keyconfigGuard(call: SyntaxNode): (text: string) => boolean {
  const names = new Set<string>();
  for (const a of enclosingFunction(call)?.descendantsOfType('assignment') ?? []) {
    const left = a.childForFieldName('left');
    if (left?.type === 'identifier' && /\bkeyconfigs\b/.test(a.childForFieldName('right')?.text ?? '')) names.add(left.text);
  }
  const named = names.size > 0 ? new RegExp(`\\b(${[...names].join('|')})\\b`) : null;
  return (text) => /\bkeyconfigs\b/.test(text) || mentionsBackground(text) || (named?.test(text) ?? false);
}

function dataOf(ctx: RuleContext, hit: ToolCall): Record<string, string> {
  const first = hit.call.text.split('\n')[0];
  const where = ctx.model.loadTimes(hit.call).find((lt) => (hit.unregister ? lt.kind === 'unregister' : lt.kind !== 'unregister'));
  return {
    call: first.length > 60 ? `${first.slice(0, 57)}...` : first,
    tool: hit.tool,
    definedIn: hit.definedIn ? ` (from ${hit.definedIn})` : '',
    where: where ? ctx.model.describe(where) : 'while the add-on loads',
  };
}

function reasonOf(hit: ToolCall): string {
  return hit.statement ? 'the call shares its line with other code' : 'its result is used or it is part of a larger expression';
}
