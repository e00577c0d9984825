// BGS003: `bpy.context.scene`, `bpy.data.objects`, … in code that runs while an add-on is enabled.
// addon_utils.enable() imports the add-on and calls register() under `RestrictBlend`: bpy.context is a
// `_RestrictContext` (only `window_manager` and `preferences`) and bpy.data a `_RestrictData` (nothing), in the
// GUI as well as headless. The fix moves the statements of register() that need them into a persistent
// load_post handler, which Blender runs after each .blend is loaded (the start-up file too), headless as well
// (timers, the usual GUI answer, never fire in background mode).
import { ensureImport } from '../src/syntax/edits.js';
import { enclosingFunction, isGuarded, isField, isMainGuard } from '../src/syntax/scope.js';
import { endsLine, lineEndOf, lineIndent, lineStartOf, startsLine } from '../src/syntax/source.js';
import type { Edit, SyntaxNode, RuleContext } from '../src/types.js';
import { defineRule } from '../src/rule.js';

/** `bpy.context.<attr>` / `bpy.data.<attr>`. */
const ACCESS_QUERY = `(
  (attribute
    object: (attribute
      object: (identifier) @_bpy
      attribute: (identifier) @which)
    attribute: (identifier) @attr) @access
  (#eq? @_bpy "bpy")
  (#match? @which "^(context|data)$"))`;

/** `<name>.<attr>`, for names bound to bpy.context / bpy.data inside a function. */
const NAME_ATTRIBUTE_QUERY = `(attribute object: (identifier) @name attribute: (identifier) @attr) @access`;

/** `x = bpy.context` / `x = bpy.data`. */
const ALIAS_ASSIGNMENT_QUERY = `(
  (assignment
    left: (identifier) @name
    right: (attribute object: (identifier) @_bpy attribute: (identifier) @which)) @binding
  (#eq? @_bpy "bpy")
  (#match? @which "^(context|data)$"))`;

/** `from bpy import context` / `from bpy import data as D`. */
const ALIAS_IMPORT_QUERY = `(
  (import_from_statement
    module_name: (dotted_name) @_module
    name: [
      (dotted_name) @which
      (aliased_import name: (dotted_name) @which alias: (identifier) @alias)
    ]) @binding
  (#eq? @_module "bpy")
  (#match? @which "^(context|data)$"))`;

/** What the restricted context still has while an add-on loads. */
const ALLOWED_CONTEXT = new Set(['window_manager', 'preferences']);

const IDENTIFIER_QUERY = '(identifier) @id';

/** Calls that only read or compute: a statement making only these may run again on every file load. */
const HARMLESS_BUILTINS = new Set([
  'abs', 'all', 'any', 'bool', 'dict', 'enumerate', 'filter', 'float', 'format', 'getattr', 'hasattr', 'int',
  'isinstance', 'iter', 'len', 'list', 'map', 'max', 'min', 'next', 'print', 'range', 'repr', 'reversed',
  'round', 'set', 'sorted', 'str', 'sum', 'tuple', 'zip',
]);
const HARMLESS_METHODS = new Set([
  'count', 'endswith', 'find', 'format', 'get', 'index', 'is_property_set', 'items', 'join', 'keys', 'lower',
  'lstrip', 'replace', 'rstrip', 'split', 'startswith', 'strip', 'upper', 'values',
]);

const HANDLER_NAME = '_setup_after_load';
const HANDLER_COMMENT =
  '# Runs after each .blend is loaded: bpy.context and bpy.data are restricted while register() runs.';

// ---------------------------------------------------------------------------------------------------
// Where code runs.

type When =
  | { kind: 'register'; fn: SyntaxNode }
  | { kind: 'import' }
  | { kind: 'import-call'; fn: SyntaxNode }
  | { kind: 'class-register'; fn: SyntaxNode; cls: string }
  /** Reached from register() through another file of the add-on: the fix belongs where that call is. */
  | { kind: 'other-file'; fn: SyntaxNode; where: string; entryFile: string };

interface Module {
  root: SyntaxNode;
  defs: Map<string, SyntaxNode>;
  register: SyntaxNode | null;
  unregister: SyntaxNode | null;
  /** Functions reached from register() by plain `name(...)` calls. */
  registerReach: Set<number>;
  /** Functions called at module level (outside `if __name__ == "__main__":`) and what they reach. */
  importReach: Set<number>;
  /** The file is an add-on module: it has bl_info or defines register(). */
  isAddon: boolean;
}

function moduleDefs(root: SyntaxNode): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  for (const stmt of root.namedChildren) {
    const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    const name = def?.type === 'function_definition' ? def.childForFieldName('name')?.text : undefined;
    if (def && name) out.set(name, def);
  }
  return out;
}

