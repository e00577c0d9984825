// BGS009 helper: which classes are UI classes (Panel, Menu, Header, UIList), also through the add-on's own
// base classes and through relative imports from its other files (`from .ui import MY_PT_panel`, `from .
// import ui` then `ui.MY_PT_panel`), asked of the add-on model: its modules, their indexes (classes with
// their bases and methods, imports), each file parsed once per add-on. Anything the model cannot resolve
// is "unknown", which callers treat as not UI. And where the add-on's other files use a class in a way
// that needs it registered.
import * as path from 'node:path';
import { absoluteModule } from '../../src/model/addon.js';
import type { AddonModel, ClassDef, FileModel } from '../../src/model/index.js';
import type { ImportBinding } from '../../src/model/module.js';
import type { SyntaxNode } from '../../src/types.js';
import { identifiersNamed } from './occurrences.js';

/** The bpy.types classes whose subclasses only draw UI. */
const UI_BASES = new Set(['Panel', 'Menu', 'Header', 'UIList', 'UI_UL_list']);

/** Re-exports and base classes followed at most this deep. */
const MAX_DEPTH = 12;

export interface ClassFacts {
  /** A subclass of Panel / Menu / Header / UIList. */
  ui: boolean;
  /** The class (or one of the add-on's own bases) defines a `register`/`unregister` classmethod: its
   *  registration may do more than UI (properties on bpy.types, handlers), so it is never gated. */
  selfRegister: boolean;
}

/** The class facts of one file's expressions, resolved through the add-on; memoized for the file. */
export class UiClasses {
  private readonly addon: AddonModel;
  private readonly module: string;
  private readonly memo = new Map<string, ClassFacts | null>();

  constructor(model: FileModel) {
    this.addon = model.addon;
    this.module = model.module;
  }

  /** Facts about the class an expression (`X`, `ui.X`, `bpy.types.Panel`) stands for; null when unknown. */
  facts(node: SyntaxNode): ClassFacts | null {
    if (node.type !== 'identifier' && node.type !== 'attribute') return null;
    return this.base(this.module, node.text.replace(/\s+/g, ''), 0);
  }

  /** A class expression as written in `module` (whitespace removed): a name, or `module.Name`. */
  private base(module: string, text: string, depth: number): ClassFacts | null {
    if (!text.includes('.')) return this.named(module, text, depth);
    const m = /^(.+)\.(\w+)$/.exec(text);
    if (!m) return null;
    if (this.isTypesModule(module, m[1])) return { ui: UI_BASES.has(m[2]), selfRegister: false };
    if (m[1].includes('.')) return null;
    const sub = this.submodule(module, m[1]);
    return sub ? this.named(sub, m[2], depth + 1) : null;
  }

  /** The class `name` of `module`: defined there, or imported there from bpy.types or the add-on. */
  private named(module: string, name: string, depth: number): ClassFacts | null {
    const key = `${module}\u0000${name}`;
    if (this.memo.has(key)) return this.memo.get(key)!;
    if (depth > MAX_DEPTH) return null;
    this.memo.set(key, null); // cycle guard
    const idx = this.addon.index(module);
    const cls = idx?.classes.get(name);
    const imp = cls ? undefined : idx?.imports.get(name);
    const result = cls ? this.ofClass(module, cls, depth) : imp ? this.imported(module, imp, depth) : null;
    this.memo.set(key, result);
    return result;
  }

  private ofClass(module: string, cls: ClassDef, depth: number): ClassFacts {
    let ui = false;
    let selfRegister = cls.methods.has('register') || cls.methods.has('unregister');
    for (const b of cls.bases) {
      const f = this.base(module, b.replace(/\s+/g, ''), depth + 1);
      if (f?.ui) ui = true;
      if (f?.selfRegister) selfRegister = true;
    }
    return { ui, selfRegister };
  }

  /** `from bpy.types import Panel` (a UI base, or another type: known, not UI), `from .ui import X` (X in
   *  ui.py, a class or re-exported there; a submodule named X is no class). */
  private imported(module: string, imp: ImportBinding, depth: number): ClassFacts | null {
    if (imp.name === null) return null;
    if (imp.module === 'bpy.types') return { ui: UI_BASES.has(imp.name), selfRegister: false };
    if (!imp.module.startsWith('.')) return null;
    const target = absoluteModule(this.addon, module, imp.module);
    if (this.addon.modules.has(join(target, imp.name))) return null;
    return this.addon.modules.has(target) ? this.named(target, imp.name, depth + 1) : null;
  }

  /** Whether `local` names the bpy.types module in `module`: `bpy.types`, `import bpy.types as T`, `from
   *  bpy import types`. */
  private isTypesModule(module: string, local: string): boolean {
    if (local === 'bpy.types') return true;
    const imp = this.addon.index(module)?.imports.get(local);
    return !!imp && ((imp.module === 'bpy.types' && imp.name === null) || (imp.module === 'bpy' && imp.name === 'types'));
  }

  /** The add-on module a name of `module` stands for: `ui` after `from . import ui`. */
  private submodule(module: string, local: string): string | null {
    const imp = this.addon.index(module)?.imports.get(local);
    if (!imp || imp.name === null || !imp.module.startsWith('.')) return null;
    const sub = join(absoluteModule(this.addon, module, imp.module), imp.name);
    return this.addon.modules.has(sub) ? sub : null;
  }
}

function join(module: string, name: string): string {
  return module ? `${module}.${name}` : name;
}

// ---------------------------------------------------------------------------------------------------
// Uses of a class that do not depend on it being registered, here and in the add-on's other files.

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
 *  "file:line", or null. Such a use (a second registration, a lookup) makes gating it here unsafe. Only for
 *  a file that is one of the add-on's modules; the others are parsed (once, by the model) only when their
 *  text has the name. */
export function foreignUse(model: FileModel, name: string): string | null {
  const addon = model.addon;
  if (!addon.root || !addon.moduleOfFile(model.absPath)) return null;
  for (const m of addon.modules.values()) {
    if (m.file === model.absPath) continue;
    for (const id of identifiersNamed(m.text, name, () => addon.index(m.name)!.tree)) {
      if (!harmlessUse(id)) return `${path.basename(m.file)}:${id.startPosition.row + 1}`;
    }
  }
  return null;
}
