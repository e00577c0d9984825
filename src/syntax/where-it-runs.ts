// Where a call runs, in words for a message, or that it never runs headless: the question BGS005
// popup-in-background and BGS008 invoke-file-operator ask of each call they find.
import type { SyntaxNode } from '../types.js';
import { functionAround } from './functions.js';
import { enclosingClass } from './scope.js';

/** Functions named so never run headless: `bpy.ops.x.y('INVOKE_DEFAULT')` calls execute() there, never
 *  invoke() (measured, 3.4.1 and 4.3.2), so modal() never starts; panels, menus and headers are never drawn. */
const NEVER_HEADLESS = /^(invoke|modal|_*draw\w*)$/;

/**
 * Where the code at `node` runs, in words: ``in `execute()` ``, `at module level`, or with `classBodies`
 * ``in the body of class `X` `` (else a class body counts as module level). Null where it never runs
 * headless: in invoke(), modal() and draw code, in lambdas, in functions that take an `event` (only
 * invoke() and modal() get one) and in the functions named in `callbacks`; also when one of the
 * functions around it is such a function.
 */
export function whereItRuns(
  node: SyntaxNode,
  options: { callbacks?: ReadonlySet<string>; classBodies?: boolean } = {},
): string | null {
  const fn = functionAround(node);
  if (!fn) {
    const name = options.classBodies ? enclosingClass(node)?.childForFieldName('name')?.text : undefined;
    return name ? `in the body of class \`${name}\`` : 'at module level';
  }
  for (let f: SyntaxNode | null = fn; f; f = functionAround(f)) {
    if (f.type === 'lambda') return null;
    const name = f.childForFieldName('name')?.text ?? '';
    if (NEVER_HEADLESS.test(name) || options.callbacks?.has(name)) return null;
    if (f.childForFieldName('parameters')?.namedChildren.some((p) => p.type === 'identifier' && p.text === 'event')) return null;
  }
  return `in \`${fn.childForFieldName('name')?.text ?? '?'}()\``;
}