/** Plain `name(...)` calls under `node`, not inside nested functions or classes (nor `__main__` blocks). */
function plainCalls(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      if (c.type === 'function_definition' || c.type === 'lambda' || c.type === 'class_definition') continue;
      if (c.type === 'decorated_definition' || isMainGuard(c)) continue;
      if (c.type === 'call' && c.childForFieldName('function')?.type === 'identifier') out.push(c);
      visit(c);
    }
  };
  if (node.type === 'call' && node.childForFieldName('function')?.type === 'identifier') out.push(node);
  visit(node);
  return out;
}

function reach(defs: Map<string, SyntaxNode>, from: SyntaxNode[]): Set<number> {
  const seen = new Set<number>();
  const queue: SyntaxNode[] = [];
  const push = (n: SyntaxNode): void => {
    for (const call of plainCalls(n)) {
      const def = defs.get(call.childForFieldName('function')!.text);
      if (def && !seen.has(def.id)) {
        seen.add(def.id);
        queue.push(def);
      }
    }
  };
  for (const n of from) push(n);
  while (queue.length > 0) push(queue.pop()!.childForFieldName('body')!);
  return seen;
}

const moduleCache = new WeakMap<object, Module>();

function moduleOf(root: SyntaxNode): Module {
  const cached = moduleCache.get(root);
  if (cached) return cached;
  const defs = moduleDefs(root);
  const register = defs.get('register') ?? null;
  const registerReach = register ? reach(defs, [register.childForFieldName('body')!]) : new Set<number>();
  if (register) registerReach.add(register.id);
  const topLevel = root.namedChildren.filter(
    (n) => n.type !== 'function_definition' && n.type !== 'decorated_definition' && n.type !== 'class_definition' && !isMainGuard(n),
  );
  const isAddon =
    !!register || root.namedChildren.some((n) => n.type === 'expression_statement' && /^bl_info\s*=/.test(n.text));
  const m: Module = {
    root,
    defs,
    register,
    unregister: defs.get('unregister') ?? null,
    registerReach,
    importReach: reach(defs, topLevel),
    isAddon,
  };
  moduleCache.set(root, m);
  return m;
}

function underMainGuard(node: SyntaxNode): boolean {
  for (let p = node.parent; p; p = p.parent) if (isMainGuard(p)) return true;
  return false;
}

function whenItRuns(ctx: RuleContext, m: Module, node: SyntaxNode): When | null {
  const local = whenItRunsHere(m, node);
  if (local || ctx.model.addon.modules.size < 2) return local;
  const lt = ctx.model.loadTimes(node).find((l) => l.kind === 'register' && l.reach && l.reach.entry.module !== ctx.model.module);
  const fn = enclosingFunction(node);
  if (!lt?.reach || !fn) return null;
  return { kind: 'other-file', fn, where: ctx.model.describe(lt), entryFile: ctx.model.relativePath(lt.reach.entry.module) };
}

function whenItRunsHere(m: Module, node: SyntaxNode): When | null {
  const fn = enclosingFunction(node);
  if (!fn) return m.isAddon && !underMainGuard(node) ? { kind: 'import' } : null;
  if (fn.type === 'lambda') return null;
  if (m.registerReach.has(fn.id)) return { kind: 'register', fn };
  if (m.importReach.has(fn.id)) return m.isAddon ? { kind: 'import-call', fn } : null;
  // A class's `register()` classmethod runs from register_class(), inside the add-on's register().
  const name = fn.childForFieldName('name')?.text;
  const holder = fn.parent?.type === 'decorated_definition' ? fn.parent : fn;
  const cls = holder.parent?.parent;
  if (name === 'register' && holder.parent?.type === 'block' && cls?.type === 'class_definition' && m.register) {
    return { kind: 'class-register', fn, cls: cls.childForFieldName('name')?.text ?? 'the class' };
  }
  return null;
}

/** A condition that keeps the access from running restricted: it tests for the restriction itself. */
function guardsRestriction(text: string): boolean {
  return /_Restrict|hasattr\s*\(\s*bpy\.(context|data)\b|isinstance\s*\(\s*bpy\.(context|data)\b/.test(text);
}

// ---------------------------------------------------------------------------------------------------
// Names in register(): where each identifier occurs and whether that occurrence binds it.

const PATTERN_TYPES = new Set(['pattern_list', 'tuple_pattern', 'list_pattern', 'list_splat_pattern', 'parenthesized_expression']);
const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'dictionary_comprehension', 'generator_expression']);

