// The add-on model: what rules ask instead of walking trees on their own (definitions, imports, the call
// graph across the add-on's files, and when a piece of code runs). Built lazily: a file's index once per
// tree, an add-on's modules once per package and process, the reach across files once per package.
import * as path from 'node:path';
import type { SyntaxNode, Tree } from '../types.js';
import { addonModelFor, overlay, type AddonModel } from './addon.js';
import { isMainGuard } from '../syntax/scope.js';
import { functionAt, moduleIndex, type FunctionDef, type ModuleIndex } from './module.js';
import { entriesOf, packageReach, reachFrom, type LoadKind, type Reach, type ReachMap, type Start } from './runs.js';

export type { AddonModel, Target } from './addon.js';
export type { CallSite, ClassDef, FunctionDef, ModuleIndex } from './module.js';
export type { LoadKind, Reach, Step } from './runs.js';

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
}

export function fileModel(absPath: string, source: string, tree: Tree): FileModel {
  const index = moduleIndex(tree);
  const base = addonModelFor(absPath, { text: source, tree });
  const module = base.moduleOfFile(absPath)?.name ?? path.basename(absPath).replace(/\.py$/, '');
  const addon = base.root ? overlay(base, module, index) : base;
  let reach: ReachMap | undefined;
  const reachMap = (): ReachMap => (reach ??= localReach(base, addon, module, index));
  return {
    absPath,
    module,
    index,
    addon,
    loadTimes(node, options = {}) {
      if (insideLambda(node)) return [];
      const fn = functionAt(index, node);
      if (!fn) return inMainBlock(node) ? [] : [{ kind: 'import', fn: null, reach: null }];
      const out: LoadTime[] = [];
      for (const kind of ['register', 'import', 'unregister'] as const) {
        const r = reachMap().get(kind)?.get(module)?.get(fn.qualname);
        if (r && !(options.headless && r.guarded)) out.push({ kind, fn, reach: r });
      }
      return out;
    },
    describe(lt) {
      return describeLoadTime(this, lt);
    },
    relativePath(m) {
      const file = addon.modules.get(m)?.file;
      if (!file) return `${m.split('.').pop()}.py`;
      return (addon.root ? path.relative(path.dirname(addon.root), file) : path.basename(file)).split(path.sep).join('/');
    },
  };
}

/** This file's reach: its own entry points, plus its functions that other files reach (from the add-on
 *  as it is on disk), walked through this file as its text is now. */
function localReach(base: AddonModel, addon: AddonModel, module: string, index: ModuleIndex): ReachMap {
  const starts: Start[] = entriesOf(module, index);
  if (base.root && base.modules.size > 1) {
    const byName = new Map<string, FunctionDef>([...index.byNode.values()].map((d) => [d.qualname, d]));
    for (const [kind, byModule] of packageReach(base)) {
      for (const [q, r] of byModule.get(module) ?? []) {
        const crossFile = r.entry.module !== module || r.via.some((s) => s.module !== module);
        const def = byName.get(q);
        if (crossFile && def) starts.push({ module, def, kind, via: r.via, entry: r.entry, guarded: r.guarded });
      }
    }
  }
  return reachFrom(addon, starts, { module, index });
}

function insideLambda(node: SyntaxNode): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'lambda') return true;
    if (p.type === 'function_definition') return false;
  }
  return false;
}

function inMainBlock(node: SyntaxNode): boolean {
  for (let p = node.parent; p; p = p.parent) {
    if (p.parent?.type === 'module') return isMainGuard(p);
  }
  return false;
}

function describeLoadTime(model: FileModel, lt: LoadTime): string {
  if (!lt.fn || !lt.reach) return 'at import';
  const fn = lt.fn;
  const r = lt.reach;
  const crossFile = r.entry.module !== model.module || r.via.some((s) => s.module !== model.module);
  if (crossFile) {
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
