// When code runs while an add-on loads or unloads: at import (module level, class bodies, functions called
// at module level), in register() (every module's `register()`, classes' `register()` classmethods that
// `bpy.utils.register_class` calls, and all they call, across the add-on's files), or in unregister().
// A call behind a background check (`if not bpy.app.background: setup()`) still reaches its callee, but
// the callee is then `guarded`: it never runs headless.
import type { AddonModel } from './addon.js';
import type { FunctionDef, ModuleIndex } from './module.js';

export type LoadKind = 'import' | 'register' | 'unregister';

export interface Step {
  module: string;
  qualname: string;
}

export interface Reach {
  kind: LoadKind;
  /** Reached only through calls behind a background check: it does not run headless. */
  guarded: boolean;
  /** The chain of callers from the entry point (first) to the direct caller (last); empty for an entry. */
  via: Step[];
  /** The entry point: `register`, `Cls.register`, `unregister`, or the function called at import. */
  entry: Step;
}

/** Whether the chain to a function of `module` passes through another file of the add-on. */
export function crossesFiles(r: Reach, module: string): boolean {
  return r.entry.module !== module || r.via.some((s) => s.module !== module);
}

/** Per kind, per module, per function qualname. */
export type ReachMap = Map<LoadKind, Map<string, Map<string, Reach>>>;

export interface Start {
  module: string;
  def: FunctionDef;
  kind: LoadKind;
  via: Step[];
  entry: Step;
  guarded: boolean;
}

/** The entry points of one module. */
export function entriesOf(module: string, idx: ModuleIndex): Start[] {
  const out: Start[] = [];
  const add = (def: FunctionDef, kind: LoadKind): void => {
    const entry = { module, qualname: def.qualname };
    out.push({ module, def, kind, via: [], entry, guarded: false });
  };
  for (const kind of ['register', 'unregister'] as const) {
    const def = idx.functions.get(kind);
    if (def) add(def, kind);
  }
  // bpy.utils.register_class(C) calls C.register(); unregister_class calls C.unregister().
  for (const def of idx.byNode.values()) {
    if (def.cls && !def.parent && (def.name === 'register' || def.name === 'unregister')) add(def, def.name);
  }
  for (const call of idx.callsIn.get(0) ?? []) {
    if (call.inMain || call.inLambda || call.path?.length !== 1) continue;
    const def = idx.functions.get(call.path[0]);
    if (def) out.push({ module, def, kind: 'import', via: [], entry: { module, qualname: def.qualname }, guarded: idx.guardedHeadless(call) });
  }
  return out;
}

/**
 * Breadth-first from the starts over the call graph: first through unguarded calls only, then through
 * every call, so that each function gets the shortest unguarded chain where it has one. `restrictTo`
 * keeps the walk inside one module (the others are given as starts).
 */
export function reachFrom(model: AddonModel, starts: Start[], only?: { module: string; index: ModuleIndex }): ReachMap {
  const out: ReachMap = new Map();
  const seen = (kind: LoadKind, module: string, q: string): boolean => !!out.get(kind)?.get(module)?.has(q);
  const put = (s: Start): void => {
    let byModule = out.get(s.kind);
    if (!byModule) out.set(s.kind, (byModule = new Map()));
    let m = byModule.get(s.module);
    if (!m) byModule.set(s.module, (m = new Map()));
    m.set(s.def.qualname, { kind: s.kind, guarded: s.guarded, via: s.via, entry: s.entry });
  };
  for (const pass of ['unguarded', 'all'] as const) {
    const queue = starts.filter((s) => pass === 'all' || !s.guarded).map((s) => ({ ...s, guarded: pass === 'all' && s.guarded }));
    for (let i = 0; i < queue.length; i++) {
      const s = queue[i];
      if (seen(s.kind, s.module, s.def.qualname)) continue;
      put({ ...s, guarded: pass === 'all' });
      const idx = only ? only.index : model.index(s.module);
      if (!idx) continue;
      for (const call of idx.callsIn.get(s.def.node.id) ?? []) {
        if (call.inLambda) continue;
        const guardedCall = idx.guardedHeadless(call);
        if (pass === 'unguarded' && guardedCall) continue;
        for (const c of model.callees(s.module, call)) {
          if (only && c.module !== only.module) continue;
          if (seen(s.kind, c.module, c.def.qualname)) continue;
          queue.push({ module: c.module, def: c.def, kind: s.kind, via: [...s.via, { module: s.module, qualname: s.def.qualname }], entry: s.entry, guarded: false });
        }
      }
    }
  }
  return out;
}