/** The node that binds the identifier `id` (an assignment, a for, a parameter…), or null for a read. */
function binderOf(id: SyntaxNode): SyntaxNode | null {
  let child = id;
  let p = id.parent;
  while (p && PATTERN_TYPES.has(p.type)) {
    child = p;
    p = p.parent;
  }
  if (!p) return null;
  switch (p.type) {
    case 'assignment':
    case 'augmented_assignment':
    case 'for_statement':
    case 'for_in_clause':
      return isField(p, 'left', child) ? p : null;
    case 'named_expression':
      return isField(p, 'name', child) ? p : null;
    case 'as_pattern_target':
    case 'parameters':
    case 'lambda_parameters':
    case 'global_statement':
    case 'nonlocal_statement':
      return p;
    case 'function_definition':
    case 'class_definition':
      return isField(p, 'name', child) ? p : null;
    case 'aliased_import':
      return isField(p, 'alias', child) ? p : null;
    case 'dotted_name':
      return p.parent && (p.parent.type === 'import_statement' || p.parent.type === 'import_from_statement') &&
        !isField(p.parent, 'module_name', p) && p.namedChildren[0]?.id === child.id
        ? p.parent
        : null;
    default:
      if (['default_parameter', 'typed_parameter', 'typed_default_parameter'].includes(p.type)) {
        return isField(p, 'value', child) || isField(p, 'type', child) ? null : p;
      }
      return null;
  }
}

interface Occurrence {
  node: SyntaxNode;
  name: string;
  binds: boolean;
}

/** Variable names in `scope` (not attribute names, keyword-argument names, nor names local to a
 *  comprehension or lambda inside it). */
function occurrencesIn(ctx: RuleContext, scope: SyntaxNode): Occurrence[] {
  const out: Occurrence[] = [];
  for (const { id } of ctx.matches(IDENTIFIER_QUERY, scope)) {
    const p = id.parent;
    if (p?.type === 'attribute' && isField(p, 'attribute', id)) continue;
    if (p?.type === 'keyword_argument' && isField(p, 'name', id)) continue;
    if (innerLocal(id, scope)) continue;
    out.push({ node: id, name: id.text, binds: binderOf(id) !== null });
  }
  return out;
}

