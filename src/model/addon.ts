// The add-on package as modules: each .py file by its dotted name, its index built on first use, names
// resolved through imports (relative ones too) to the functions and classes of the add-on's other files,
// and the call graph from register() / unregister() / import across those files.
import * as path from 'node:path';
import { parsePython } from '../parse.js';
import { clearPackageSources, packageRootOf, packageSources } from '../syntax/package.js';
import type { Tree } from '../types.js';
import { moduleIndex, type CallSite, type ClassDef, type FunctionDef, type ModuleIndex } from './module.js';

export interface ModuleFile {
  /** Dotted module name, from the package's top folder (`myaddon.ops.export`). */
  name: string;
  file: string;
  /** An `__init__.py`: relative imports start from this module itself. */
  isPackage: boolean;
  text: string;
}

export type Target =
  | { kind: 'function'; module: string; def: FunctionDef }
  | { kind: 'class'; module: string; cls: ClassDef }
  | { kind: 'module'; module: string };

export interface AddonModel {
  /** The package's top folder, or null for a file that is not in a package. */
  root: string | null;
  modules: Map<string, ModuleFile>;
  moduleOfFile(file: string): ModuleFile | null;
  /** The index of a module (parsed from disk on first use), or null when the add-on has no such module. */
  index(module: string): ModuleIndex | null;
  /** What a dotted call path names, seen from `fn` (null: module level) in `module`. */
  resolve(module: string, pathParts: string[], fn: FunctionDef | null): Target | null;
  /** The identifiers a module's text holds (a cheap test before parsing it: a file that never names a
   *  function cannot call it). */
  words(module: string): Set<string>;
  /** The functions a call can run (a class call runs `__init__`; `mod.register()` over a list of the
   *  package's modules runs each of their `register()`). */
  callees(module: string, call: CallSite): Array<{ module: string; def: FunctionDef }>;
}

const models = new Map<string, AddonModel>();
/** Add-on models kept at once: files come add-on by add-on (a worker gets whole add-ons), so only the
 *  current one is needed, and memory does not grow with the batch. */
const KEEP_MODELS = 1;

/** Forget every add-on read so far: each run starts from the files as they are on disk then. */
export function clearAddonModels(): void {
  models.clear();
  clearPackageSources();
}

/** The add-on model of the package holding `file` (one per package and process), or of the file alone. */
export function addonModelFor(file: string, own?: { text: string; tree: Tree }): AddonModel {
  const root = packageRootOf(file);
  if (!root) return singleFileModel(file, own);
  let m = models.get(root);
  if (m) {
    // Most recently used last: the batch moves on add-on by add-on, so only the last few are kept.
    models.delete(root);
    models.set(root, m);
  } else {
    const modules = new Map<string, ModuleFile>();
    const top = path.basename(root);
    for (const s of packageSources(file)) {
      const rel = path.relative(root, s.file).replace(/\.py$/, '').split(path.sep);
      const isPackage = rel[rel.length - 1] === '__init__';
      if (isPackage) rel.pop();
      const name = [top, ...rel].join('.');
      modules.set(name, { name, file: s.file, isPackage, text: s.text });
    }
    m = buildModel(root, modules);
    models.set(root, m);
    while (models.size > KEEP_MODELS) models.delete(models.keys().next().value!);
  }
  const mine = own ? m.moduleOfFile(file) : null;
  if (own && mine && mine.text === own.text) adopters.get(m)?.(mine.name, own.tree);
  return m;
}

/** Per package model: takes the tree a file's rules run on, when its text is the one on disk, so that the
 *  model indexes that tree instead of parsing the file again (the index is the same either way). */
const adopters = new WeakMap<AddonModel, (module: string, tree: Tree) => void>();

function singleFileModel(file: string, own?: { text: string; tree: Tree }): AddonModel {
  const name = path.basename(file).replace(/\.py$/, '');
  const modules = new Map([[name, { name, file, isPackage: false, text: own?.text ?? '' }]]);
  return buildModel(null, modules, own ? new Map([[name, moduleIndex(own.tree)]]) : undefined);
}

function buildModel(root: string | null, modules: Map<string, ModuleFile>, preset?: Map<string, ModuleIndex>): AddonModel {
  const indexes = new Map<string, ModuleIndex | null>(preset);
  // Held weakly: a tree no rule holds any more is parsed again if it is ever needed.
  const parsed = new Map<string, WeakRef<Tree>>();
  const byFile = new Map([...modules.values()].map((m) => [m.file, m]));
  const model = withIndexes(root, modules, (file) => byFile.get(file) ?? null, (name) => {
    if (indexes.has(name)) return indexes.get(name)!;
    const m = modules.get(name);
    const idx = m ? moduleIndex(parsed.get(name)?.deref() ?? parsePython(m.text)) : null;
    parsed.delete(name);
    indexes.set(name, idx);
    return idx;
  });
  adopters.set(model, (name, tree) => {
    if (!indexes.has(name)) parsed.set(name, new WeakRef(tree));
  });
  return model;
}

