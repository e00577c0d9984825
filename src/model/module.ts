// One file's index, built by one walk of its tree: the functions and classes it defines (by scope), the
// names its imports bind, and every call with the function that makes it. Rules ask this (through the
// add-on model) instead of running their own queries for definitions, imports and calls.
import type { SyntaxNode, Tree } from '../types.js';
import { compileQuery } from '../parse.js';
import { isGuarded, isMainGuard, mentionsBackground } from '../syntax/scope.js';

export interface FunctionDef {
  node: SyntaxNode;
  name: string;
  /** `Class.method`, `outer.inner`, or the plain name of a module-level function. */
  qualname: string;
  /** The class whose body defines it directly (a method), else null. */
  cls: ClassDef | null;
  /** The function whose body defines it (a nested function), else null. */
  parent: FunctionDef | null;
  /** Its decorators' expressions as written (`persistent`, `bpy.app.handlers.persistent`, `classmethod`). */
  decorators: string[];
}

export interface ClassDef {
  node: SyntaxNode;
  name: string;
  qualname: string;
  /** The base classes as written (`bpy.types.Operator`, `Operator`, `MyMixin`). */
  bases: string[];
  methods: Map<string, FunctionDef>;
  /** Class attributes assigned a plain value in the body (`bl_idname = "x.y"`), by name. */
  attributes: Map<string, SyntaxNode>;
}

/** A name bound by an import: `import a.b as m` → m: {module: 'a.b'}; `from .x import f as g` →
 *  g: {module: '.x', name: 'f'}; `import a.b` → a: {module: 'a'} (the top package). */
export interface ImportBinding {
  local: string;
  module: string;
  name: string | null;
  node: SyntaxNode;
}

export interface CallSite {
  node: SyntaxNode;
  /** The called expression as a dotted path (`['self', 'setup']`, `['ops', 'util', 'f']`); null when it is
   *  not a plain dotted name (a subscript, a call result). */
  readonly path: string[] | null;
  /** The function whose body makes the call (lambdas count as the function around them); null at module
   *  level or in a class body. */
  fn: FunctionDef | null;
  /** Under `if __name__ == "__main__":` at module level. */
  inMain: boolean;
  /** Inside a lambda: it runs where the lambda is called, not where it is written. */
  inLambda: boolean;
}

export interface ModuleIndex {
  tree: Tree;
  /** Module-level functions and classes by name. */
  functions: Map<string, FunctionDef>;
  classes: Map<string, ClassDef>;
  /** Every function of the file (methods and nested ones too), by node id. */
  byNode: Map<number, FunctionDef>;
  /** Functions defined in each function's body, by the outer function's node id, then name. */
  nested: Map<number, Map<string, FunctionDef>>;
  imports: Map<string, ImportBinding>;
  /** Every import of the file, in functions too (`def register(): import asyncio`). */
  allImports: ImportBinding[];
  calls: CallSite[];
  /** The calls each function makes in its own body (lambdas included), by the function's node id; the
   *  module's own (module level and class bodies) under 0. */
  callsIn: Map<number, CallSite[]>;
  /** Whether a call is behind a background check (`if not bpy.app.background:`, an earlier `if
   *  bpy.app.background: return`, `… if not bpy.app.background else …`); computed on first ask. */
  guardedHeadless(call: CallSite): boolean;
}

const cache = new WeakMap<Tree, ModuleIndex>();

/** The dotted path of an identifier or attribute chain, or null. */
export function dottedPath(node: SyntaxNode | null | undefined): string[] | null {
  if (!node) return null;
  if (node.type === 'identifier') return [node.text];
  if (node.type === 'attribute') {
    const base = dottedPath(node.childForFieldName('object'));
    const attr = node.childForFieldName('attribute');
    return base && attr ? [...base, attr.text] : null;
  }
  return null;
}

/** The index of a tree. `run` runs the index's query (INDEX_QUERY) over it, where a caller can share that
 *  pass with others (the engine's one pass for all rules); by default it runs alone. */
