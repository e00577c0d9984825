// BGS017's reading of the tree: the EEVEE identifier strings of a file, and how each is used: assigned to
// a render engine (`scene.render.engine = '…'`, `setattr(render, 'engine', '…')`), compared with one
// (`context.engine == '…'`, `!=`), or listed in a literal tested for membership (`engine in ('…', …)`).
// Any other string (an add-on's own enum items, `bl_info`, `COMPAT_ENGINES = {…}`) is not a use.
import type { SyntaxNode, Tree } from '../../src/types.js';
import { enclosingFunction, isGuarded } from '../../src/syntax/scope.js';
import { assignmentTargets, compactText, stringValue } from '../../src/syntax/names.js';
import { EEVEE, EEVEE_NEXT, otherName, type EngineName } from './eras.js';

export type Usage =
  /** `<render>.engine = '…'` or `setattr(<render>, 'engine', '…')`. */
  | { kind: 'assign'; string: SyntaxNode; name: EngineName; target: string }
  /** `<engine> == '…'` / `!=`, either way round. */
  | { kind: 'compare'; string: SyntaxNode; name: EngineName; comparison: SyntaxNode; engine: SyntaxNode; negated: boolean }
  /** `<engine> in (…, '…', …)` / `not in`, with a tuple, list or set literal. */
  | { kind: 'member'; string: SyntaxNode; name: EngineName; comparison: SyntaxNode };

const NAME = /\bBLENDER_EEVEE(?:_NEXT)?\b/g;
const CONTAINERS = new Set(['tuple', 'list', 'set']);
/** A condition that picks by version or asks Blender which engines exist: the author already handles it. */
const VERSION_CHECK = /\bversion\b|enum_items|bl_rna|hasattr/;

/** The plain string literals of the file that are one of the two identifiers, in source order. */
export function engineStrings(tree: Tree, source: string): Array<{ node: SyntaxNode; name: EngineName }> {
  const out: Array<{ node: SyntaxNode; name: EngineName }> = [];
  for (const m of source.matchAll(NAME)) {
    const leaf = tree.rootNode.descendantForIndex(m.index, m.index + m[0].length);
    const node = leaf?.type === 'string_content' ? leaf.parent : null;
    const value = stringValue(node);
    if (node && (value === EEVEE || value === EEVEE_NEXT)) out.push({ node, name: value });
  }
  return out;
}

/** How the string is used, or null where it is no engine use or the code already handles both names. */
export function usageOf(string: SyntaxNode, name: EngineName): Usage | null {
  const usage = classify(string, name);
  return usage && !handled(usage) ? usage : null;
}

function classify(string: SyntaxNode, name: EngineName): Usage | null {
  const parent = string.parent!;
  if (parent.type === 'assignment' && parent.childForFieldName('right')?.id === string.id) {
    const { targets } = assignmentTargets(parent);
    const left = targets[targets.length - 1];
    return isRenderEngine(left) ? { kind: 'assign', string, name, target: compactText(left) } : null;
  }
  if (parent.type === 'argument_list') return setattrUse(string, name, parent);
  if (parent.type === 'comparison_operator') return comparisonUse(string, name, parent);
  if (CONTAINERS.has(parent.type)) {
    const comparison = parent.parent;
    if (comparison?.type !== 'comparison_operator' || comparison.namedChildCount !== 2) return null;
    const [left, right] = comparison.namedChildren;
    const op = comparison.childrenForFieldName('operators')[0]?.type;
    if (right.id !== parent.id || (op !== 'in' && op !== 'not in') || !isEngineRead(left)) return null;
    return { kind: 'member', string, name, comparison };
  }
  return null;
}

/** `setattr(<render>, 'engine', '…')`: the string is the third argument. */
function setattrUse(string: SyntaxNode, name: EngineName, args: SyntaxNode): Usage | null {
  const call = args.parent;
  if (call?.type !== 'call' || call.childForFieldName('function')?.text !== 'setattr') return null;
  const parts = args.namedChildren.filter((c) => c.type !== 'comment');
  if (parts.length !== 3 || parts[2].id !== string.id || stringValue(parts[1]) !== 'engine' || !isRenderish(parts[0])) return null;
  return { kind: 'assign', string, name, target: `${compactText(parts[0])}.engine` };
}

