// BGS022 helper: work that really cannot run headless, which a background guard rightly protects: GPU
// drawing (`gpu.`, `bgl`, draw handlers) and UI (dialogs, popups, screen operators, areas and regions).
// Looked for in what the guarded function does after the guard, in the same-file functions it calls
// (one level) and in the same-file callbacks it schedules or starts (`bpy.app.timers.register(cb)`,
// `Thread(target=cb)`).
import type { SyntaxNode } from '../../src/types.js';
import { methodClass, methodsOf } from '../../src/syntax/functions.js';

const HEADLESS_IMPOSSIBLE: Array<[RegExp, string]> = [
  [/\bgpu\.(?!init\b)\w|\bgpu_extras\b|\bbgl\.|\bimport bgl\b/, 'GPU drawing'],
  [/\bdraw_handler_add\b/, 'a draw handler'],
  [/\binvoke_(?:props_dialog|props_popup|popup|confirm|search_popup)\b|\bfileselect_add\b|\bpopup_menu\b|\bpopover\b|\bwindow_manager\.popup_\w+/, 'a dialog or popup'],
  [/\bbpy\.ops\.screen\.|\bops\.screen\./, 'a screen operator'],
  [/\.(?:area|region|space_data|region_data)\b(?!_)|\bscreen\.areas\b|\.tag_redraw\s*\(/, 'work on areas and regions'],
  [/\bmodal_handler_add\b|\bevent_timer_add\b/, 'a modal handler'],
];

/** What a piece of code does that cannot run headless (words for the docs' tests), or null. */
export function headlessImpossible(text: string): string | null {
  for (const [re, what] of HEADLESS_IMPOSSIBLE) if (re.test(text)) return what;
  return null;
}

/** The same-file functions `nodes` call or pass as callbacks by name (`helper`, `self.method`,
 *  `Class.method`), one level. */
function referencedFunctions(nodes: SyntaxNode[], fn: SyntaxNode, module: SyntaxNode): SyntaxNode[] {
  const topLevel = new Map<string, SyntaxNode>();
  const classes = new Map<string, SyntaxNode>();
  for (const stmt of module.namedChildren) {
    const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    const name = def?.childForFieldName('name')?.text;
    if (def?.type === 'function_definition' && name) topLevel.set(name, def);
    if (def?.type === 'class_definition' && name) classes.set(name, def);
  }
  const own = methodClass(fn);
  const out = new Map<number, SyntaxNode>();
  for (const node of nodes) {
    for (const ref of [...node.descendantsOfType('identifier'), ...node.descendantsOfType('attribute')]) {
      let def: SyntaxNode | null | undefined = null;
      if (ref.type === 'identifier' && ref.parent?.type !== 'attribute') def = topLevel.get(ref.text);
      else if (ref.type === 'attribute') {
        const object = ref.childForFieldName('object');
        const name = ref.childForFieldName('attribute')?.text ?? '';
        const cls = object?.text === 'self' || object?.text === 'cls' ? own : object ? classes.get(object.text) : null;
        def = cls ? methodsOf(cls.childForFieldName('body')).get(name) : null;
      }
      if (def && def.id !== fn.id) out.set(def.id, def);
    }
  }
  return [...out.values()];
}

/** What the statements after the guard (`after`: the function's later statements and the guard's else
 *  branch) do that cannot run headless, also through the same-file functions they call or schedule. */
export function protectsHeadlessImpossible(after: SyntaxNode[], fn: SyntaxNode, module: SyntaxNode): string | null {
  for (const n of after) {
    const what = headlessImpossible(n.text);
    if (what) return what;
  }
  for (const def of referencedFunctions(after, fn, module)) {
    const what = headlessImpossible(def.text);
    if (what) return what;
  }
  return null;
}