export function moduleIndex(tree: Tree, run?: (query: string) => Array<Record<string, SyntaxNode>>): ModuleIndex {
  const hit = cache.get(tree);
  if (hit) return hit;
  const guards = new Map<number, boolean>();
  const index: ModuleIndex = {
    tree,
    functions: new Map(),
    classes: new Map(),
    byNode: new Map(),
    nested: new Map(),
    imports: new Map(),
    allImports: [],
    calls: [],
    callsIn: new Map(),
    guardedHeadless(call) {
      let g = guards.get(call.node.id);
      if (g === undefined) guards.set(call.node.id, (g = isGuarded(call.node, mentionsBackground)));
      return g;
    },
  };
  walk(tree, index, { fn: null, cls: null, inMain: false, inLambda: false, prefix: '' }, run);
  cache.set(tree, index);
  return index;
}

interface Place {
  fn: FunctionDef | null;
  cls: ClassDef | null;
  inMain: boolean;
  inLambda: boolean;
  prefix: string;
}

/** The nodes the index keeps, captured in one query: the Node binding then marshals only these, not every
 *  node of the tree (which walking children or a cursor over each node costs). */
export const INDEX_QUERY = `[
  (function_definition) @def
  (class_definition) @class
  (lambda) @lambda
  (call) @call
  (import_statement) @import
  (import_from_statement) @import
]
(module (if_statement) @if)`;

function walk(tree: Tree, index: ModuleIndex, root: Place, run?: (query: string) => Array<Record<string, SyntaxNode>>): void {
  // Each pattern captures one node; each position is read once (every read calls into the native binding).
  const found = run
    ? run(INDEX_QUERY).flatMap((m) => Object.entries(m).map(([name, node]) => ({ name, node })))
    : compileQuery(INDEX_QUERY).captures(tree.rootNode);
  const captures = found.map(({ name, node }) => ({ name, node, start: node.startIndex, end: node.endIndex }));
  // Outer nodes first where two start at one point (`f(x)(y)`), so the stack of scopes nests.
  captures.sort((a, b) => a.start - b.start || b.end - a.end);
  const open: Array<{ end: number; place: Place }> = [];
  for (const { name, node, start, end } of captures) {
    while (open.length > 0 && start >= open[open.length - 1].end) open.pop();
    const at = open.length > 0 ? open[open.length - 1].place : root;
    let inner: Place | null = null;
    switch (name) {
      case 'def': {
        const def = defineFunction(node, index, at.fn, at.cls, at.prefix);
        inner = { fn: def, cls: null, inMain: at.inMain, inLambda: false, prefix: `${def.qualname}.` };
        break;
      }
      case 'class': {
        const cls = defineClass(node, index, at.fn, at.prefix);
        inner = { ...at, cls, prefix: `${cls.qualname}.` };
        break;
      }
      case 'lambda':
        inner = { ...at, inLambda: true };
        break;
      case 'import':
        addImports(node, index, !at.fn && !at.cls);
        break;
      case 'call':
        addCall(node, index, at);
        break;
      case 'if':
        if (isMainGuard(node)) inner = { ...at, inMain: true };
        break;
    }
    if (inner) open.push({ end, place: inner });
  }
}

function addCall(node: SyntaxNode, index: ModuleIndex, at: Place): void {
  // The dotted path is read on first use: most calls of a file are never asked about.
  let path: string[] | null | undefined;
  const call: CallSite = {
    node,
    get path() {
      return path === undefined ? (path = dottedPath(node.childForFieldName('function'))) : path;
    },
    fn: at.fn,
    inMain: at.inMain,
    inLambda: at.inLambda,
  };
  index.calls.push(call);
  const key = at.fn ? at.fn.node.id : 0;
  const list = index.callsIn.get(key);
  if (list) list.push(call);
  else index.callsIn.set(key, [call]);
}

