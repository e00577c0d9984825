// Where code runs: at import (module level, class bodies), inside register() or the functions it calls,
// or somewhere that never runs while an add-on loads (draw callbacks, modal/invoke, operators).
import type { SyntaxNode } from '../types.js';

const FUNCTION_TYPES = new Set(['function_definition', 'lambda']);

export function enclosingFunction(node: SyntaxNode): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (FUNCTION_TYPES.has(p.type)) return p;
  return null;
}

export function enclosingClass(node: SyntaxNode): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (p.type === 'class_definition') return p;
  return null;
}

function functionName(fn: SyntaxNode): string | null {
  return fn.type === 'function_definition' ? fn.childForFieldName('name')?.text ?? null : null;
}

/** Functions defined directly in `scope` (a module or function body), by name; decorated ones too. */
function definedFunctions(body: SyntaxNode | null): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  if (!body) return out;
  for (const stmt of body.namedChildren) {
    const def = stmt.type === 'decorated_definition' ? stmt.childForFieldName('definition') : stmt;
    if (def?.type === 'function_definition') {
      const name = functionName(def);
      if (name) out.set(name, def);
    }
  }
  return out;
}

/** Names called as plain `name(...)` inside a function, not counting nested function bodies. */
function calledNames(fn: SyntaxNode): Set<string> {
  const out = new Set<string>();
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      if (FUNCTION_TYPES.has(c.type) || c.type === 'class_definition') continue;
      if (c.type === 'call') {
        const f = c.childForFieldName('function');
        if (f?.type === 'identifier') out.add(f.text);
      }
      visit(c);
    }
  };
  visit(fn.childForFieldName('body') ?? fn);
  return out;
}

export interface RunInfo {
  /** Functions that run while the add-on loads: `register` and all it calls by name in this file. */
  registerReached: Set<number>;
  /** Functions that run while the add-on is disabled: `unregister` and all it calls by name in this file. */
  unregisterReached: Set<number>;
}

const runInfoCache = new WeakMap<object, RunInfo>();

/** Ids of the functions reached from `starts` by plain `name(...)` calls: local defs first, then the module's. */
function reachFrom(moduleDefs: Map<string, SyntaxNode>, starts: SyntaxNode[]): Set<number> {
  const reached = new Set<number>();
  const queue = [...starts];
  while (queue.length > 0) {
    const fn = queue.pop()!;
    if (reached.has(fn.id)) continue;
    reached.add(fn.id);
    const local = definedFunctions(fn.childForFieldName('body'));
    for (const name of calledNames(fn)) {
      const def = local.get(name) ?? moduleDefs.get(name);
      if (def && !reached.has(def.id)) queue.push(def);
    }
  }
  return reached;
}

/** The functions of a module that run while the add-on registers (register() and what it calls) and
 *  while it is disabled (unregister() and what it calls). */
export function runInfo(root: SyntaxNode): RunInfo {
  const cached = runInfoCache.get(root);
  if (cached) return cached;
  const moduleDefs = definedFunctions(root);
  const starts: SyntaxNode[] = [];
  const start = moduleDefs.get('register');
  if (start) starts.push(start);
  // Module-level calls run at import too: functions called at module level are reached as well.
  for (const name of calledNames(root)) {
    const def = moduleDefs.get(name);
    if (def) starts.push(def);
  }
  const stop = moduleDefs.get('unregister');
  const info = {
    registerReached: reachFrom(moduleDefs, starts),
    unregisterReached: stop ? reachFrom(moduleDefs, [stop]) : new Set<number>(),
  };
  runInfoCache.set(root, info);
  return info;
}

const namedReachCache = new WeakMap<object, Map<string, Set<number>>>();

/**
 * Ids of the module-level functions whose name matches `pattern`, and of the module-level functions they
 * call by name. For code that runs at load without being reached from this file's register(), such as a
 * submodule's `register_keymaps()` called from the package's `__init__.py`.
 */
export function functionsNamedLike(root: SyntaxNode, pattern: RegExp): Set<number> {
  let byPattern = namedReachCache.get(root);
  if (!byPattern) {
    byPattern = new Map();
    namedReachCache.set(root, byPattern);
  }
  const key = `${pattern.source}/${pattern.flags}`;
  const cached = byPattern.get(key);
  if (cached) return cached;
  const moduleDefs = definedFunctions(root);
  const starts = [...moduleDefs].filter(([name]) => pattern.test(name)).map(([, fn]) => fn);
  const reached = reachFrom(moduleDefs, starts);
  byPattern.set(key, reached);
  return reached;
}

function rootOf(node: SyntaxNode): SyntaxNode {
  let root = node;
  while (root.parent) root = root.parent;
  return root;
}

/** 'unregister' when the code at `node` runs in unregister() or a function it reaches; else null. */
export function unloadTimeContext(node: SyntaxNode): 'unregister' | null {
  const fn = enclosingFunction(node);
  if (!fn || fn.type === 'lambda') return null;
  return runInfo(rootOf(node)).unregisterReached.has(fn.id) ? 'unregister' : null;
}

