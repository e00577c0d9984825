// Where BGS003's code runs while an add-on is enabled: at import, in register() and what it reaches in this
// file, in a class's register() classmethod, or in this file's functions that another file's register()
// reaches. The reach comes from the add-on model; only the file's own facts (its register(), whether it is
// an add-on module) are read here.
import { reachedInFile, type FunctionDef } from '../../src/model/index.js';
import { entriesOf } from '../../src/model/runs.js';
import { enclosingFunction, isMainGuard, statementIn } from '../../src/syntax/scope.js';
import type { RuleContext, SyntaxNode } from '../../src/types.js';

export type When =
  | { kind: 'register'; fn: SyntaxNode }
  | { kind: 'import' }
  | { kind: 'import-call'; fn: SyntaxNode }
  | { kind: 'class-register'; fn: SyntaxNode; cls: string }
  /** Reached from register() through another file of the add-on: the fix belongs where that call is. */
  | { kind: 'other-file'; fn: SyntaxNode; where: string; entryFile: string };

export interface Module {
  root: SyntaxNode;
  /** The module-level functions (decorated ones too), by name; the last definition wins. */
  defs: Map<string, SyntaxNode>;
  register: SyntaxNode | null;
  unregister: SyntaxNode | null;
  /** The file is an add-on module: it has bl_info or defines register(). */
  isAddon: boolean;
}

export function moduleOf(root: SyntaxNode): Module {
  const defs = new Map<string, SyntaxNode>();
  let blInfo = false;
  for (const stmt of root.namedChildren) {
    const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    const name = def?.type === 'function_definition' ? def.childForFieldName('name')?.text : undefined;
    if (def && name) defs.set(name, def);
    if (stmt.type === 'expression_statement' && /^bl_info\s*=/.test(stmt.text)) blInfo = true;
  }
  const register = defs.get('register') ?? null;
  return { root, defs, register, unregister: defs.get('unregister') ?? null, isAddon: !!register || blInfo };
}

export interface Runs {
  /** When the code at `node` runs while the add-on is enabled, or null (operators, draw code, handlers…). */
  when(node: SyntaxNode): When | null;
  /** The top-level statements of register() that lead to the code at `node` running at `when`: the one
   *  holding it, or those whose calls reach its function (none for other kinds). */
  leadsTo(node: SyntaxNode, when: When): SyntaxNode[];
}

/** Where code of this file runs; the add-on model is asked only for code inside functions, once each. */
export function runsOf(ctx: RuleContext, m: Module): Runs {
  const byFunction = new Map<number, When | null>();
  let registerReach: Set<string> | undefined;
  let importReach: Set<string> | undefined;
  let statementReach: Map<number, Set<string>> | undefined;
  const def = (fn: SyntaxNode): FunctionDef | undefined => ctx.model.index.byNode.get(fn.id);
  const registerDef = (): FunctionDef | undefined => (m.register ? def(m.register) : undefined);
  const reached = {
    register: () => (registerReach ??= reachedInFile(ctx.model, [registerDef()].filter((d) => !!d))),
    // Functions called at module level (outside `if __name__ == "__main__":`) and what they reach.
    import: () => (importReach ??= reachedInFile(ctx.model, importStarts(ctx))),
    statements: () => (statementReach ??= reachPerStatement(ctx, m, registerDef())),
  };

  const here = (fn: SyntaxNode): When | null => {
    const qualname = def(fn)?.qualname;
    if (qualname !== undefined && reached.register().has(qualname)) return { kind: 'register', fn };
    if (qualname !== undefined && reached.import().has(qualname)) return m.isAddon ? { kind: 'import-call', fn } : null;
    return classRegister(m, fn);
  };
  const inFunction = (fn: SyntaxNode, node: SyntaxNode): When | null => {
    const local = here(fn);
    if (local || ctx.model.moduleCount < 2) return local;
    const lt = ctx.model.loadTimes(node).find((l) => l.kind === 'register' && l.reach && l.reach.entry.module !== ctx.model.module);
    if (!lt?.reach) return null;
    return { kind: 'other-file', fn, where: ctx.model.describe(lt), entryFile: ctx.model.relativePath(lt.reach.entry.module) };
  };

  return {
    when(node) {
      const fn = enclosingFunction(node);
      if (!fn) return m.isAddon && !underMainGuard(node) ? { kind: 'import' } : null;
      if (fn.type === 'lambda') return null;
      if (!byFunction.has(fn.id)) byFunction.set(fn.id, inFunction(fn, node));
      return byFunction.get(fn.id)!;
    },
    leadsTo(node, when) {
      const body = m.register?.childForFieldName('body');
      if (when.kind !== 'register' || !body) return [];
      if (when.fn.id === m.register!.id) {
        const s = statementIn(body, node);
        return s ? [s] : [];
      }
      const qualname = def(when.fn)?.qualname;
      return registerStatements(m).filter((s) => qualname !== undefined && reached.statements().get(s.id)!.has(qualname));
    },
  };
}

/** The statements of register()'s body, comments left out. */
export function registerStatements(m: Module): SyntaxNode[] {
  const body = m.register?.childForFieldName('body');
  return body ? body.namedChildren.filter((n) => n.type !== 'comment') : [];
}

/** A class's `register()` classmethod runs from register_class(), inside the add-on's register(). */
function classRegister(m: Module, fn: SyntaxNode): When | null {
  const name = fn.childForFieldName('name')?.text;
  const holder = fn.parent?.type === 'decorated_definition' ? fn.parent : fn;
  const cls = holder.parent?.parent;
  if (name === 'register' && holder.parent?.type === 'block' && cls?.type === 'class_definition' && m.register) {
    return { kind: 'class-register', fn, cls: cls.childForFieldName('name')?.text ?? 'the class' };
  }
  return null;
}

/** The functions of this file that module-level code calls by name while the file is imported. */
function importStarts(ctx: RuleContext): FunctionDef[] {
  return entriesOf(ctx.model.module, ctx.model.index).filter((e) => e.kind === 'import').map((e) => e.def);
}

/** Per statement of register(): the functions of this file its calls reach. */
function reachPerStatement(ctx: RuleContext, m: Module, register: FunctionDef | undefined): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  const calls = register ? (ctx.model.index.callsIn.get(register.node.id) ?? []).filter((c) => !c.inLambda) : [];
  for (const s of registerStatements(m)) {
    const callees: FunctionDef[] = [];
    for (const call of calls) {
      if (call.node.startIndex < s.startIndex || call.node.endIndex > s.endIndex) continue;
      for (const c of ctx.model.addon.callees(ctx.model.module, call)) if (c.module === ctx.model.module) callees.push(c.def);
    }
    out.set(s.id, reachedInFile(ctx.model, callees));
  }
  return out;
}

function underMainGuard(node: SyntaxNode): boolean {
  for (let p = node.parent; p; p = p.parent) if (isMainGuard(p)) return true;
  return false;
}
