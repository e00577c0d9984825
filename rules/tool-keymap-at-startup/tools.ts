// The `register_tool` / `unregister_tool` calls BGS021 looks at: the tool class they name, resolved through
// the add-on model (also where the class is defined in another file of the package, or inherits
// `bl_keymap` from a base class of the add-on), and whether that class sets a key map that
// register_tool() builds in the add-on key config.
import type { AddonModel, ClassDef } from '../../src/model/index.js';
import { dottedPath, functionAt } from '../../src/model/module.js';
import type { RuleContext, SyntaxNode } from '../../src/types.js';

export interface ToolCall {
  call: SyntaxNode;
  /** The statement that is the call alone, or null (its result is used, or it is part of a larger expression). */
  statement: SyntaxNode | null;
  unregister: boolean;
  /** The tool class as written in the call (`StampTool`, `stamp.StampTool`). */
  tool: string;
  /** Where the class is defined, relative to the add-on's folder, when that is another file. */
  definedIn: string | null;
}

/** Base classes followed when looking for an inherited `bl_keymap`. */
const MAX_BASES = 4;

/** The call as a ToolCall when its tool sets a key map, else null. */
export function keymapToolCall(ctx: RuleContext, call: SyntaxNode, fn: SyntaxNode, tool: SyntaxNode): ToolCall | null {
  const parts = dottedPath(tool);
  if (!parts) return null;
  const addon = ctx.model.addon;
  const target = addon.resolve(ctx.model.module, parts, functionAt(ctx.model.index, call));
  if (target?.kind !== 'class' || !setsKeymap(addon, target.module, target.cls, 0)) return null;
  const statement = call.parent?.type === 'expression_statement' && call.parent.namedChildCount === 1 ? call.parent : null;
  return {
    call,
    statement,
    unregister: /(^|\.)unregister_tool$/.test(fn.text.replace(/\s+/g, '')),
    tool: tool.text,
    definedIn: target.module === ctx.model.module ? null : ctx.model.relativePath(target.module),
  };
}

/**
 * True when the class (or a base class of the add-on) sets `bl_keymap` to something register_tool() turns
 * into a key map of the add-on key config: a tuple of items or a function (a variable holding one counts
 * too). `bl_keymap = None` and a string (the name of an existing key map) never touch the key config.
 */
function setsKeymap(addon: AddonModel, module: string, cls: ClassDef, depth: number): boolean {
  const value = cls.attributes.get('bl_keymap');
  if (value) return value.type !== 'none' && value.type !== 'string' && value.type !== 'concatenated_string';
  if (depth >= MAX_BASES) return false;
  return cls.bases.some((base) => {
    const t = addon.resolve(module, base.split('.'), null);
    return t?.kind === 'class' && t.cls !== cls && setsKeymap(addon, t.module, t.cls, depth + 1);
  });
}