/**
 * When the code at `node` runs as the add-on loads: 'import' (module level or a class body, outside any
 * function), 'register' (in register() or a function it reaches), or null (draw callbacks, operator
 * methods, handlers and anything else that does not run at load).
 */
export function loadTimeContext(node: SyntaxNode): 'import' | 'register' | null {
  const fn = enclosingFunction(node);
  if (!fn) return 'import';
  if (fn.type === 'lambda') return null;
  return runInfo(rootOf(node)).registerReached.has(fn.id) ? 'register' : null;
}

/** The statement holding `node` whose parent is a block or the module. */
export function enclosingStatement(node: SyntaxNode): SyntaxNode | null {
  for (let n: SyntaxNode | null = node; n; n = n.parent) {
    const p = n.parent;
    if (p && (p.type === 'block' || p.type === 'module')) return n;
  }
  return null;
}

/** The statement of `block` (a block or the module) that holds `node`, or null when `node` is not inside it. */
export function statementIn(block: SyntaxNode, node: SyntaxNode): SyntaxNode | null {
  for (let n: SyntaxNode | null = node; n; n = n.parent) if (n.parent?.id === block.id) return n;
  return null;
}

/**
 * True when `node` already sits behind a check whose condition text satisfies `mentions`: an `if`/`elif`/
 * `else` or a conditional expression on it, `<check> and …`, a `try` with an `except`, or an earlier
 * `if <check>: return` in an enclosing block of the same function. With `tryExcept: false` a try/except
 * does not count (for failures that are no exception, such as a segmentation fault); with
 * `acrossFunctions: true` checks around the enclosing function's definition count too.
 */
export function isGuarded(
  node: SyntaxNode,
  mentions: (conditionText: string) => boolean,
  options: { tryExcept?: boolean; acrossFunctions?: boolean } = {},
): boolean {
  const tryExcept = options.tryExcept ?? true;
  // acrossFunctions: a function defined under the check only exists where the check holds.
  const stop = options.acrossFunctions ? null : enclosingFunction(node);
  let child: SyntaxNode = node;
  for (let p = node.parent; p && p !== stop; child = p, p = p.parent) {
    switch (p.type) {
      case 'if_statement':
      case 'elif_clause':
      case 'while_statement': {
        const cond = p.childForFieldName('condition');
        if (cond && cond.id !== child.id && mentions(cond.text)) return true;
        if (p.type === 'if_statement') {
          // In an elif/else branch: the earlier conditions guard it too.
          for (const alt of p.childrenForFieldName('alternative')) {
            if (alt.id === child.id) {
              if (cond && mentions(cond.text)) return true;
              for (const other of p.childrenForFieldName('alternative')) {
                if (other.id === child.id) break;
                const c = other.childForFieldName('condition');
                if (c && mentions(c.text)) return true;
              }
            }
          }
        }
        break;
      }
      case 'conditional_expression': {
        const parts = p.namedChildren;
        if (parts.length === 3 && parts[1].id !== child.id && mentions(parts[1].text)) return true;
        break;
      }
      case 'boolean_operator': {
        const left = p.childForFieldName('left');
        if (left && left.id !== child.id && mentions(left.text)) return true;
        break;
      }
      case 'try_statement':
        if (tryExcept && p.namedChildren.some((c) => c.type === 'except_clause' || c.type === 'except_group_clause')) return true;
        break;
      case 'block':
      case 'module':
        for (let s = child.previousNamedSibling; s; s = s.previousNamedSibling) {
          if (s.type !== 'if_statement') continue;
          const cond = s.childForFieldName('condition');
          const body = s.childForFieldName('consequence');
          if (cond && body && mentions(cond.text) && exitsEarly(body)) return true;
        }
        break;
    }
  }
  return false;
}

function exitsEarly(block: SyntaxNode): boolean {
  const last = block.lastNamedChild;
  return !!last && ['return_statement', 'raise_statement', 'continue_statement', 'break_statement'].includes(last.type);
}

/** Condition texts that test headless mode: `bpy.app.background`, `app.background`, `background`. */
export function mentionsBackground(text: string): boolean {
  return /\bbackground\b/.test(text);
}

/** True when `child` is the node in `parent`'s field `field` (e.g. the `left` of an assignment). */
export function isField(parent: SyntaxNode, field: string, child: SyntaxNode): boolean {
  return parent.childForFieldName(field)?.id === child.id;
}

/** `if __name__ == "__main__":` (either order, either quotes). */
export function isMainGuard(node: SyntaxNode): boolean {
  return node.type === 'if_statement' && /__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__/.test(
    node.childForFieldName('condition')?.text ?? '',
  );
}

/** True inside a module-level `if __name__ == "__main__":` block: code that runs when the file is run as a
 *  script (`blender --python`, the Text editor), never when Blender imports it as an add-on. */
export function insideMainGuard(node: SyntaxNode): boolean {
  for (let p = node.parent; p; p = p.parent) if (p.parent?.type === 'module') return isMainGuard(p);
  return false;
}
