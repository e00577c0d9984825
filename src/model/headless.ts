// Where code runs headless without a user: register() and what it reaches, functions called at import,
// classes' register() classmethods, handlers (`bpy.app.handlers.<list>.append(fn)`, `@persistent`), timer
// callbacks (`bpy.app.timers.register(fn)`, `bgsafe_runtime.schedule(fn)`, through `functools.partial`),
// and thread targets (`threading.Thread(target=fn)`), with the functions those call. Each reached function
// gets the words that say where it runs, for messages; the nearest entry point names it.
import type { CallSite, FunctionDef, ModuleIndex } from './module.js';
import type { SyntaxNode } from '../types.js';
import { enclosingClass, enclosingFunction } from '../syntax/scope.js';

export type EntryKind = 'register' | 'handler' | 'timer' | 'thread';

export interface Reached {
  kind: EntryKind;
  /** Where the code runs, in words: "in `register()`", "in the `render_pre` handler `on_render()`". */
  where: string;
  /** For handlers: the handler list (`render_pre`, `load_post`, ...). */
  list?: string;
}

/** The first positional argument of a call, or null. */
function firstArgument(call: CallSite): SyntaxNode | null {
  const first = call.node.childForFieldName('arguments')?.firstNamedChild ?? null;
  return first && first.type !== 'keyword_argument' && first.type !== 'comment' ? first : null;
}

function keywordArgument(call: CallSite, name: string): SyntaxNode | null {
  for (const a of call.node.childForFieldName('arguments')?.namedChildren ?? []) {
    if (a.type === 'keyword_argument' && a.childForFieldName('name')?.text === name) return a.childForFieldName('value');
  }
  return null;
}

/** A function named by a plain identifier, seen from where the call is: nested scopes, then the module. */
function lookup(idx: ModuleIndex, name: string, from: FunctionDef | null): FunctionDef | null {
  for (let f = from; f; f = f.parent) {
    const d = idx.nested.get(f.node.id)?.get(name);
    if (d) return d;
  }
  return idx.functions.get(name) ?? null;
}

/** The entry points of one module, in the order whose first label wins. */
function entryPoints(idx: ModuleIndex): Array<[FunctionDef, Reached]> {
  const starts: Array<[FunctionDef, Reached]> = [];
  const register = idx.functions.get('register');
  if (register) starts.push([register, { kind: 'register', where: 'in `register()`' }]);
  for (const call of idx.callsIn.get(0) ?? []) {
    if (call.inLambda || call.path?.length !== 1) continue;
    const def = idx.functions.get(call.path[0]);
    if (def) starts.push([def, { kind: 'register', where: `in \`${def.name}()\` (called at import)` }]);
  }
  for (const def of idx.byNode.values()) {
    if (def.cls && !def.parent && def.name === 'register' && !enclosingFunction(def.cls.node)) {
      starts.push([def, { kind: 'register', where: `in \`${def.cls.name}.register()\`` }]);
    }
  }
  const callbacks: Array<[FunctionDef, Reached]> = [];
  for (const call of idx.calls) {
    const entry = callbackEntry(idx, call);
    if (entry) callbacks.push(entry);
  }
  // Handlers first (appended, then @persistent), then timers, then threads, as the labels were given.
  const order: EntryKind[] = ['handler', 'timer', 'thread'];
  const persistent: Array<[FunctionDef, Reached]> = [];
  for (const def of idx.byNode.values()) {
    if (def.decorators.some((d) => /(^|\.)persistent$/.test(d))) persistent.push([def, { kind: 'handler', where: `in the handler \`${def.name}()\`` }]);
  }
  starts.push(...callbacks.filter(([, r]) => r.kind === 'handler'), ...persistent);
  for (const kind of order.slice(1)) starts.push(...callbacks.filter(([, r]) => r.kind === kind));
  return starts;
}

function callbackEntry(idx: ModuleIndex, call: CallSite): [FunctionDef, Reached] | null {
  const p = call.path;
  if (!p || p.length < 2) return null;
  const last = p[p.length - 1];
  if (last === 'append' && p.length >= 3 && p[p.length - 3] === 'handlers') {
    const fn = firstArgument(call);
    const def = fn?.type === 'identifier' ? lookup(idx, fn.text, call.fn) : null;
    const list = p[p.length - 2];
    return def ? [def, { kind: 'handler', list, where: `in the \`${list}\` handler \`${fn!.text}()\`` }] : null;
  }
  const timers = last === 'register' ? p[p.length - 2] === 'timers' : p.length === 2 && p[0] === 'bgsafe_runtime' && last === 'schedule';
  if (timers) {
    let target = firstArgument(call);
    if (target?.type === 'call' && /(^|\.)partial$/.test(target.childForFieldName('function')?.text ?? '')) {
      target = target.childForFieldName('arguments')?.firstNamedChild ?? null;
    }
    const def = target?.type === 'identifier' ? lookup(idx, target.text, call.fn) : null;
    return def ? [def, { kind: 'timer', where: `in the timer callback \`${target!.text}()\`` }] : null;
  }
  if (last === 'Thread') {
    const fn = keywordArgument(call, 'target');
    const def = fn?.type === 'identifier' ? lookup(idx, fn.text, call.fn) : null;
    return def ? [def, { kind: 'thread', where: `in the thread \`${fn!.text}()\`` }] : null;
  }
  return null;
}

/**
 * The functions of one module (by node id) that run headless, with where they run: breadth first from the
 * entry points, so each function gets the label of the nearest one; entry points keep their own label
 * (a handler that register() also calls is still a handler). Calls by plain name, within this module;
 * functions that other files reach from register() are answered by FileModel.headlessWhere.
 */
export function headlessFunctions(idx: ModuleIndex): Map<number, Reached> {
  const reached = new Map<number, Reached>();
  const starts = entryPoints(idx);
  for (const [def, info] of starts) if (!reached.has(def.node.id)) reached.set(def.node.id, info);
  let frontier = starts.map(([def]) => def);
  while (frontier.length > 0) {
    const next: FunctionDef[] = [];
    for (const fn of frontier) {
      const info = reached.get(fn.node.id)!;
      for (const call of idx.callsIn.get(fn.node.id) ?? []) {
        if (call.inLambda || call.path?.length !== 1) continue;
        const def = lookup(idx, call.path[0], fn);
        if (!def || reached.has(def.node.id)) continue;
        const from = info.where.replace(/^in /, '');
        reached.set(def.node.id, { ...info, where: `in \`${call.path[0]}()\` (called from ${from})` });
        next.push(def);
      }
    }
    frontier = next;
  }
  return reached;
}

/** Ids of the functions a script's main flow runs: those called at module level (also under
 *  `if __name__ == "__main__":`) and what they call by plain name. */
export function mainFlowFunctions(idx: ModuleIndex): Set<number> {
  const reached = new Set<number>();
  const queue: FunctionDef[] = [];
  for (const call of idx.callsIn.get(0) ?? []) {
    if (call.inLambda || enclosingClass(call.node) || call.path?.length !== 1) continue;
    const def = idx.functions.get(call.path[0]);
    if (def) queue.push(def);
  }
  while (queue.length > 0) {
    const fn = queue.pop()!;
    if (reached.has(fn.node.id)) continue;
    reached.add(fn.node.id);
    for (const call of idx.callsIn.get(fn.node.id) ?? []) {
      if (call.inLambda || call.path?.length !== 1) continue;
      const def = idx.functions.get(call.path[0]);
      if (def && !reached.has(def.node.id)) queue.push(def);
    }
  }
  return reached;
}