function defineFunction(node: SyntaxNode, index: ModuleIndex, parent: FunctionDef | null, cls: ClassDef | null, prefix: string): FunctionDef {
  const name = node.childForFieldName('name')?.text ?? '?';
  const holder = node.parent;
  const decorators = holder?.type === 'decorated_definition'
    ? holder.namedChildren.filter((d) => d.type === 'decorator').map((d) => d.firstNamedChild?.text ?? '')
    : [];
  const def: FunctionDef = { node, name, qualname: `${prefix}${name}`, cls, parent, decorators };
  index.byNode.set(node.id, def);
  // The first definition of a name wins, as the rules did (a later redefinition under a version check
  // is usually the same function).
  if (cls) {
    if (!cls.methods.has(name)) cls.methods.set(name, def);
  } else if (parent) {
    const m = index.nested.get(parent.node.id) ?? new Map<string, FunctionDef>();
    if (!m.has(name)) m.set(name, def);
    index.nested.set(parent.node.id, m);
  } else if (!index.functions.has(name)) index.functions.set(name, def);
  return def;
}

function defineClass(node: SyntaxNode, index: ModuleIndex, fn: FunctionDef | null, prefix: string): ClassDef {
  const name = node.childForFieldName('name')?.text ?? '?';
  const bases = (node.childForFieldName('superclasses')?.namedChildren ?? [])
    .filter((b) => b.type !== 'keyword_argument')
    .map((b) => b.text);
  const attributes = new Map<string, SyntaxNode>();
  for (const stmt of node.childForFieldName('body')?.namedChildren ?? []) {
    const a = stmt.type === 'expression_statement' ? stmt.firstNamedChild : null;
    if (a?.type !== 'assignment') continue;
    const left = a.childForFieldName('left');
    const right = a.childForFieldName('right');
    if (left?.type === 'identifier' && right) attributes.set(left.text, right);
  }
  const c: ClassDef = { node, name, qualname: `${prefix}${name}`, bases, methods: new Map(), attributes };
  if (!fn && prefix === '' && !index.classes.has(name)) index.classes.set(name, c);
  return c;
}

function addImports(stmt: SyntaxNode, index: ModuleIndex, moduleLevel: boolean): void {
  const bind = (b: ImportBinding): void => {
    index.allImports.push(b);
    if (moduleLevel) index.imports.set(b.local, b);
  };
  if (stmt.type === 'import_statement') {
    for (const n of stmt.childrenForFieldName('name')) {
      if (n.type === 'dotted_name') {
        const top = n.text.split('.')[0];
        bind({ local: top, module: top, name: null, node: stmt });
      } else if (n.type === 'aliased_import') {
        const name = n.childForFieldName('name')?.text;
        const alias = n.childForFieldName('alias')?.text;
        if (name && alias) bind({ local: alias, module: name, name: null, node: stmt });
      }
    }
    return;
  }
  const moduleNode = stmt.childForFieldName('module_name');
  if (!moduleNode) return;
  const module = moduleNode.text.replace(/\s+/g, '');
  for (const n of stmt.childrenForFieldName('name')) {
    if (n.type === 'dotted_name') bind({ local: n.text, module, name: n.text, node: stmt });
    else if (n.type === 'aliased_import') {
      const name = n.childForFieldName('name')?.text;
      const alias = n.childForFieldName('alias')?.text;
      if (name && alias) bind({ local: alias, module, name, node: stmt });
    }
  }
}

/** The local names that `module` (name null) or `module.name` is bound to by the file's imports, in
 *  functions too: `import asyncio as aio` → {aio}; `from bpy.app import timers as t` → {t}. */
export function importedAs(index: ModuleIndex, module: string, name: string | null): Set<string> {
  const out = new Set<string>();
  for (const b of index.allImports) {
    if (b.module === module && b.name === name) out.add(b.local);
  }
  return out;
}

/** The function (lambdas skipped: they run where they are called) whose body holds `node`, from the index. */
export function functionAt(index: ModuleIndex, node: SyntaxNode): FunctionDef | null {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'function_definition') return index.byNode.get(p.id) ?? null;
  }
  return null;
}