/**
 * How one function of the add-on (as on disk) is reached at load time, found backwards: the files that
 * mention its name (its class's name, for a method) are parsed, their calls that resolve to it found, and
 * their callers' reach taken in turn (memoized per add-on). Only those files are ever parsed.
 */
export function reachOfFunction(model: AddonModel, module: string, def: FunctionDef): Map<LoadKind, Reach> {
  return backward(model, module, def, new Set());
}

const memos = new WeakMap<AddonModel, Map<string, Map<LoadKind, Reach>>>();

function better(a: Reach | undefined, b: Reach): boolean {
  if (!a) return true;
  if (a.guarded !== b.guarded) return a.guarded;
  return b.via.length < a.via.length;
}

function backward(model: AddonModel, module: string, def: FunctionDef, visiting: Set<string>): Map<LoadKind, Reach> {
  let memo = memos.get(model);
  if (!memo) memos.set(model, (memo = new Map()));
  const key = `${module}:${def.qualname}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const out = new Map<LoadKind, Reach>();
  if (visiting.has(key)) return out;
  visiting.add(key);
  const idx = model.index(module);
  const offer = (r: Reach): void => {
    if (better(out.get(r.kind), r)) out.set(r.kind, r);
  };
  for (const e of idx ? entriesOf(module, idx) : []) {
    if (e.def.qualname === def.qualname) offer({ kind: e.kind, guarded: e.guarded, via: [], entry: e.entry });
  }
  // register() and unregister() are entry points themselves: who calls them adds nothing to say.
  if (def.name === 'register' || def.name === 'unregister') {
    visiting.delete(key);
    memo.set(key, out);
    return out;
  }
  const mayCall = callerTextTest(def);
  for (const m of model.modules.values()) {
    const words = model.words(m.name);
    if (!words.has(def.name) || (def.cls && m.name !== module && !words.has(def.cls.name))) continue;
    if (m.name !== module && !mayCall(m.text)) continue;
    const other = model.index(m.name);
    for (const call of other?.calls ?? []) {
      if (call.inLambda || call.inMain || call.path?.[call.path.length - 1] !== def.name) continue;
      if (!model.callees(m.name, call).some((c) => c.module === module && c.def.qualname === def.qualname)) continue;
      const guarded = other!.guardedHeadless(call);
      if (!call.fn) {
        offer({ kind: 'import', guarded, via: [], entry: { module: m.name, qualname: def.qualname } });
        continue;
      }
      for (const r of backward(model, m.name, call.fn, visiting).values()) {
        offer({ kind: r.kind, guarded: r.guarded || guarded, via: [...r.via, { module: m.name, qualname: call.fn.qualname }], entry: r.entry });
      }
    }
  }
  visiting.delete(key);
  memo.set(key, out);
  return out;
}

/** A cheap test of another file's text, true where it may call `def` (so only those files are parsed):
 *  a method as `Class.method`, or the class and a `.method(` call; a function by its name as a word. */
function callerTextTest(def: FunctionDef): (text: string) => boolean {
  if (def.cls) {
    const cls = def.cls.name;
    const qualified = `${cls}.${def.name}`;
    const call = `.${def.name}(`;
    return (text) => text.includes(qualified) || (text.includes(cls) && text.includes(call));
  }
  const word = new RegExp(`(^|[^\\w])${def.name.replace(/[$]/g, '\\$&')}(?!\\w)`);
  return (text) => text.includes(def.name) && word.test(text);
}
