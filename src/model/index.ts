// The add-on model: what rules ask instead of walking trees on their own (definitions, imports, the call
// graph across the add-on's files, and when a piece of code runs). Built lazily: a file's index once per
// tree, an add-on's modules once per package and process, the reach across files once per package.
import * as path from 'node:path';
import type { SyntaxNode, Tree } from '../types.js';
import { addonModelFor, overlay, type AddonModel } from './addon.js';
import { packageRootOf } from '../syntax/package.js';
import { enclosingClass, enclosingFunction, insideMainGuard } from '../syntax/scope.js';
import { headlessFunctions, mainFlowFunctions, type Reached } from './headless.js';
import { functionAt, moduleIndex, type FunctionDef, type ModuleIndex } from './module.js';
import { crossesFiles, entriesOf, reachFrom, reachOfFunction, type LoadKind, type Reach, type ReachMap } from './runs.js';

export type { AddonModel, Target } from './addon.js';
export type { CallSite, ClassDef, FunctionDef, ModuleIndex } from './module.js';
export type { LoadKind, Reach, Step } from './runs.js';
export type { EntryKind, Reached } from './headless.js';

export interface LoadTime {
  kind: LoadKind;
  /** The function holding the code; null at module level or in a class body. */
  fn: FunctionDef | null;
  /** How the function is reached (null at module level). */
  reach: Reach | null;
}

export interface FileModel {
  readonly absPath: string;
  /** This file's dotted module name in its add-on. */
  readonly module: string;
  readonly index: ModuleIndex;
  /** The add-on, with this file's index as its text is now. */
  readonly addon: AddonModel;
  /** How many modules the add-on has (`addon.modules.size`; 1 for a file outside a package), known without
   *  parsing or indexing any file. */
  readonly moduleCount: number;
  /**
   * When the code at `node` runs while the add-on loads or unloads, in order register, import, unregister
   * (a function can be reached from more than one); empty when it does not (operators, draw callbacks,
   * handlers, lambdas, `if __name__ == "__main__":` blocks). With `headless`, reaches only through calls
   * behind a background check are left out.
   */
  loadTimes(node: SyntaxNode, options?: { headless?: boolean }): LoadTime[];
  /** A file path relative to the add-on's top folder, for messages (`ops/shaders.py`). */
  relativePath(module: string): string;
  /** Where code runs, in words for a message: "in `register()`", "in `Shaders.setup()` (called from
   *  `register()` in `my_addon/__init__.py`)". */
  describe(lt: LoadTime): string;
  /** Where the code at `node` runs headless without a user (register() and what it reaches, also from
   *  other files; handlers, timers, threads), in words; null where it does not (operators, draw code,
   *  lambdas, class bodies). Module-level code counts as register time ('at module level'). */
  headlessWhere(node: SyntaxNode): Reached | null;
  /** True when `node` is in a script's main flow: module level (not in a class body), or a function that
   *  module-level code (also under `if __name__ == "__main__":`) calls, and what that calls. */
  inMainFlow(node: SyntaxNode): boolean;
}

export function fileModel(absPath: string, source: string, tree: Tree, run?: (query: string) => Array<Record<string, SyntaxNode>>): FileModel {
  // Everything is computed on first use: most rules never ask, and most files never need the other files.
  let index: ModuleIndex | undefined;
  let base: AddonModel | undefined;
  let module: string | undefined;
  let addon: AddonModel | undefined;
  let reach: ReachMap | undefined;
  let headless: Map<number, Reached> | undefined;
  let mainFlow: Set<number> | undefined;
  let moduleCount: number | undefined;
  const getBase = (): AddonModel => (base ??= addonModelFor(absPath, { text: source, tree }));
  const model: FileModel = {
    absPath,
    get module() {
      return (module ??= getBase().moduleOfFile(absPath)?.name ?? path.basename(absPath).replace(/\.py$/, ''));
    },
    get index() {
      return (index ??= moduleIndex(tree, run));
    },
    get addon() {
      return (addon ??= getBase().root ? overlay(getBase(), model.module, model.index) : getBase());
    },
    get moduleCount() {
      return (moduleCount ??= packageRootOf(absPath) ? getBase().modules.size : 1);
    },
    loadTimes(node, options = {}) {
      // A lambda runs where it is called, not where it is written.
      if (enclosingFunction(node)?.type === 'lambda') return [];
      const fn = functionAt(model.index, node);
      if (!fn) return insideMainGuard(node) ? [] : [{ kind: 'import', fn: null, reach: null }];
      reach ??= localReach(model.addon, model.module, model.index);
      const out: LoadTime[] = [];
      const kinds = ['register', 'import', 'unregister'] as const;
      const found = new Map(kinds.map((k) => [k, reach!.get(k)?.get(model.module)?.get(fn.qualname)]));
      if (kinds.some((k) => !found.get(k) || found.get(k)!.guarded)) {
        for (const r of crossFileReach(getBase(), model.module, fn)) {
          const prev = found.get(r.kind);
          if (!prev || (prev.guarded && !r.guarded)) found.set(r.kind, r);
        }
      }
      for (const kind of kinds) {
        const r = found.get(kind);
        if (r && !(options.headless && r.guarded)) out.push({ kind, fn, reach: r });
      }
      return out;
    },
    describe(lt) {
      return describeLoadTime(model, lt);
    },
    headlessWhere(node) {
      const fn = enclosingFunction(node);
      if (!fn) return enclosingClass(node) ? null : { kind: 'register', where: 'at module level' };
      if (fn.type === 'lambda') return null;
      headless ??= headlessFunctions(model.index);
      const local = headless.get(fn.id);
      if (local) return local;
      const other = model.loadTimes(node).find((l) => l.kind === 'register' && l.reach && l.reach.entry.module !== model.module);
      return other ? { kind: 'register', where: model.describe(other) } : null;
    },
    inMainFlow(node) {
      const fn = enclosingFunction(node);
      if (!fn) return !enclosingClass(node);
      return fn.type !== 'lambda' && (mainFlow ??= mainFlowFunctions(model.index)).has(fn.id);
    },
    relativePath(m) {
      const a = model.addon;
      const file = a.modules.get(m)?.file;
      if (!file) return `${m.split('.').pop()}.py`;
      return (a.root ? path.relative(path.dirname(a.root), file) : path.basename(file)).split(path.sep).join('/');
    },
  };
  return model;
}

