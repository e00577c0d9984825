// BGS012/BGS013/BGS014 helper: the functions of a module that run headless without a user: register() and
// what it (or module-level code) calls, functions appended to `bpy.app.handlers.*`, timer callbacks
// (`bpy.app.timers.register(fn)`, `bgsafe_runtime.schedule(fn)`), thread targets (`threading.Thread(target=fn)`), and the functions those
// call by plain name. Each reached function gets the words that say where it runs, for messages.
import type { SyntaxNode, Tree } from '../types.js';
import { queryMatches } from '../parse.js';
import { enclosingClass, enclosingFunction } from './scope.js';

export type EntryKind = 'register' | 'handler' | 'timer' | 'thread';

export interface Reached {
  kind: EntryKind;
  /** Where the code runs, in words: "in `register()`", "in the `render_pre` handler `on_render()`". */
  where: string;
  /** For handlers: the handler list (`render_pre`, `load_post`, ...). */
  list?: string;
}

const DEFS_QUERY = '(function_definition name: (identifier) @name) @def';
const CALL_QUERY = '(call function: (identifier) @name) @call';
const APPEND_QUERY = `(call
  function: (attribute object: (_) @list attribute: (identifier) @method (#eq? @method "append"))
  arguments: (argument_list . (identifier) @fn)) @call`;
const TIMER_QUERY = `(call
  function: (attribute object: (_) @timers attribute: (identifier) @method (#match? @method "^(register|schedule)$"))
  arguments: (argument_list . (_) @fn)) @call`;
const THREAD_QUERY = `(call
  function: [(identifier) (attribute)] @ctor
  arguments: (argument_list (keyword_argument name: (identifier) @key (#eq? @key "target") value: (identifier) @fn))) @call`;
const PERSISTENT_QUERY = `(decorated_definition
  (decorator [(identifier) (attribute)] @decorator)
  definition: (function_definition name: (identifier) @name) @def)`;

function scopeOfDef(def: SyntaxNode): SyntaxNode | null {
  let holder = def.parent;
  if (holder?.type === 'decorated_definition') holder = holder.parent;
  if (holder?.type === 'module') return holder;
  if (holder?.type === 'block' && holder.parent?.type === 'function_definition') return holder.parent;
  return null;
}

const cache = new WeakMap<object, Map<number, Reached>>();

/** The functions (by node id) that run headless, with where they run; the module itself has no entry:
 *  module-level code is 'import' time (see `atImport`). */