/** True when a comprehension or lambda between `id` and `scope` binds `id`'s name itself. */
function innerLocal(id: SyntaxNode, scope: SyntaxNode): boolean {
  for (let p = id.parent; p && p.id !== scope.id; p = p.parent) {
    if (COMPREHENSIONS.has(p.type)) {
      for (const clause of p.namedChildren) {
        if (clause.type !== 'for_in_clause') continue;
        const left = clause.childForFieldName('left');
        if (left && left.descendantsOfType('identifier').some((n) => n.text === id.text)) return true;
      }
    }
    if (p.type === 'lambda') {
      const params = p.childForFieldName('parameters');
      if (params && params.descendantsOfType('identifier').some((n) => n.text === id.text)) return true;
    }
    if (p.type === 'function_definition' && p.id !== scope.id) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// The fix: move the statements of register() that need the real context into a load_post handler.

type Plan = { edits: Edit[]; handler: string; count: number } | { reason: string };

function statementIn(block: SyntaxNode, node: SyntaxNode): SyntaxNode | null {
  for (let n: SyntaxNode | null = node; n; n = n.parent) if (n.parent?.id === block.id) return n;
  return null;
}

function within(node: SyntaxNode, outer: SyntaxNode): boolean {
  return node.startIndex >= outer.startIndex && node.endIndex <= outer.endIndex;
}

function firstLine(text: string, max = 60): string {
  const line = text.split(/\r?\n/)[0];
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/** Names bound by occurrences under `node` (assignments, loops, parameters, …). */
function namesBoundIn(node: SyntaxNode): Set<string> {
  const out = new Set<string>();
  for (const id of node.descendantsOfType('identifier')) if (binderOf(id)) out.add(id.text);
  return out;
}

/** The root of a target `a.b[c].d`: the identifier `a`, or 'bpy-data' for `bpy.context.x…` / `bpy.data.x…`. */
function targetRoot(target: SyntaxNode): string | null {
  let n = target;
  const chain: SyntaxNode[] = [];
  while (n.type === 'attribute' || n.type === 'subscript') {
    chain.unshift(n);
    n = (n.type === 'attribute' ? n.childForFieldName('object') : n.childForFieldName('value'))!;
  }
  if (n.type !== 'identifier') return null;
  if (n.text === 'bpy' && chain.length >= 2 && chain[0].type === 'attribute') {
    const which = chain[0].childForFieldName('attribute')?.text;
    if (which === 'context' || which === 'data') return 'bpy-data';
  }
  return n.text;
}

/** Why running the statements under `node` after every file load (instead of once at enable time) could
 *  change what the add-on does, or null: every call only reads or computes (following this module's
 *  functions it calls) and every attribute or item it sets belongs to Blender's data (`bpy.context.…`,
 *  `bpy.data.…`) or to a name bound in the same statements. */
function sideEffect(m: Module, node: SyntaxNode, local: Set<string>, seen = new Set<number>()): string | null {
  for (const g of node.descendantsOfType(['global_statement', 'nonlocal_statement'])) {
    return `\`${firstLine(g.text)}\` changes a module-level name`;
  }
  const targets: SyntaxNode[] = [];
  for (const a of node.descendantsOfType(['assignment', 'augmented_assignment'])) {
    const left = a.childForFieldName('left');
    if (left) targets.push(left);
    if (a.type === 'augmented_assignment' && left && left.type !== 'identifier') {
      return `\`${firstLine(a.text)}\` would add up again after every file load`;
    }
  }
  for (const d of node.descendantsOfType('delete_statement')) targets.push(...d.namedChildren);
  const flat = (t: SyntaxNode): SyntaxNode[] =>
    PATTERN_TYPES.has(t.type) || t.type === 'expression_list' ? t.namedChildren.flatMap(flat) : [t];
  for (const t of targets.flatMap(flat)) {
    if (t.type !== 'attribute' && t.type !== 'subscript') continue;
    const root = targetRoot(t);
    if (root === 'bpy-data' || (root !== null && local.has(root))) continue;
    return (
      `it sets \`${firstLine(t.text, 40)}\`, which is not part of the loaded file's data, so setting it after each ` +
      'file load instead of at enable time changes what the add-on does'
    );
  }
  for (const call of node.descendantsOfType('call')) {
    const f = call.childForFieldName('function');
    if (f?.type === 'identifier') {
      if (HARMLESS_BUILTINS.has(f.text)) continue;
      const def = m.defs.get(f.text);
      if (def) {
        if (seen.has(def.id)) continue;
        seen.add(def.id);
        const inner = sideEffect(m, def.childForFieldName('body')!, namesBoundIn(def), seen);
        if (inner) return inner;
        continue;
      }
    } else if (f?.type === 'attribute' && HARMLESS_METHODS.has(f.childForFieldName('attribute')?.text ?? '')) {
      continue;
    }
    return (
      `\`${firstLine(call.text)}\` may create, change or register something, and a load_post handler runs ` +
      'after every .blend is loaded, so it would be done again for each file'
    );
  }
  return null;
}

/** Standalone comment lines right above `stmt` (no blank line between): they travel with it. */
function leadingStart(ctx: RuleContext, stmt: SyntaxNode): number {
  let start = stmt.startIndex;
  let row = stmt.startPosition.row;
  for (let s = stmt.previousNamedSibling; s && s.type === 'comment'; s = s.previousNamedSibling) {
    if (!startsLine(ctx.source, s.startIndex) || s.endPosition.row + 1 !== row) break;
    start = s.startIndex;
    row = s.startPosition.row;
  }
  return start;
}

/** Offset just past the newline that ends the line holding `offset` (or the end of the source). */
function pastLine(source: string, offset: number): number {
  const end = lineEndOf(source, offset);
  if (source.startsWith('\r\n', end)) return end + 2;
  if (source.startsWith('\n', end)) return end + 1;
  return end;
}

function freeName(ctx: RuleContext): string {
  const taken = new Set(ctx.matches(IDENTIFIER_QUERY).map((m) => m.id.text));
  if (!taken.has(HANDLER_NAME)) return HANDLER_NAME;
  let i = 2;
  while (taken.has(`${HANDLER_NAME}_${i}`)) i++;
  return `${HANDLER_NAME}_${i}`;
}

const MOVABLE_TYPES = new Set(['expression_statement', 'for_statement', 'if_statement', 'delete_statement', 'import_from_statement']);

function planFix(ctx: RuleContext, m: Module, register: SyntaxNode, initial: SyntaxNode[]): Plan {
  const { source, newline: nl } = ctx;
  const body = register.childForFieldName('body')!;
  if (body.startPosition.row === register.startPosition.row) return { reason: 'register() is written on one line' };
  if (register.parent?.type === 'decorated_definition') return { reason: 'register() is decorated' };
  const unregister = m.unregister;
  if (!unregister) return { reason: 'the module has no unregister() to remove the handler in' };
  const unBody = unregister.childForFieldName('body')!;
  if (unBody.startPosition.row === unregister.startPosition.row) return { reason: 'unregister() is written on one line' };
  for (const n of body.descendantsOfType(['return_statement', 'yield', 'global_statement', 'nonlocal_statement'])) {
    if (enclosingFunction(n)?.id === register.id) return { reason: `register() has \`${firstLine(n.text, 30)}\`` };
  }

  // The statements to move: those that need the context, and those that use names they set.
  const statements = body.namedChildren.filter((n) => n.type !== 'comment');
  const occurrences = occurrencesIn(ctx, body);
  const moved = new Set(initial.map((n) => n.id));
  const boundInMoved = (): Set<string> =>
    new Set(occurrences.filter((o) => o.binds && statements.some((t) => moved.has(t.id) && within(o.node, t))).map((o) => o.name));
  for (let changed = true; changed; ) {
    changed = false;
    for (const s of statements) {
      if (moved.has(s.id)) continue;
      const follows = occurrences.some(
        (o) =>
          !o.binds &&
          within(o.node, s) &&
          occurrences.some((b) => b.binds && b.name === o.name && b.node.startIndex < s.startIndex && statements.some((t) => moved.has(t.id) && within(b.node, t))),
      );
      if (follows && !sideEffect(m, s, new Set([...boundInMoved(), ...namesBoundIn(s)]))) {
        moved.add(s.id);
        changed = true;
        continue;
      }
      // `C = bpy.context` / `from bpy import data as D` goes with the moved statements that use the name.
      if (/^(\w+\s*=\s*bpy\.(context|data)|from\s+bpy\s+import\s+(context|data)(\s+as\s+\w+)?)\s*$/.test(s.text)) {
        const bound = namesBoundIn(s);
        const used = occurrences.some(
          (o) => !o.binds && bound.has(o.name) && statements.some((t) => moved.has(t.id) && within(o.node, t)),
        );
        if (used) {
          moved.add(s.id);
          changed = true;
        }
      }
    }
  }
  const chosen = statements.filter((s) => moved.has(s.id));
  const isMoved = (n: SyntaxNode): boolean => chosen.some((s) => within(n, s));

  for (const s of chosen) {
    if (!startsLine(source, s.startIndex) || !endsLine(source, s.endIndex)) {
      return { reason: `\`${firstLine(s.text)}\` shares its line with other code` };
    }
    if (!MOVABLE_TYPES.has(s.type)) return { reason: `\`${firstLine(s.text)}\` is a ${s.type.replace(/_/g, ' ')}` };
  }
  const local = new Set(occurrences.filter((o) => o.binds && isMoved(o.node)).map((o) => o.name));
  for (const s of chosen) {
    const effect = sideEffect(m, s, local);
    if (effect) return { reason: effect };
  }

  // Names: the moved statements may use only module-level names and their own.
  const boundOutside = new Set(occurrences.filter((o) => o.binds && !isMoved(o.node)).map((o) => o.name));
  for (const p of register.childForFieldName('parameters')?.descendantsOfType('identifier') ?? []) boundOutside.add(p.text);
  const boundInside = new Set(occurrences.filter((o) => o.binds && isMoved(o.node)).map((o) => o.name));
  for (const o of occurrences) {
    if (isMoved(o.node) && boundOutside.has(o.name)) {
      return { reason: `\`${o.name}\` is a local variable of register() set outside the statements to move` };
    }
    if (!isMoved(o.node) && boundInside.has(o.name)) {
      return { reason: `register() uses \`${o.name}\` outside the statements that need the context` };
    }
  }

  // Build the edits.
  const handler = freeName(ctx);
  const indent = lineIndent(source, chosen[0].startIndex);
  const edits: Edit[] = [];
  let movedText = '';
  chosen.forEach((s, i) => {
    const start = lineStartOf(source, leadingStart(ctx, s));
    const end = pastLine(source, s.endIndex);
    let text = source.slice(start, end);
    if (!text.endsWith('\n')) text += nl;
    movedText += text;
    // The handler is appended where the last moved statement was: after what it depends on is set up.
    const last = i === chosen.length - 1;
    edits.push({ start, end, text: last ? `${indent}bpy.app.handlers.load_post.append(${handler})${nl}` : '' });
  });
  // The handler goes right above register() (and the comments about it), with the file's spacing.
  const defStart = lineStartOf(source, leadingStart(ctx, register));
  let blank = 0;
  for (let at = defStart; at > 0; ) {
    const prevStart = lineStartOf(source, at - 1);
    if (!/^[ \t]*\r?\n?$/.test(source.slice(prevStart, at))) break;
    blank++;
    at = prevStart;
  }
  const gap = nl.repeat(defStart === 0 ? 2 : Math.max(1, blank));
  const importEdit = ensureImport(ctx, 'bpy', defStart);
  if (importEdit) edits.unshift(importEdit);
  edits.push({
    start: defStart,
    end: defStart,
    text: `@bpy.app.handlers.persistent${nl}def ${handler}(*_args):${nl}${indent}${HANDLER_COMMENT}${nl}${movedText}${gap}`,
  });
  // unregister() removes it first (it is absent when register() failed before appending it).
  const unStatements = unBody.namedChildren.filter((n) => n.type !== 'comment');
  const isDoc = (n: SyntaxNode | undefined): boolean => n?.type === 'expression_statement' && n.firstNamedChild?.type === 'string';
  const firstReal = unStatements.find((n, i) => !(i === 0 && isDoc(n)));
  const unIndent = lineIndent(source, (firstReal ?? unStatements[0]).startIndex);
  const unit = /^\t+$/.test(unIndent) ? '\t' : ctx.indentUnit;
  const removal = [
    `if ${handler} in bpy.app.handlers.load_post:`,
    `${unIndent}${unit}bpy.app.handlers.load_post.remove(${handler})`,
  ].join(nl);
  if (firstReal) {
    if (!startsLine(source, firstReal.startIndex)) return { reason: 'the first statement of unregister() shares its line' };
    const at = leadingStart(ctx, firstReal);
    edits.push({ start: at, end: at, text: `${removal}${nl}${unIndent}` });
  } else {
    const doc = unStatements[0];
    const at = lineEndOf(source, doc.endIndex);
    edits.push({ start: at, end: at, text: `${nl}${unIndent}${removal}` });
  }
  return { edits, handler, count: chosen.length };
}

// ---------------------------------------------------------------------------------------------------

const BY_HAND =
  'By hand: move this work into a function decorated with `@bpy.app.handlers.persistent` that takes ' +
  '`*args`, append it to `bpy.app.handlers.load_post` in register() and remove it in unregister() ' +
  '(`if f in bpy.app.handlers.load_post: bpy.app.handlers.load_post.remove(f)`); it then runs after each ' +
  '.blend is loaded, headless too (timers never fire in background mode). Work that must happen once (creating ' +
  'data) belongs in an operator or where the data is first needed instead';

function restrictedName(which: string): string {
  return which === 'context' ? '_RestrictContext' : '_RestrictData';
}

export const restrictedContextInRegister = defineRule({
  code: 'BGS003',
  slug: 'restricted-context-in-register',
  summary: '`bpy.context.scene`, `bpy.data.objects`, … used while the add-on is imported or registered',
  fixKind: 'unsafe',
  defaultEnabled: true,
  docs: {
    whatItFinds:
      '`bpy.context.<attribute>` (anything but `window_manager` and `preferences`: `scene`, `view_layer`, ' +
      '`active_object`, `object`, `selected_objects`, `mode`, …) and `bpy.data.<attribute>` (`objects`, ' +
      '`scenes[0]`, `filepath`, …) in code that runs while the add-on is enabled: in register() and the ' +
      "functions of the same file it calls, in a class's `register()` classmethod, and at import (module level, " +
      'class bodies, functions called at module level) of a file with `bl_info` or `register()`. Also ' +
      '`from bpy import context` / `C = bpy.context` at module level, which keep the restricted object for good. ' +
      'Left alone: code inside a try/except or behind a check for the restriction ' +
      '(`hasattr(bpy.data, "objects")`), `getattr(bpy.context, "scene", None)`, operator, panel, draw and ' +
      'handler code, code under `if __name__ == "__main__":`, and scripts without `bl_info`/`register()` ' +
      '(presets, `--python` scripts).',
    whyItBreaks:
      'addon_utils.enable() imports the add-on and calls its register() inside `RestrictBlend`: `bpy.context` ' +
      'is replaced by a `_RestrictContext` that has only `window_manager` and `preferences`, and `bpy.data` by ' +
      'an empty `_RestrictData`. This happens in the GUI too (enabling in Preferences, or at start-up from saved ' +
      "preferences), not only headless. `bpy.context.scene` raises `AttributeError: '_RestrictContext' object " +
      "has no attribute 'scene'`; `bpy.data.objects` raises `AttributeError: '_RestrictData' object has no " +
      "attribute 'objects'`; the caveats guide's `bpy.data.scenes[0]` fails the same way (`... no attribute " +
      "'scenes'`). register() stops there and the add-on is not enabled. A module-level `from bpy import " +
      'context` keeps the `_RestrictContext` for good, so later uses fail the same way. Measured in Blender ' +
      '3.4.1 and 4.3.2. When a persistent load_post handler runs (measured in both): after the start-up file ' +
      'loads when the add-on is enabled at start-up from preferences (`blender -b`, also before a .blend given ' +
      'on the command line, which gets a second call), after every `wm.read_homefile()` / ' +
      '`wm.open_mainfile()`; not when the add-on is enabled by `--addons` or `addon_utils.enable()` until a ' +
      'file is loaded afterwards (`--addons x file.blend` runs it, `file.blend --addons x` does not). Its ' +
      "arguments differ by version (3.4.1: `(None, None)`; 4.3.2: `(filepath, None)`), hence `*_args`. A " +
      'handler without `@persistent` is dropped when a file loads. bpy.app.timers never fire in background ' +
      'mode, so a timer is no headless answer.',
    example: {
      before: [
        'def register():',
        '    bpy.utils.register_class(SceneTally)',
        '    bpy.types.Scene.tally = bpy.props.PointerProperty(type=SceneTally)',
        '    bpy.context.scene.tally.step = 2',
        '',
        '',
        'def unregister():',
        '    del bpy.types.Scene.tally',
        '    bpy.utils.unregister_class(SceneTally)',
        '',
      ].join('\n'),
      after: [
        '@bpy.app.handlers.persistent',
        `def ${HANDLER_NAME}(*_args):`,
        `    ${HANDLER_COMMENT}`,
        '    bpy.context.scene.tally.step = 2',
        '',
        '',
        'def register():',
        '    bpy.utils.register_class(SceneTally)',
        '    bpy.types.Scene.tally = bpy.props.PointerProperty(type=SceneTally)',
        `    bpy.app.handlers.load_post.append(${HANDLER_NAME})`,
        '',
        '',
        'def unregister():',
        `    if ${HANDLER_NAME} in bpy.app.handlers.load_post:`,
        `        bpy.app.handlers.load_post.remove(${HANDLER_NAME})`,
        '    del bpy.types.Scene.tally',
        '    bpy.utils.unregister_class(SceneTally)',
        '',
      ].join('\n'),
    },
    fixSafety:
      'Unsafe (applied with --unsafe-fixes): the code never worked as written when the add-on is enabled, but ' +
      'the fix decides when the work runs instead: after each .blend is loaded (the start-up file, File > New, ' +
      'File > Open, `wm.open_mainfile()`), not at the moment the add-on is enabled. Enabled in Preferences of a ' +
      'running GUI session (or when a script calls register() directly), the work waits for the next file ' +
      'load; it also runs again for every file, so a value it sets overwrites the one saved in the file. The handler does not remove itself (removing a ' +
      "handler while Blender calls the list makes Blender skip the next handler, measured). Moved: the top-level " +
      'statements of register() that need the context or data (or call a function of the file that does), ' +
      'and the statements after them that use names they set; they must be assignments, `for`/`if` ' +
      'statements or calls that only read or compute (`len`, `getattr`, `.get`, …), and set only attributes ' +
      'or items of `bpy.context.…`, `bpy.data.…` or names bound in the moved statements. Report only, with the ' +
      'manual fix, where the statements call anything that may create or register something (`.new()`, ' +
      '`bpy.ops`, `register_class`: repeated on every load), set something else (a class attribute, a ' +
      'module-level name), use local variables of register(), set names ' +
      'register() uses later, add up (`+=`), share a line, where register() can return early, or where there ' +
      'is no unregister(); and for code at import or in a class `register()` classmethod.',
  },
  messages: {
    deferToLoadPost:
      "`{access}` raises `AttributeError: '{restricted}' object has no attribute '{attr}'` while {where} runs " +
      '(the add-on fails to enable, in the GUI too); {count} moved to `{handler}`, a persistent load_post ' +
      'handler that runs after each .blend is loaded (the start-up file too, headless too) instead of at enable time',
    deferNoFix:
      "`{access}` raises `AttributeError: '{restricted}' object has no attribute '{attr}'` while {where} runs, " +
      `so the add-on fails to enable, in the GUI too. No automatic fix because {reason}. ${BY_HAND}`,
    atImport:
      "`{access}` raises `AttributeError: '{restricted}' object has no attribute '{attr}'` {where}: add-on " +
      'modules are imported while bpy.context and bpy.data are restricted, so the add-on fails to enable, in ' +
      `the GUI too. ${BY_HAND}; or compute the value where it is used`,
    capturedAtImport:
      '`{binding}` runs while the add-on is imported, when `bpy.{which}` is the restricted `{restricted}`: ' +
      '`{name}` keeps it for good, so `{name}.{example}` raises AttributeError whenever it runs, in the GUI ' +
      'too. By hand: remove it and write `bpy.{which}` where it is used (or the `context` argument of ' +
      'operators, panels and handlers)',
    inClassRegister:
      "`{access}` raises `AttributeError: '{restricted}' object has no attribute '{attr}'`: `{cls}.register()` " +
      'runs from register_class() inside the add-on\'s register(), while bpy.context and bpy.data are ' +
      `restricted. ${BY_HAND}`,
  },
  prefilter: ['bpy.context', 'bpy.data', 'from bpy import'],
  errorPatterns: [/'_RestrictContext' object has no attribute/, /'_RestrictData' object has no attribute/],

  check(ctx) {
    const m = moduleOf(ctx.tree.rootNode);
    if (!m.isAddon && ctx.model.addon.modules.size < 2) return;

    // Names bound to bpy.context / bpy.data: at import they capture the restricted objects (reported);
    // inside a function they are aliases whose attributes count as accesses.
    const aliases = new Map<number, Map<string, string>>();
    const bindings = [
      ...ctx.matches(ALIAS_ASSIGNMENT_QUERY).map((b) => ({ binding: b.binding, which: b.which, bound: b.name })),
      ...ctx.matches(ALIAS_IMPORT_QUERY).map((b) => ({ binding: b.binding, which: b.which, bound: b.alias ?? b.which })),
    ];
    for (const { binding, which, bound } of bindings) {
      const when = whenItRuns(ctx, m, binding);
      const fn = enclosingFunction(binding);
      if (fn && fn.type !== 'lambda') {
        const map = aliases.get(fn.id) ?? new Map<string, string>();
        map.set(bound.text, which.text);
        aliases.set(fn.id, map);
        continue;
      }
      if (!fn && when?.kind === 'import') {
        ctx.report({
          messageId: 'capturedAtImport',
          node: binding,
          data: {
            binding: firstLine(binding.text),
            which: which.text,
            name: bound.text,
            restricted: restrictedName(which.text),
            example: which.text === 'context' ? 'scene' : 'objects',
          },
        });
      }
    }

    interface Access {
      node: SyntaxNode;
      which: string;
      attr: string;
      when: When;
    }
    const accesses: Access[] = [];
    const seenStatements = new Set<number>();
    const consider = (node: SyntaxNode, which: string, attr: string): void => {
      if (which === 'context' && ALLOWED_CONTEXT.has(attr)) return;
      const when = whenItRuns(ctx, m, node);
      if (!when) return;
      if (isGuarded(node, guardsRestriction)) return;
      // One finding per statement of the function (or module) body.
      const fn = enclosingFunction(node);
      const top = fn ? fn.childForFieldName('body') : ctx.tree.rootNode;
      let stmt: SyntaxNode = node;
      for (let p = node.parent; p && p.id !== top?.id && p.id !== fn?.id; p = p.parent) stmt = p;
      if (seenStatements.has(stmt.id)) return;
      seenStatements.add(stmt.id);
      accesses.push({ node, which, attr, when });
    };
    for (const { access, which, attr } of ctx.matches(ACCESS_QUERY)) consider(access, which.text, attr.text);
    if (aliases.size > 0) {
      for (const { access, name, attr } of ctx.matches(NAME_ATTRIBUTE_QUERY)) {
        const fn = enclosingFunction(access);
        const which = fn ? aliases.get(fn.id)?.get(name.text) : undefined;
        if (which) consider(access, which, attr.text);
      }
    }
    accesses.sort((a, b) => a.node.startIndex - b.node.startIndex);

    // register(): which of its top-level statements lead to each access.
    const register = m.register;
    const regBody = register?.childForFieldName('body') ?? null;
    const regStatements = regBody ? regBody.namedChildren.filter((n) => n.type !== 'comment') : [];
    const stmtReach = new Map<number, Set<number>>();
    for (const s of regStatements) stmtReach.set(s.id, reach(m.defs, [s]));
    const leadsTo = (a: Access): SyntaxNode[] => {
      if (a.when.kind !== 'register' || !regBody) return [];
      if (a.when.fn.id === register!.id) {
        const s = statementIn(regBody, a.node);
        return s ? [s] : [];
      }
      const fnId = a.when.fn.id;
      return regStatements.filter((s) => stmtReach.get(s.id)!.has(fnId));
    };
    const initial = new Map<number, SyntaxNode>();
    for (const a of accesses) for (const s of leadsTo(a)) initial.set(s.id, s);
    const plan = register && initial.size > 0
      ? planFix(ctx, m, register, [...initial.values()].sort((x, y) => x.startIndex - y.startIndex))
      : null;

    for (const a of accesses) {
      const text = a.node.text;
      const base = { access: text, restricted: restrictedName(a.which), attr: a.attr };
      if (a.when.kind === 'import' || a.when.kind === 'import-call') {
        const where = a.when.kind === 'import'
          ? 'at import'
          : `in \`${a.when.fn.childForFieldName('name')?.text}()\`, called at import`;
        ctx.report({ messageId: 'atImport', node: a.node, data: { ...base, where } });
        continue;
      }
      if (a.when.kind === 'other-file') {
        const reason = `it is reached from register() in \`${a.when.entryFile}\`, through another file`;
        const where = a.when.where.replace(/^in /, '');
        ctx.report({ messageId: 'deferNoFix', node: a.node, data: { ...base, where, reason } });
        continue;
      }
      if (a.when.kind === 'class-register') {
        ctx.report({ messageId: 'inClassRegister', node: a.node, data: { ...base, cls: a.when.cls } });
        continue;
      }
      const fnName = a.when.fn.childForFieldName('name')?.text ?? '';
      const where = a.when.fn.id === register?.id ? 'register()' : `\`${fnName}()\`, called from register(),`;
      const leads = leadsTo(a);
      if (!plan || leads.length === 0 || 'reason' in plan) {
        const reason = !plan || leads.length === 0
          ? 'it is reached from register() only through other functions'
          : (plan as { reason: string }).reason;
        ctx.report({ messageId: 'deferNoFix', node: a.node, data: { ...base, where, reason } });
        continue;
      }
      const count = plan.count === 1 ? 'the statement is' : `the ${plan.count} statements that need it are`;
      ctx.report({
        messageId: 'deferToLoadPost',
        node: a.node,
        data: { ...base, where, count, handler: plan.handler },
        fix: {
          safety: 'unsafe',
          description: `move the statements that need bpy.context/bpy.data into a load_post handler \`${plan.handler}\``,
          edits: plan.edits,
        },
      });
    }
  },
});
