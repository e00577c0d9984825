// BGS009 helper: which classes are UI classes (Panel, Menu, Header, UIList), also through the add-on's own
// base classes and through imports from its other files (`from .ui import MY_PT_panel`, `from . import ui`
// then `ui.MY_PT_panel`). A rule sees one file; the sibling files are read here from disk, parsed once
// and cached. Anything that cannot be read or resolved is "unknown", which callers treat as not UI.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { packageSources, readText } from './package.js';
import { parsePython } from '../parse.js';
import type { SyntaxNode, Tree } from '../types.js';

/** The bpy.types classes whose subclasses only draw UI. */
const UI_BASES = new Set(['Panel', 'Menu', 'Header', 'UIList', 'UI_UL_list']);

export interface ClassFacts {
  /** A subclass of Panel / Menu / Header / UIList. */
  ui: boolean;
  /** The class (or one of the add-on's own bases) defines a `register`/`unregister` classmethod: its
   *  registration may do more than UI (properties on bpy.types, handlers), so it is never gated. */
  selfRegister: boolean;
}

interface ClassDef {
  bases: SyntaxNode[];
  selfRegister: boolean;
}

/** An imported name: `from <level dots><module> import <name>`, or a module (`name` null). */
interface ImportRef {
  level: number;
  module: string;
  name: string | null;
}

export interface ModuleInfo {
  /** Folder of the file on disk, or null when it is not known (cross-file lookups then give unknown). */
  dir: string | null;
  file: string | null;
  classes: Map<string, ClassDef>;
  imports: Map<string, ImportRef>;
  /** Local names bound to the bpy.types module (`bpy.types`, `from bpy import types`, `import bpy.types as T`). */
  typesModules: Set<string>;
  /** Local names bound to a UI base (`from bpy.types import Panel`, `… import Menu as M`). */
  uiBaseNames: Set<string>;
  /** Local names bound to another bpy.types class (`from bpy.types import Operator`): known, not UI. */
  otherTypeNames: Set<string>;
  memo: Map<string, ClassFacts | null>;
}

/** Module-level statements, also those inside module-level `if`/`try` blocks (conditional imports). */
function topStatements(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const COMPOUND = new Set(['if_statement', 'try_statement', 'else_clause', 'elif_clause', 'except_clause', 'finally_clause']);
  const compound = (s: SyntaxNode): void => {
    for (const c of s.namedChildren) {
      if (c.type === 'block') visit(c);
      else if (COMPOUND.has(c.type)) compound(c);
    }
  };
  const visit = (block: SyntaxNode): void => {
    for (const s of block.namedChildren) {
      out.push(s);
      if (COMPOUND.has(s.type)) compound(s);
    }
  };
  visit(root);
  return out;
}

export function buildModuleInfo(tree: Tree, file: string | null): ModuleInfo {
  const info: ModuleInfo = {
    dir: file ? path.dirname(file) : null,
    file,
    classes: new Map(),
    imports: new Map(),
    typesModules: new Set(['bpy.types']),
    uiBaseNames: new Set(),
    otherTypeNames: new Set(),
    memo: new Map(),
  };
  for (const stmt of topStatements(tree.rootNode)) {
    const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (def?.type === 'class_definition') {
      const name = def.childForFieldName('name')?.text;
      const args = def.childForFieldName('superclasses');
      const bases = args ? args.namedChildren.filter((b) => b.type === 'identifier' || b.type === 'attribute') : [];
      const body = def.childForFieldName('body');
      let selfRegister = false;
      for (const m of body?.namedChildren ?? []) {
        const fn = m.type === 'decorated_definition' ? m.childForFieldName('definition') : m;
        const n = fn?.type === 'function_definition' ? fn.childForFieldName('name')?.text : null;
        if (n === 'register' || n === 'unregister') selfRegister = true;
      }
      if (name) info.classes.set(name, { bases, selfRegister });
      continue;
    }
    if (stmt.type === 'import_statement') {
      for (const n of stmt.childrenForFieldName('name')) {
        if (n.type === 'aliased_import' && n.childForFieldName('name')?.text === 'bpy.types') {
          const alias = n.childForFieldName('alias')?.text;
          if (alias) info.typesModules.add(alias);
        }
      }
      continue;
    }
    if (stmt.type !== 'import_from_statement') continue;
    const mod = stmt.childForFieldName('module_name');
    if (!mod) continue;
    let level = 0;
    let module = mod.text.replace(/\s+/g, '');
    if (mod.type === 'relative_import') {
      level = /^\.*/.exec(module)![0].length;
      module = module.slice(level);
    }
    for (const n of stmt.childrenForFieldName('name')) {
      const name = n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.text;
      const local = n.type === 'aliased_import' ? n.childForFieldName('alias')?.text : n.text;
      if (!name || !local || name.includes('.')) continue;
      if (level === 0) {
        if (module === 'bpy' && name === 'types') info.typesModules.add(local);
        else if (module === 'bpy.types') (UI_BASES.has(name) ? info.uiBaseNames : info.otherTypeNames).add(local);
        continue;
      }
      info.imports.set(local, { level, module, name });
    }
  }
  return info;
}