function comparisonUse(string: SyntaxNode, name: EngineName, comparison: SyntaxNode): Usage | null {
  if (comparison.namedChildCount !== 2) return null; // chained comparisons are left alone
  const op = comparison.childrenForFieldName('operators')[0]?.type;
  if (op !== '==' && op !== '!=') return null;
  const engine = comparison.namedChildren.find((c) => c.id !== string.id)!;
  if (!isEngineRead(engine)) return null;
  return { kind: 'compare', string, name, comparison, engine, negated: op === '!=' };
}

/** The code around already names the other identifier or picks by version: a version branch, an if/elif
 *  chain or try/except that handles both, a literal listing both. */
function handled(usage: Usage): boolean {
  // The other name as a word: 'BLENDER_EEVEE' is not found inside 'BLENDER_EEVEE_NEXT'.
  const other = new RegExp(`\\b${otherName(usage.name)}\\b`);
  // `if 'BLENDER_EEVEE_NEXT' in available_engines():` asks Blender whether the name exists.
  const asked = new RegExp(`['"]${usage.name}['"]\\s+in\\b`);
  const mentions = (text: string): boolean => other.test(text) || VERSION_CHECK.test(text) || asked.test(text);
  if (isGuarded(usage.string, mentions, { tryExcept: false })) return true;
  if (usage.kind === 'member' && other.test(usage.string.parent!.text)) return true;
  const stop = enclosingFunction(usage.string)?.id;
  for (let n = usage.string.parent; n && n.id !== stop; n = n.parent) {
    if ((n.type === 'if_statement' || n.type === 'try_statement' || n.type === 'boolean_operator') && mentions(n.text)) return true;
  }
  return false;
}

/** `<render>.engine`, where the object is a render settings value. */
function isRenderEngine(node: SyntaxNode | undefined): boolean {
  return node?.type === 'attribute' && node.childForFieldName('attribute')?.text === 'engine' && isRenderish(node.childForFieldName('object')!);
}

/** A read of the render engine: `<render>.engine`, `context.engine` / `bpy.context.engine`, or a name that
 *  is only ever bound to one of those in its function (`engine = context.scene.render.engine`). */
function isEngineRead(node: SyntaxNode): boolean {
  if (node.type === 'identifier') return boundOnlyTo(node, isEngineAttribute);
  return isEngineAttribute(node);
}

function isEngineAttribute(node: SyntaxNode): boolean {
  if (node.type !== 'attribute' || node.childForFieldName('attribute')?.text !== 'engine') return false;
  const object = node.childForFieldName('object')!;
  return isRenderish(object) || object.text === 'context' || compactText(object) === 'bpy.context';
}

/** `<x>.render`, a name `render`, or a name only ever bound to `<x>.render` in its function (`rd = scene.render`). */
function isRenderish(node: SyntaxNode): boolean {
  const isRenderAttribute = (n: SyntaxNode): boolean => n.type === 'attribute' && n.childForFieldName('attribute')?.text === 'render';
  if (isRenderAttribute(node)) return true;
  return node.type === 'identifier' && (node.text === 'render' || boundOnlyTo(node, isRenderAttribute));
}

/** The name is assigned at least once in its function (or the module) and every assignment's value passes `test`. */
function boundOnlyTo(name: SyntaxNode, test: (value: SyntaxNode) => boolean): boolean {
  const fn = enclosingFunction(name);
  const scope = fn ?? rootOf(name);
  let bound = false;
  for (const a of scope.descendantsOfType('assignment')) {
    if ((enclosingFunction(a)?.id ?? -1) !== (fn?.id ?? -1)) continue;
    const left = a.childForFieldName('left');
    if (left?.type !== 'identifier' || left.text !== name.text) continue;
    const value = a.childForFieldName('right');
    if (!value || !test(value)) return false;
    bound = true;
  }
  return bound;
}

function rootOf(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.parent) n = n.parent;
  return n;
}