export function headlessFunctions(tree: Tree): Map<number, Reached> {
  const cached = cache.get(tree);
  if (cached) return cached;
  const root = tree.rootNode;
  const defs = new Map<number, Map<string, SyntaxNode>>();
  for (const { def, name } of queryMatches(DEFS_QUERY, root)) {
    const scope = scopeOfDef(def);
    if (!scope) continue;
    if (!defs.has(scope.id)) defs.set(scope.id, new Map());
    const m = defs.get(scope.id)!;
    if (!m.has(name.text)) m.set(name.text, def);
  }
  const moduleDefs = defs.get(root.id) ?? new Map<string, SyntaxNode>();
  const lookup = (at: SyntaxNode, name: string): SyntaxNode | undefined => {
    for (let fn = enclosingFunction(at); fn; fn = enclosingFunction(fn)) {
      const d = defs.get(fn.id)?.get(name);
      if (d) return d;
    }
    return moduleDefs.get(name);
  };
  const calls = new Map<number, string[]>();
  for (const { call, name } of queryMatches(CALL_QUERY, root)) {
    const fn = enclosingFunction(call);
    if (fn?.type === 'lambda') continue;
    const key = fn ? fn.id : root.id;
    if (!calls.has(key)) calls.set(key, []);
    calls.get(key)!.push(name.text);
  }

  const starts: Array<[SyntaxNode, Reached]> = [];
  const register = moduleDefs.get('register');
  if (register) starts.push([register, { kind: 'register', where: 'in `register()`' }]);
  for (const name of calls.get(root.id) ?? []) {
    const def = moduleDefs.get(name);
    if (def) starts.push([def, { kind: 'register', where: `in \`${name}()\` (called at import)` }]);
  }
  // Classes' register() classmethods: bpy.utils.register_class calls them.
  for (const { def, name } of queryMatches(DEFS_QUERY, root)) {
    if (name.text !== 'register' || enclosingFunction(def)) continue;
    const cls = enclosingClass(def);
    if (cls) starts.push([def, { kind: 'register', where: `in \`${cls.childForFieldName('name')?.text ?? '?'}.register()\`` }]);
  }
  for (const { list, fn } of queryMatches(APPEND_QUERY, root)) {
    const m = /(?:^|\.)handlers\.(\w+)$/.exec(list.text.replace(/\s+/g, ''));
    if (!m) continue;
    const def = lookup(fn, fn.text);
    if (def) starts.push([def, { kind: 'handler', list: m[1], where: `in the \`${m[1]}\` handler \`${fn.text}()\`` }]);
  }
  for (const { decorator, def, name } of queryMatches(PERSISTENT_QUERY, root)) {
    if (!/(^|\.)persistent$/.test(decorator.text)) continue;
    starts.push([def, { kind: 'handler', where: `in the handler \`${name.text}()\`` }]);
  }
  for (const { timers, method, fn } of queryMatches(TIMER_QUERY, root)) {
    // bpy.app.timers.register(fn), or bgsafe_runtime.schedule(fn) (BGS011's rewrite of it).
    const object = timers.text.replace(/\s+/g, '');
    if (method.text === 'register' ? !/(^|\.)timers$/.test(object) : object !== 'bgsafe_runtime') continue;
    let target: SyntaxNode | null = fn;
    if (fn.type === 'call' && /(^|\.)partial$/.test(fn.childForFieldName('function')?.text ?? '')) {
      target = fn.childForFieldName('arguments')?.firstNamedChild ?? null;
    }
    if (target?.type !== 'identifier') continue;
    const def = lookup(target, target.text);
    if (def) starts.push([def, { kind: 'timer', where: `in the timer callback \`${target.text}()\`` }]);
  }
  for (const { ctor, fn } of queryMatches(THREAD_QUERY, root)) {
    if (!/(^|\.)Thread$/.test(ctor.text)) continue;
    const def = lookup(fn, fn.text);
    if (def) starts.push([def, { kind: 'thread', where: `in the thread \`${fn.text}()\`` }]);
  }

  // Breadth first, so each function gets the label of the nearest entry point; entry points themselves
  // keep their own label (a handler that register() also calls is still a handler).
  const reached = new Map<number, Reached>();
  for (const [def, info] of starts) if (!reached.has(def.id)) reached.set(def.id, info);
  let frontier = starts.map(([def]) => def);
  while (frontier.length > 0) {
    const next: SyntaxNode[] = [];
    for (const fn of frontier) {
      const info = reached.get(fn.id)!;
      for (const name of calls.get(fn.id) ?? []) {
        const local = defs.get(fn.id)?.get(name);
        const def = local ?? lookup(fn, name);
        if (!def || reached.has(def.id)) continue;
        const from = info.where.replace(/^in /, '');
        reached.set(def.id, { ...info, where: `in \`${name}()\` (called from ${from})` });
        next.push(def);
      }
    }
    frontier = next;
  }
  cache.set(tree, reached);
  return reached;
}

/** Where the code at `node` runs headless, or null: module level (outside classes), or a reached function. */
export function headlessWhere(tree: Tree, node: SyntaxNode): Reached | null {
  const fn = enclosingFunction(node);
  if (!fn) {
    if (enclosingClass(node)) return null;
    return { kind: 'register', where: 'at module level' };
  }
  if (fn.type === 'lambda') return null;
  return headlessFunctions(tree).get(fn.id) ?? null;
}

