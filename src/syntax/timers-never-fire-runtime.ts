// The runtime module of BGS011, BGS012 and BGS013 (python/bgsafe_runtime.py), and where it goes in an add-on.
// One copy per add-on: for a package, a module at the root of the package, so every file of the add-on imports
// the same module and every fix asks for the same file with the same text (always LF newlines); for a
// single-file add-on, a block embedded into the file itself (see embeddedRuntimeText), because a sibling
// module would not travel with the file (Preferences > Install copies the one .py).
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../version.js';
import { packageRootOf, readText } from './package.js';
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
  /** The file carries the runtime embedded already (a single-file add-on fixed before, perhaps made a
   *  package since). */
  | { kind: 'embedded' }
  /** The package has a bgsafe_runtime.py that bgsafe did not write. */
  | { kind: 'name-taken'; file: string };

/** `archive.zip/entry` split, when a folder above `abs` is a .zip file (how the engine names zip entries). */
function zipEntry(abs: string): { archive: string; entry: string } | null {
  for (let dir = path.dirname(abs); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (/\.zip$/i.test(dir) && isFile(dir)) return { archive: dir, entry: path.relative(dir, abs).split(path.sep).join('/') };
  }
  return null;
}

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
export function runtimePlacement(file: string, source?: string): RuntimePlacement {
  if (source !== undefined && embeddedRuntimeRange(source)) return { kind: 'embedded' };
  const abs = path.resolve(file);
  // A module at the root of a .zip add-on (`archive.zip/my_addon.py`) is a single-file add-on.
  const zip = zipEntry(abs);
  if (zip && !zip.entry.includes('/')) return { kind: 'not-a-package' };
  if (!isFile(abs)) {
    return { kind: 'package', importLine: `from . import ${RUNTIME_MODULE_NAME}`, createPath: RUNTIME_FILE_NAME, packageDir: null, exists: false };
  }
  const dir = packageRootOf(abs);
  if (!dir) return { kind: 'not-a-package' };
  const rel = path.relative(dir, path.dirname(abs));
  const depth = rel === '' ? 0 : rel.split(path.sep).length;
  const runtime = path.join(dir, RUNTIME_FILE_NAME);
  let exists = false;
  // A package whose __init__ carries the runtime embedded (a single-file add-on made a package since):
  // `from . import bgsafe_runtime` finds it there.
  if (embeddedRuntimeRange(readText(path.join(dir, '__init__.py')) ?? '')) exists = true;
  else if (existsSync(runtime)) {
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
  const at = topOfModule(ctx);
  if (at.afterAnchor) return { start: at.offset, end: at.offset, text: `${ctx.newline}${line}` };
  return { start: at.offset, end: at.offset, text: `${at.lead}${line}${ctx.newline}` };
}

/** Where new top-level code goes: the end of the last line of the first run of top-level imports (else of
 *  the docstring), `afterAnchor`; else the start of the first statement's line, with `lead` the line break
 *  that must come first when the text before it does not end one. */
function topOfModule(ctx: RuleContext): { offset: number; afterAnchor: boolean; lead: string } {
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
  if (anchor) return { offset: lineEndOf(ctx.source, anchor.endIndex), afterAnchor: true, lead: '' };
  const firstCode = statements[0];
  const at = firstCode ? lineStartOf(ctx.source, firstCode.startIndex) : ctx.source.length;
  return { offset: at, afterAnchor: false, lead: at > 0 && !ctx.source.slice(0, at).endsWith('\n') ? ctx.newline : '' };
}

// --- the runtime embedded into a single-file add-on ----------------------------------------------------

/** The first and last lines of the embedded block, by which bgsafe recognises it (the convention of conda's
 *  `# >>> conda initialize >>>` block). */
export const EMBED_BEGIN = '# >>> bgsafe runtime >>>';
export const EMBED_END = '# <<< bgsafe runtime <<<';

const TRIPLE = "'".repeat(3);

/**
 * The block that gives a single-file add-on its runtime: the text of python/bgsafe_runtime.py, run as a module
 * of its own (`<add-on>.bgsafe_runtime` in sys.modules, where the service loop finds it) and bound to the
 * name `bgsafe_runtime`, so the add-on's calls read exactly as in a package (`bgsafe_runtime.schedule(...)`).
 * A module of its own, not pasted code: the runtime's names (`schedule`, `pump`, `_lock`, ...) stay apart
 * from the add-on's. Its lines end with `nl`; it has no final newline.
 */
export function embeddedRuntimeText(nl: string): string {
  const source = runtimeModuleText().replace(/\n+$/, '\n');
  if (source.includes(TRIPLE) || source.includes('\r')) throw new Error(`python/${RUNTIME_FILE_NAME} cannot be embedded in r${TRIPLE}...${TRIPLE}`);
  const lines = [
    EMBED_BEGIN,
    '# The runtime of bgsafe (python/bgsafe_runtime.py), generated once into this single-file add-on: in the GUI',
    '# it is exactly bpy.app.timers; in `blender --background`, where bpy.app.timers never fire, it runs the',
    "# add-on's timers and asyncio work when a service loop drives it (`bgsafe scaffold service <this file>`).",
    '# It is kept in this file, not beside it, because Preferences > Install copies only this file; it runs as a',
    "# module of its own so that its names stay apart from the add-on's. bgsafe finds it by its first and last",
    '# lines, never adds a second one, and deletes it (first line to last) once nothing else here uses it.',
    'def _bgsafe_load_runtime(source):',
    '    import linecache',
    '    import sys',
    '    import types',
    '',
    '    name = __name__ + ".bgsafe_runtime"',
    '    filename = "<%s>" % name',
    '    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # for tracebacks',
    '    module = types.ModuleType(name)',
    '    sys.modules[name] = module',
    '    exec(compile(source, filename, "exec"), module.__dict__)',
    '    return module',
    '',
    '',
    `bgsafe_runtime = _bgsafe_load_runtime(r${TRIPLE}${source}${TRIPLE})`,
    'del _bgsafe_load_runtime',
    EMBED_END,
  ];
  return lines.join('\n').split('\n').join(nl);
}

/** Where the embedded block is: from the start of its first line to the end of its last (before the line
 *  break), or null when the file has none. A first line without a last one counts as a block to the end. */
export function embeddedRuntimeRange(source: string): { start: number; end: number } | null {
  const begin = lineAt(source, EMBED_BEGIN, 0);
  if (begin < 0) return null;
  const endLine = lineAt(source, EMBED_END, begin);
  return { start: begin, end: endLine < 0 ? source.length : lineEndOf(source, endLine) };
}

/** Offset of the first line from `from` on that is exactly `line` (trailing blanks allowed), or -1. */
function lineAt(source: string, line: string, from: number): number {
  let i = source.indexOf(line, from);
  while (i >= 0) {
    const startsLine = i === 0 || source[i - 1] === '\n';
    const rest = source.slice(i + line.length, lineEndOf(source, i));
    if (startsLine && rest.trim() === '') return i;
    i = source.indexOf(line, i + 1);
  }
  return -1;
}

/** The edit that adds the block after the file's top-level imports (where addRuntimeImport would put the
 *  import line), with two blank lines before it. */
export function embedRuntimeEdit(ctx: RuleContext): Edit {
  const at = topOfModule(ctx);
  const nl = ctx.newline;
  const block = embeddedRuntimeText(nl);
  const text = at.afterAnchor ? `${nl}${nl}${nl}${block}` : `${at.lead}${block}${nl}${nl}${nl}`;
  return { start: at.offset, end: at.offset, text };
}

/** The edit that deletes the block and the blank lines that embedRuntimeEdit put around it. */
export function removeEmbeddedRuntimeEdit(source: string, range: { start: number; end: number }): Edit {
  let start = range.start;
  while (start > 0 && (source[start - 1] === '\n' || source[start - 1] === '\r')) start--;
  let end = range.end;
  if (start === 0) while (end < source.length && (source[end] === '\n' || source[end] === '\r')) end++;
  return { start, end, text: '' };
}

/** True when something in the file outside the embedded block names `bgsafe_runtime`. */
export function usesEmbeddedRuntime(source: string, range: { start: number; end: number }): boolean {
  return /\bbgsafe_runtime\b/.test(source.slice(0, range.start) + '\n' + source.slice(range.end));
}

/** A single-file add-on rather than a script: it has `bl_info` or a top-level `register()`. */
function isSingleFileAddon(source: string): boolean {
  return /^(?:bl_info\s*[:=]|def\s+register\s*\()/m.test(source);
}

/** How a fix gets the runtime: the edits and new files it adds to the fix (the import line and the module in
 *  a package; the embedded block in a single-file add-on; nothing where the file has it already), and words
 *  for the fix's description; or why it cannot. */
export type RuntimeAccess =
  | { ok: true; edits: Edit[]; createFiles: Array<{ path: string; text: string }>; how: string }
  | { ok: false; kind: 'script' | 'name-taken'; why: string };

export function runtimeAccess(ctx: RuleContext): RuntimeAccess {
  const placement = runtimePlacement(ctx.absPath, ctx.source);
  if (placement.kind === 'embedded') return { ok: true, edits: [], createFiles: [], how: 'the runtime embedded in this file' };
  if (placement.kind === 'name-taken') {
    return { ok: false, kind: 'name-taken', why: `the package already has a \`${RUNTIME_FILE_NAME}\` that bgsafe did not write (rename it and run bgsafe again)` };
  }
  if (placement.kind === 'not-a-package') {
    if (!isSingleFileAddon(ctx.source)) {
      return { ok: false, kind: 'script', why: 'this file is a script, not an add-on (no `bl_info`, no `register()`), so nothing would drive a runtime in it' };
    }
    return { ok: true, edits: [embedRuntimeEdit(ctx)], createFiles: [], how: `${RUNTIME_MODULE_NAME} embedded once into this single-file add-on` };
  }
  return {
    ok: true,
    edits: importsRuntime(ctx) ? [] : [addRuntimeImport(ctx, placement.importLine)],
    createFiles: placement.exists ? [] : [{ path: placement.createPath, text: runtimeModuleText() }],
    how: `\`${placement.importLine}\`; ${RUNTIME_FILE_NAME} created once in the package`,
  };
}