/**
 * The qualified names of the functions of this file that `from` (functions of this file) run, themselves
 * included: followed through the calls of this file as the model resolves them (nested functions, methods
 * through `self`, classes to `__init__`), lambdas left out; for code that runs from one particular function
 * (a module's `register()`, one statement of it, functions named like `register_keymaps`).
 */
export function reachedInFile(model: FileModel, from: FunctionDef[]): Set<string> {
  if (from.length === 0) return new Set();
  const starts = from.map((def) => {
    const entry = { module: model.module, qualname: def.qualname };
    return { module: model.module, def, kind: 'register' as const, via: [], entry, guarded: false };
  });
  const reached = reachFrom(model.addon, starts, { module: model.module, index: model.index });
  return new Set(reached.get('register')?.get(model.module)?.keys() ?? []);
}

/** This file's reach: its own entry points, walked through this file as its text is now. Functions that
 *  only other files reach are asked backwards (`reachOfFunction`) when a rule asks about them. */
function localReach(addon: AddonModel, module: string, index: ModuleIndex): ReachMap {
  return reachFrom(addon, entriesOf(module, index), { module, index });
}

/** How other files reach `fn` (from the add-on as it is on disk, matched by qualified name). */
function crossFileReach(base: AddonModel, module: string, fn: FunctionDef): Reach[] {
  if (!base.root || base.modules.size < 2 || !mentionedElsewhere(base, module)) return [];
  const onDisk = [...(base.index(module)?.byNode.values() ?? [])].find((d) => d.qualname === fn.qualname);
  if (!onDisk) return [];
  const out: Reach[] = [];
  for (const r of reachOfFunction(base, module, onDisk).values()) {
    if (crossesFiles(r, module)) out.push(r);
  }
  return out;
}

/** Whether another file of the add-on mentions this module by its last name (`from .overlay import …`,
 *  `ops.overlay.Cache.setup()`): without that, nothing there can call into it, and the add-on's other files
 *  need not be parsed at all. */
function mentionedElsewhere(base: AddonModel, module: string): boolean {
  const last = module.split('.').pop()!;
  for (const m of base.modules.values()) if (m.name !== module && base.words(m.name).has(last)) return true;
  return false;
}

function describeLoadTime(model: FileModel, lt: LoadTime): string {
  if (!lt.fn || !lt.reach) return 'at import';
  const fn = lt.fn;
  const r = lt.reach;
  if (crossesFiles(r, model.module)) {
    const entry = r.entry.qualname;
    return `in \`${fn.qualname}()\` (called from \`${entry}()\` in \`${model.relativePath(r.entry.module)}\`)`;
  }
  if (r.via.length === 0 && fn.cls && (fn.name === 'register' || fn.name === 'unregister')) {
    return `in \`${fn.cls.name}.${fn.name}()\` (\`bpy.utils.${fn.name}_class\` calls it)`;
  }
  if (r.via.length === 0 && !fn.cls && (fn.name === 'register' || fn.name === 'unregister')) return `in \`${fn.name}()\``;
  if (lt.kind === 'unregister') return `in \`${fn.name}()\` (called while the add-on is disabled)`;
  return `in \`${fn.name}()\` (called while the add-on loads)`;
}