function exitsEarly(block: SyntaxNode): boolean {
  const last = block.lastNamedChild;
  return !!last && ['return_statement', 'raise_statement', 'continue_statement', 'break_statement'].includes(last.type);
}

/**
 * True when `node` runs only after a check of `bpy.app.background` (an `if`/`elif`/`else` branch, a conditional
 * expression, `<check> and …`, or an earlier `if <check>: return` in the same function). Unlike scope.ts's
 * isGuarded, a `try`/`except` does not count: a silent no-op raises nothing for it to catch.
 */
export function checksBackground(node: SyntaxNode): boolean {
  const mentions = (t: string): boolean => /\bbackground\b/.test(t);
  const stop = enclosingFunction(node);
  let child: SyntaxNode = node;
  for (let p = node.parent; p && p !== stop; child = p, p = p.parent) {
    if (p.type === 'if_statement' || p.type === 'elif_clause' || p.type === 'while_statement') {
      const cond = p.childForFieldName('condition');
      if (cond && cond.id !== child.id && mentions(cond.text)) return true;
      if (p.type === 'if_statement') {
        for (const alt of p.childrenForFieldName('alternative')) {
          if (alt.id !== child.id) continue;
          for (const other of p.childrenForFieldName('alternative')) {
            if (other.id === child.id) break;
            const c = other.childForFieldName('condition');
            if (c && mentions(c.text)) return true;
          }
        }
      }
    } else if (p.type === 'conditional_expression') {
      const parts = p.namedChildren;
      if (parts.length === 3 && parts[1].id !== child.id && mentions(parts[1].text)) return true;
    } else if (p.type === 'boolean_operator') {
      const left = p.childForFieldName('left');
      if (left && left.id !== child.id && mentions(left.text)) return true;
    } else if (p.type === 'block' || p.type === 'module') {
      for (let s = child.previousNamedSibling; s; s = s.previousNamedSibling) {
        if (s.type !== 'if_statement') continue;
        const cond = s.childForFieldName('condition');
        const body = s.childForFieldName('consequence');
        if (cond && body && mentions(cond.text) && exitsEarly(body)) return true;
      }
    }
  }
  return false;
}

const importCache = new WeakMap<object, Set<number>>();

/** Ids of the functions a script's main flow runs: those called at module level (also under
 *  `if __name__ == "__main__":`) and what they call by plain name. */
export function mainFlowFunctions(tree: Tree): Set<number> {
  const cached = importCache.get(tree);
  if (cached) return cached;
  const root = tree.rootNode;
  const moduleDefs = new Map<string, SyntaxNode>();
  for (const { def, name } of queryMatches(DEFS_QUERY, root)) if (scopeOfDef(def)?.id === root.id) moduleDefs.set(name.text, def);
  const calls = new Map<number, string[]>();
  for (const { call, name } of queryMatches(CALL_QUERY, root)) {
    const fn = enclosingFunction(call);
    if (fn?.type === 'lambda' || (!fn && enclosingClass(call))) continue;
    const key = fn ? fn.id : root.id;
    if (!calls.has(key)) calls.set(key, []);
    calls.get(key)!.push(name.text);
  }
  const reached = new Set<number>();
  const queue = (calls.get(root.id) ?? []).map((n) => moduleDefs.get(n)).filter((d): d is SyntaxNode => !!d);
  while (queue.length > 0) {
    const fn = queue.pop()!;
    if (reached.has(fn.id)) continue;
    reached.add(fn.id);
    for (const name of calls.get(fn.id) ?? []) {
      const def = moduleDefs.get(name);
      if (def && !reached.has(def.id)) queue.push(def);
    }
  }
  importCache.set(tree, reached);
  return reached;
}

/** True when `node` is in a script's main flow: module level (not in a class), or a function of mainFlowFunctions. */
export function inMainFlow(tree: Tree, node: SyntaxNode): boolean {
  const fn = enclosingFunction(node);
  if (!fn) return !enclosingClass(node);
  return fn.type !== 'lambda' && mainFlowFunctions(tree).has(fn.id);
}
