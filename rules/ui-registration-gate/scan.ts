// BGS009 helper: what the rule knows about one file while it checks it (its identifiers by name, its
// calls by name, the UI class facts of its expressions, its module-level class sequences), and the two
// questions asked of every registration: does it run while the add-on loads or unloads, and is it already
// behind a background check.
import type { CallSite, FunctionDef } from '../../src/model/index.js';
import { enclosingFunction, isField, isGuarded, mentionsBackground } from '../../src/syntax/scope.js';
import { compactText } from '../../src/syntax/names.js';
import type { RuleContext, SyntaxNode } from '../../src/types.js';
import { UiClasses, type ClassFacts } from './classes.js';
import { callRunsAtLoad, loadFunctions } from './load-time.js';
import { FileNames } from './occurrences.js';
import type { Sequence } from './sites.js';

/** `X`, `ui.X`: the class expression as written, whitespace removed (the key a class is reported by). */
export function className(node: SyntaxNode): string {
  return compactText(node);
}

export class Scan {
  readonly names: FileNames;
  /** Module-level sequences of classes by name (`classes = (…)`), once looked up. */
  readonly sequences = new Map<string, Sequence>();
  private readonly classes: UiClasses;
  private readonly isUi = new Map<string, boolean>();
  private callsByName?: Map<string, SyntaxNode[]>;
  private atLoad?: Set<FunctionDef>;

  constructor(readonly ctx: RuleContext) {
    this.names = new FileNames(ctx.source, ctx.tree);
    this.classes = new UiClasses(ctx.model);
  }

  /** Facts about the class an expression stands for; null when unknown. */
  facts(node: SyntaxNode): ClassFacts | null {
    return this.classes.facts(node);
  }

  /** True when the expression names a UI class (unknown ones are not). */
  ui(node: SyntaxNode): boolean {
    const key = className(node);
    let ui = this.isUi.get(key);
    if (ui === undefined) this.isUi.set(key, (ui = this.facts(node)?.ui === true));
    return ui;
  }

  /** True when the call runs while the add-on registers or unregisters (register(), unregister(), what
   *  they call, and functions named like `register_ui`), not in operators or draw code (load-time.ts). */
  runsAtLoad(call: CallSite): boolean {
    return callRunsAtLoad((this.atLoad ??= loadFunctions(this.ctx.model.index)), call);
  }

  /** The calls of the plain name `name` (`register_ui()`), from the model's index. */
  callsOf(name: string): SyntaxNode[] {
    if (!this.callsByName) {
      this.callsByName = new Map();
      for (const c of this.ctx.model.index.calls) {
        if (c.path?.length !== 1) continue;
        const list = this.callsByName.get(c.path[0]);
        if (list) list.push(c.node);
        else this.callsByName.set(c.path[0], [c.node]);
      }
    }
    return this.callsByName.get(name) ?? [];
  }

  /** How many times the file binds or mutates `name` (`name = …`, `for name in`, `name.append(…)`). */
  bindings(name: string): number {
    let n = 0;
    for (const id of this.names.named(name)) {
      const p = id.parent;
      if (!p) continue;
      const binds =
        ((p.type === 'assignment' || p.type === 'augmented_assignment' || p.type === 'for_statement') && isField(p, 'left', id)) ||
        p.type === 'pattern_list' || p.type === 'global_statement';
      const mutates = p.type === 'attribute' && isField(p, 'object', id) && /^(append|extend|insert|remove|pop|clear|sort|reverse)$/.test(p.childForFieldName('attribute')?.text ?? '');
      if (binds || mutates) n++;
    }
    return n;
  }
}

/** True when the code at `node` already runs only outside background mode, or the opposite: an `if` /
 *  `elif` / conditional expression testing `background`, an earlier `if bpy.app.background: return`, or a
 *  helper that is only ever called behind such a check. */
export function gated(scan: Scan, node: SyntaxNode, depth = 0): boolean {
  if (isGuarded(node, mentionsBackground, { tryExcept: false })) return true;
  const fn = enclosingFunction(node);
  // A helper (`register_ui()`) called only behind a check.
  if (!fn || fn.type !== 'function_definition' || depth > 3) return false;
  const name = fn.childForFieldName('name')?.text;
  if (!name || /^_*(un)?register$/.test(name)) return false;
  const calls = scan.callsOf(name);
  return calls.length > 0 && calls.every((c) => gated(scan, c, depth + 1));
}
