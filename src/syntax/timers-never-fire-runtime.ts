// The runtime module of BGS011 (python/bgsafe_runtime.py), and where it goes in an add-on.
// One copy per add-on, at the root of the add-on's package, so every file of the add-on imports the same
// module and every fix asks for the same file with the same text (always LF newlines).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../version.js';
import { packageRootOf } from './package.js';
import { lineEndOf, lineStartOf } from './source.js';
import type { Edit, SyntaxNode, RuleContext } from '../types.js';

export const RUNTIME_MODULE_NAME = 'bgsafe_runtime';
export const RUNTIME_FILE_NAME = `${RUNTIME_MODULE_NAME}.py`;
/** The marker by which bgsafe recognises its own runtime file. */
export const RUNTIME_MARKER = 'BGSAFE_RUNTIME_VERSION';

let cachedText: string | undefined;

/** The runtime module's text, read from python/bgsafe_runtime.py in the package. */
export function runtimeModuleText(): string {
  return (cachedText ??= readFileSync(path.join(packageRoot, 'python', RUNTIME_FILE_NAME), 'utf8'));
}

export type RuntimePlacement =
  /** A module of a package add-on: import with `importLine`, create `createPath` (relative to the file's
   *  folder) unless the runtime is there already. */
  | { kind: 'package'; importLine: string; createPath: string; packageDir: string | null; exists: boolean }
  /** A .py file that is not inside a package: a single-file add-on or a script. */
  | { kind: 'not-a-package' }
  /** The package has a bgsafe_runtime.py that bgsafe did not write. */
  | { kind: 'name-taken'; file: string };

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Where the runtime goes for the file at `file` (as the engine names it: relative to the working folder, or
 * absolute). A file that is not on disk (a test, text given by an API caller) is taken to be a module at the
 * root of its add-on's package, e.g. its `__init__.py`.
 */
export function runtimePlacement(file: string): RuntimePlacement {
  const abs = path.resolve(file);
  if (!isFile(abs)) {
    return { kind: 'package', importLine: `from . import ${RUNTIME_MODULE_NAME}`, createPath: RUNTIME_FILE_NAME, packageDir: null, exists: false };
  }
  const dir = packageRootOf(abs);
  if (!dir) return { kind: 'not-a-package' };
  const rel = path.relative(dir, path.dirname(abs));
  const depth = rel === '' ? 0 : rel.split(path.sep).length;
  const runtime = path.join(dir, RUNTIME_FILE_NAME);
  let exists = false;
  if (existsSync(runtime)) {
    let text = '';
    try {
      text = readFileSync(runtime, 'utf8');
    } catch {
      // unreadable: treated as someone else's
    }
    if (!text.includes(RUNTIME_MARKER)) return { kind: 'name-taken', file: runtime };
    exists = true;
  }
  const dots = '.'.repeat(depth + 1);
  return {
    kind: 'package',
    importLine: `from ${dots} import ${RUNTIME_MODULE_NAME}`,
    createPath: path.relative(path.dirname(abs), runtime).split(path.sep).join('/'),
    packageDir: dir,
    exists,
  };
}

/**
 * Write the runtime into an add-on package folder unless a bgsafe_runtime.py is there already; returns the
 * file's path and whether it was created. (The engine does this through Fix.createFiles; this is for tests
 * and tools that prepare an add-on by hand.)
 */
export function writeRuntimeInto(packageDir: string): { file: string; created: boolean } {
  const file = path.join(packageDir, RUNTIME_FILE_NAME);
  if (existsSync(file)) return { file, created: false };
  writeFileSync(file, runtimeModuleText(), { flag: 'wx' });
  return { file, created: true };
}

/** True when the file imports the runtime (`from . import bgsafe_runtime`, `from .. import …`, aliased). */
export function importsRuntime(ctx: RuleContext): boolean {
  return ctx.tree.rootNode
    .descendantsOfType('import_from_statement')
    .some((s) => s.childrenForFieldName('name').some((n) => n.text === RUNTIME_MODULE_NAME || n.childForFieldName?.('name')?.text === RUNTIME_MODULE_NAME));
}

/** An edit adding `line` after the first run of top-level imports (else after the docstring and
 *  `from __future__` imports, else before the first statement). */
export function addRuntimeImport(ctx: RuleContext, line: string): Edit {
  const root = ctx.tree.rootNode;
  const isImport = (n: SyntaxNode): boolean =>
    n.type === 'import_statement' || n.type === 'import_from_statement' || n.type === 'future_import_statement';
  const statements = root.namedChildren.filter((n) => n.type !== 'comment');
  let anchor: SyntaxNode | null = null;
  const first = statements.findIndex(isImport);
  if (first >= 0) for (let i = first; i < statements.length && isImport(statements[i]); i++) anchor = statements[i];
  if (!anchor) {
    const doc = statements[0];
    if (doc && doc.type === 'expression_statement' && doc.firstNamedChild?.type === 'string') anchor = doc;
  }
  if (anchor) {
    const end = lineEndOf(ctx.source, anchor.endIndex);
    return { start: end, end, text: `${ctx.newline}${line}` };
  }
  const firstCode = statements[0];
  const at = firstCode ? lineStartOf(ctx.source, firstCode.startIndex) : ctx.source.length;
  const lead = at > 0 && !ctx.source.slice(0, at).endsWith('\n') ? ctx.newline : '';
  return { start: at, end: at, text: `${lead}${line}${ctx.newline}` };
}

