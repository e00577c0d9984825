// The add-on package a file belongs to, and its other Python files: for rules that resolve names across an
// add-on's files (operators by bl_idname, UI classes, where the runtime module goes). Read from disk once
// per package and run; a file that is not inside a package has none.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { decodeSource } from '../files.js';

/** At most this many files, this deep, and this large are read from one package. */
const MAX_FILES = 400;
const MAX_DEPTH = 6;
const MAX_FILE_BYTES = 2_000_000;

/** The top folder of the package holding `file` (the highest folder with an `__init__.py` above it), or
 *  null when the file's own folder has none. */
export function packageRootOf(file: string): string | null {
  let dir = path.dirname(file);
  if (!existsSync(path.join(dir, '__init__.py'))) return null;
  while (path.dirname(dir) !== dir && existsSync(path.join(path.dirname(dir), '__init__.py'))) dir = path.dirname(dir);
  return dir;
}

/** A source file's text, or null when it is not a readable file of reasonable size. */
export function readText(file: string): string | null {
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size > MAX_FILE_BYTES) return null;
    return decodeSource(readFileSync(file)).text;
  } catch {
    return null;
  }
}

const sourcesByRoot = new Map<string, Array<{ file: string; text: string }>>();

/** Forget the packages read so far (a new run reads them again: a --write may have changed them). */
export function clearPackageSources(): void {
  sourcesByRoot.clear();
}

/** Every .py file of the package holding `file`, with its text, in a stable order (cached per package). */
export function packageSources(file: string | null): Array<{ file: string; text: string }> {
  const root = file ? packageRootOf(file) : null;
  if (!root) return [];
  const cached = sourcesByRoot.get(root);
  if (cached) {
    // Most recently used last; only the last few packages are kept, so memory stays flat over a batch.
    sourcesByRoot.delete(root);
    sourcesByRoot.set(root, cached);
    return cached;
  }
  const out: Array<{ file: string; text: string }> = [];
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      if (out.length >= MAX_FILES) return;
      if (n.startsWith('.') || n === '__pycache__' || n === 'node_modules') continue;
      const p = path.join(dir, n);
      if (n.endsWith('.py')) {
        const text = readText(p);
        if (text !== null) out.push({ file: p, text });
        continue;
      }
      try {
        if (depth < MAX_DEPTH && statSync(p).isDirectory()) walk(p, depth + 1);
      } catch {
        // unreadable: skipped
      }
    }
  };
  walk(root, 0);
  sourcesByRoot.set(root, out);
  while (sourcesByRoot.size > 1) sourcesByRoot.delete(sourcesByRoot.keys().next().value!);
  return out;
}