function withIndexes(
  root: string | null,
  modules: Map<string, ModuleFile>,
  moduleOfFile: (file: string) => ModuleFile | null,
  index: (name: string) => ModuleIndex | null,
): AddonModel {
  const model: AddonModel = {
    root,
    modules,
    moduleOfFile,
    index,
    resolve: (module, parts, fn) => resolvePath(model, module, parts, fn, 0),
    words: (module) => wordsOf(modules.get(module)),
    callees: (module, call) => calleesOf(model, module, call),
  };
  return model;
}

/** The same add-on with one module's index replaced (the file being fixed, as its text is now). */
export function overlay(model: AddonModel, module: string, idx: ModuleIndex): AddonModel {
  return withIndexes(model.root, model.modules, model.moduleOfFile, (name) => (name === module ? idx : model.index(name)));
}

/** `from .x import y` in `module`: the absolute dotted name `.x` stands for. */
export function absoluteModule(model: AddonModel, module: string, spec: string): string {
  const dots = spec.length - spec.replace(/^\.+/, '').length;
  if (dots === 0) return spec;
  const self = model.modules.get(module);
  let base = self?.isPackage ? module : module.split('.').slice(0, -1).join('.');
  for (let i = 1; i < dots; i++) base = base.split('.').slice(0, -1).join('.');
  const rest = spec.slice(dots);
  return rest ? (base ? `${base}.${rest}` : rest) : base;
}

const MAX_DEPTH = 8;

function resolveName(model: AddonModel, module: string, name: string, fn: FunctionDef | null, depth: number): Target | null {
  if (depth > MAX_DEPTH) return null;
  const idx = model.index(module);
  if (!idx) return null;
  for (let f = fn; f; f = f.parent) {
    const d = idx.nested.get(f.node.id)?.get(name);
    if (d) return { kind: 'function', module, def: d };
  }
  const def = idx.functions.get(name);
  if (def) return { kind: 'function', module, def };
  const cls = idx.classes.get(name);
  if (cls) return { kind: 'class', module, cls };
  const imp = idx.imports.get(name);
  if (!imp) return null;
  const target = absoluteModule(model, module, imp.module);
  if (imp.name === null) {
    // `import pkg.sub.m as m` names that module; `import pkg.sub` binds `pkg`.
    return model.modules.has(target) ? { kind: 'module', module: target } : null;
  }
  const sub = `${target}.${imp.name}`;
  if (model.modules.has(sub)) return { kind: 'module', module: sub };
  return model.modules.has(target) ? resolveName(model, target, imp.name, null, depth + 1) : null;
}

function resolvePath(model: AddonModel, module: string, parts: string[], fn: FunctionDef | null, depth: number): Target | null {
  let current: Target | null;
  const method = fn && (fn.cls ?? null);
  if ((parts[0] === 'self' || parts[0] === 'cls') && method) current = { kind: 'class', module, cls: method };
  else current = resolveName(model, module, parts[0], fn, depth);
  for (const part of parts.slice(1)) {
    if (!current) return null;
    if (current.kind === 'module') {
      const sub = `${current.module}.${part}`;
      current = model.modules.has(sub) ? { kind: 'module', module: sub } : resolveName(model, current.module, part, null, depth + 1);
    } else if (current.kind === 'class') {
      const m = current.cls.methods.get(part);
      current = m ? { kind: 'function', module: current.module, def: m } : null;
    } else return null;
  }
  return current;
}

function calleesOf(model: AddonModel, module: string, call: CallSite): Array<{ module: string; def: FunctionDef }> {
  if (!call.path) return [];
  const t = resolvePath(model, module, call.path, call.fn, 0);
  if (t?.kind === 'function') return [{ module: t.module, def: t.def }];
  if (t?.kind === 'class') {
    const init = t.cls.methods.get('__init__');
    return init ? [{ module: t.module, def: init }] : [];
  }
  const last = call.path[call.path.length - 1];
  if (t === null && call.path.length === 2 && (last === 'register' || last === 'unregister') && call.path[0] !== 'self') {
    // `for mod in modules: mod.register()`: the register() of each of the add-on's modules imported here.
    const idx = model.index(module);
    const out: Array<{ module: string; def: FunctionDef }> = [];
    for (const name of idx?.imports.keys() ?? []) {
      const r = resolveName(model, module, name, null, 0);
      const def = r?.kind === 'module' ? model.index(r.module)?.functions.get(last) : undefined;
      if (r?.kind === 'module' && def) out.push({ module: r.module, def });
    }
    return out;
  }
  return [];
}

const wordSets = new WeakMap<ModuleFile, Set<string>>();

function wordsOf(m: ModuleFile | undefined): Set<string> {
  if (!m) return new Set();
  let w = wordSets.get(m);
  if (!w) wordSets.set(m, (w = new Set(m.text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [])));
  return w;
}
