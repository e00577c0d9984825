// BGS009 helper: the functions of a file that run while the add-on registers or unregisters, as the rule
// decides it within the file: `register()` and `unregister()`, functions called at module level, functions
// named like `register_ui` / `unregister_ui`, and every function those reach by plain-name calls (a
// function's own nested definitions first, then the module's). Read from the model's index (its functions
// and the calls each one makes) rather than by walking function bodies; the tree is asked only about the
// calls that name one of the file's functions.
import type { CallSite, FunctionDef, ModuleIndex } from '../../src/model/index.js';
import type { SyntaxNode } from '../../src/types.js';

const LOAD_NAME = /^_*(un)?register/i;

/** The functions that run while the add-on loads or unloads. */
export function loadFunctions(index: ModuleIndex): Set<FunctionDef> {
  const defs = new Definitions(index);
  const starts: FunctionDef[] = [];
  for (const [name, def] of defs.module) if (LOAD_NAME.test(name)) starts.push(def);
  starts.push(...defs.called(null));
  const reached = new Set<FunctionDef>();
  while (starts.length > 0) {
    const fn = starts.pop()!;
    if (reached.has(fn)) continue;
    reached.add(fn);
    for (const def of defs.called(fn)) if (!reached.has(def)) starts.push(def);
  }
  return reached;
}

/** True when `call` runs while the add-on loads or unloads: in one of `functions`, not in a lambda. */
export function callRunsAtLoad(functions: Set<FunctionDef>, call: CallSite): boolean {
  return !call.inLambda && !!call.fn && functions.has(call.fn);
}

/** The functions defined directly in the module's and in each function's body, by name (the last
 *  definition of a name wins), and the ones each function calls by name. */
class Definitions {
  /** Module-level functions (not under an `if`), by name. */
  readonly module: Map<string, FunctionDef>;
  private readonly nested = new Map<FunctionDef, FunctionDef[]>();
  private readonly direct = new Map<FunctionDef, Map<string, FunctionDef>>();

  constructor(private readonly index: ModuleIndex) {
    this.module = new Map();
    for (const def of index.byNode.values()) {
      if (def.cls) continue;
      if (def.parent) {
        const list = this.nested.get(def.parent);
        if (list) list.push(def);
        else this.nested.set(def.parent, [def]);
      } else if (statementOf(def.node).parent?.type === 'module') this.module.set(def.name, def);
    }
  }

  /** The functions `fn` (null: the module) calls by plain name in its own body, not in nested functions,
   *  classes or lambdas. */
  called(fn: FunctionDef | null): FunctionDef[] {
    const local = fn ? this.localDefs(fn) : null;
    const out: FunctionDef[] = [];
    for (const call of this.index.callsIn.get(fn ? fn.node.id : 0) ?? []) {
      if (call.inLambda || call.path?.length !== 1) continue;
      const def = local?.get(call.path[0]) ?? this.module.get(call.path[0]);
      if (def && inOwnBody(call.node, fn)) out.push(def);
    }
    return out;
  }

  /** The functions defined directly in `fn`'s body (not under an `if`), by name. */
  private localDefs(fn: FunctionDef): Map<string, FunctionDef> {
    let m = this.direct.get(fn);
    if (m) return m;
    this.direct.set(fn, (m = new Map()));
    const fnId = fn.node.id;
    for (const def of this.nested.get(fn) ?? []) {
      const p = statementOf(def.node).parent;
      if (p?.type === 'block' && p.parent?.id === fnId) m.set(def.name, def);
    }
    return m;
  }
}

/** A definition, or the decorated definition around it. */
function statementOf(def: SyntaxNode): SyntaxNode {
  const p = def.parent;
  return p?.type === 'decorated_definition' ? p : def;
}

/** True when the call the index puts in `fn` (null: at module level) is in its body proper: not in a
 *  class body, not in its parameters or return annotation. */
function inOwnBody(call: SyntaxNode, fn: FunctionDef | null): boolean {
  const fnId = fn?.node.id;
  let child = call;
  for (let p = call.parent; p; child = p, p = p.parent) {
    if (p.type === 'class_definition') return false;
    if (fnId !== undefined && p.id === fnId) return child.type === 'block';
  }
  return fn === null;
}