// ---------------------------------------------------------------------------------------------------
// Files on disk, parsed once.

const fileCache = new Map<string, ModuleInfo | null>();
function loadModule(file: string): ModuleInfo | null {
  if (fileCache.has(file)) return fileCache.get(file)!;
  let info: ModuleInfo | null = null;
  const text = readText(file);
  if (text !== null) {
    try {
      info = buildModuleInfo(parsePython(text), file);
    } catch {
      info = null;
    }
  }
  fileCache.set(file, info);
  return info;
}

/** The file of module `<level dots><module>` seen from `dir`: `x.py` or `x/__init__.py`; null if none. */
function moduleFile(dir: string, level: number, module: string): string | null {
  let base = dir;
  for (let i = 1; i < level; i++) base = path.dirname(base);
  const p = module ? path.join(base, ...module.split('.')) : base;
  if (module && existsSync(`${p}.py`)) return `${p}.py`;
  const init = path.join(p, '__init__.py');
  return existsSync(init) ? init : null;
}

/** What a local name of `info` stands for, as a module: the file of `from . import ui`'s `ui`. */
function moduleOfName(info: ModuleInfo, local: string): ModuleInfo | null {
  const ref = info.imports.get(local);
  if (!ref || !info.dir) return null;
  if (ref.name !== null) {
    // `from . import ui` / `from .pkg import sub`: a submodule when such a file exists.
    const sub = moduleFile(info.dir, ref.level, ref.module ? `${ref.module}.${ref.name}` : ref.name);
    if (sub) return loadModule(sub);
    return null;
  }
  return null;
}

const MAX_DEPTH = 12;

/** Facts about the class `name` of module `info`, following local bases and imports. Null: unknown. */
export function classFacts(info: ModuleInfo, name: string, depth = 0): ClassFacts | null {
  if (info.memo.has(name)) return info.memo.get(name)!;
  if (depth > MAX_DEPTH) return null;
  info.memo.set(name, null); // cycle guard
  let result: ClassFacts | null = null;
  const def = info.classes.get(name);
  if (def) {
    let ui = false;
    let selfRegister = def.selfRegister;
    for (const base of def.bases) {
      const f = baseFacts(info, base, depth + 1);
      if (f?.ui) ui = true;
      if (f?.selfRegister) selfRegister = true;
    }
    result = { ui, selfRegister };
  } else if (info.uiBaseNames.has(name)) {
    result = { ui: true, selfRegister: false };
  } else if (info.otherTypeNames.has(name)) {
    result = { ui: false, selfRegister: false };
  } else {
    const ref = info.imports.get(name);
    if (ref && ref.name !== null && info.dir) {
      const sub = moduleFile(info.dir, ref.level, ref.module ? `${ref.module}.${ref.name}` : ref.name);
      const pkg = moduleFile(info.dir, ref.level, ref.module);
      // `from .ui import X`: X in ui.py (a class, or re-exported there); a submodule named X is no class.
      if (!sub && pkg) {
        const m = loadModule(pkg);
        if (m) result = classFacts(m, ref.name, depth + 1);
      }
    }
  }
  info.memo.set(name, result);
  return result;
}

function baseFacts(info: ModuleInfo, base: SyntaxNode, depth: number): ClassFacts | null {
  const text = base.text.replace(/\s+/g, '');
  if (base.type === 'identifier') return classFacts(info, text, depth);
  const m = /^(.+)\.(\w+)$/.exec(text);
  if (!m) return null;
  if (info.typesModules.has(m[1])) return { ui: UI_BASES.has(m[2]), selfRegister: false };
  return attributeFacts(info, m[1], m[2], depth);
}

/** `mod.X` where `mod` is a module the file imported from the add-on. */
function attributeFacts(info: ModuleInfo, mod: string, name: string, depth: number): ClassFacts | null {
  if (mod.includes('.')) return null;
  const m = moduleOfName(info, mod);
  return m ? classFacts(m, name, depth + 1) : null;
}

/** Facts about the class an expression (`X`, `ui.X`, `bpy.types.Panel`) stands for; null when unknown. */
export function expressionFacts(info: ModuleInfo, node: SyntaxNode): ClassFacts | null {
  if (node.type !== 'identifier' && node.type !== 'attribute') return null;
  return baseFacts(info, node, 0);
}

// ---------------------------------------------------------------------------------------------------
// The add-on's other files, as text: a class gated here must not be looked up as `bpy.types.X` there.

const treeCache = new Map<string, Tree | null>();

/** Attribute reads of a class that do not depend on it being registered. */
const HARMLESS_ATTRIBUTES = new Set(['bl_idname', 'bl_label', 'bl_description', '__name__', '__doc__']);

/** True when the identifier `id` (named like a class) is used in a way that does not depend on whether
 *  the class is registered: an import, a class definition's name or base, or `X.bl_idname` (`bl_label`, `__name__`...). */
export function harmlessUse(id: SyntaxNode): boolean {
  for (let p: SyntaxNode | null = id.parent; p; p = p.parent) {
    if (p.type === 'import_statement' || p.type === 'import_from_statement') return true;
    if (p.type === 'block' || p.type === 'module' || p.type === 'call') break;
  }
  const p = id.parent;
  if (!p) return false;
  if (p.type === 'class_definition' && p.childForFieldName('name')?.id === id.id) return true;
  if (p.type === 'argument_list' && p.parent?.type === 'class_definition') return true;
  let ref = id;
  if (p.type === 'attribute' && p.childForFieldName('attribute')?.id === id.id) ref = p;
  const q = ref.parent;
  if (q?.type === 'attribute' && q.childForFieldName('object')?.id === ref.id) {
    return HARMLESS_ATTRIBUTES.has(q.childForFieldName('attribute')?.text ?? '');
  }
  return false;
}

/** Where another file of the add-on uses the class `name` beyond imports, definitions and `X.bl_idname`:
 *  "file:line", or null. Such a use (a second registration, a lookup) makes gating it here unsafe. */
export function foreignUse(name: string, file: string | null): string | null {
  const word = new RegExp(`\\b${name}\\b`);
  for (const f of packageSources(file)) {
    if (f.file === file || !word.test(f.text)) continue;
    let tree = treeCache.get(f.file);
    if (tree === undefined) {
      try {
        tree = parsePython(f.text);
      } catch {
        tree = null;
      }
      treeCache.set(f.file, tree);
    }
    if (!tree) return path.basename(f.file);
    // Find the name in the text, then ask the tree for the node there: far cheaper than walking every
    // identifier of the file through the native binding.
    const all = new RegExp(`\\b${name}\\b`, 'g');
    for (let m = all.exec(f.text); m; m = all.exec(f.text)) {
      const id = tree.rootNode.descendantForIndex(m.index, m.index + name.length);
      if (id.type !== 'identifier' || id.text !== name) continue; // inside a string or comment
      if (!harmlessUse(id)) return `${path.basename(f.file)}:${id.startPosition.row + 1}`;
    }
  }
  return null;
}

