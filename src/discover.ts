// From the paths a user names to the Python files to process, each tagged with the add-on it belongs to.
import { packageRootOf } from './syntax/package.js';
import { promises as fs, existsSync } from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { readZip } from './zip.js';

/**
 * The add-on a .py file named on its own belongs to: a module of a package (what pre-commit and editors pass)
 * to the add-on around it, the topmost package folder, whose __init__.py and manifest declare the Blender
 * versions; a module on its own is its own add-on. The file need not exist (--stdin-filename).
 */
export function addonOfFile(file: string): { addon: string; addonRoot: string } {
  const pkg = packageRootOf(file);
  return pkg ? { addon: path.basename(pkg), addonRoot: pkg } : { addon: path.basename(file).replace(/\.py$/, ''), addonRoot: file };
}

/** Folders never entered: version control, caches, virtualenvs, dependencies. */
export const SKIPPED_DIRS = new Set([
  '.git', '.hg', '.svn', '__pycache__', 'node_modules', '.venv', 'venv', '.tox', '.nox', '.mypy_cache',
  '.pytest_cache', '.ruff_cache', 'site-packages', '.eggs', '__MACOSX',
]);

export interface DiscoveredFile {
  /** Absolute path (symlinks resolved). */
  absPath: string;
  /** The add-on it belongs to (a package folder's name, or a single-file module's name). */
  addon: string;
  /** Absolute root of that add-on (its folder, or the single file). */
  addonRoot: string;
  /** For a file inside a .zip add-on: the archive and the entry's name (absPath is then archive/entry). */
  zip?: { archive: string; entry: string };
}

export interface DiscoveryProblem {
  path: string;
  message: string;
}

export type ExcludeTest = (absPath: string, isDir: boolean) => boolean;

export function makeExcluder(patterns: string[], base: string): ExcludeTest {
  if (patterns.length === 0) return () => false;
  const m = picomatch(patterns, { dot: true });
  return (absPath) => {
    const rel = path.relative(base, absPath).split(path.sep).join('/');
    if (rel.startsWith('..')) return m(path.basename(absPath));
    return m(rel) || m(path.basename(absPath)) || m(`${rel}/`);
  };
}

async function isVirtualenv(dir: string): Promise<boolean> {
  return existsSync(path.join(dir, 'pyvenv.cfg'));
}

async function walk(dir: string, out: string[], exclude: (abs: string, isDir: boolean) => boolean): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (SKIPPED_DIRS.has(e.name) || exclude(abs, true) || (await isVirtualenv(abs))) continue;
      await walk(abs, out, exclude);
    } else if (e.isFile() && e.name.endsWith('.py')) {
      if (!exclude(abs, false)) out.push(abs);
    }
    // Symbolic links inside folders are not followed: that avoids loops and writing outside the tree.
  }
}

/**
 * Expand the named paths. A file is taken as it is (even when excluded: naming it is explicit); a folder is
 * searched for *.py. A folder with an __init__.py is one add-on; any other folder holds add-ons, one per
 * child package or module.
 */
export async function discover(
  paths: string[],
  cwd: string,
  exclude: (abs: string, isDir: boolean) => boolean,
): Promise<{ files: DiscoveredFile[]; problems: DiscoveryProblem[] }> {
  const files: DiscoveredFile[] = [];
  const problems: DiscoveryProblem[] = [];
  const seen = new Set<string>();
  const add = (f: DiscoveredFile): void => {
    if (seen.has(f.absPath)) return;
    seen.add(f.absPath);
    files.push(f);
  };
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    let st;
    try {
      st = await fs.stat(abs);
    } catch {
      problems.push({ path: p, message: 'path not found (check the spelling; bgsafe takes .py files and folders)' });
      continue;
    }
    const real = await fs.realpath(abs);
    if (st.isFile()) {
      if (p.toLowerCase().endsWith('.zip')) {
        let entries;
        try {
          entries = readZip(await fs.readFile(real));
        } catch (e) {
          problems.push({ path: p, message: `cannot read the .zip: ${(e as Error).message}` });
          continue;
        }
        const addon = path.basename(real).replace(/\.zip$/i, '');
        for (const entry of entries.map((x) => x.name).sort()) {
          if (!entry.endsWith('.py') || entry.split('/').some((part) => SKIPPED_DIRS.has(part) || part === '..')) continue;
          add({ absPath: path.join(real, entry), addon, addonRoot: real, zip: { archive: real, entry } });
        }
        continue;
      }
      add({ absPath: real, ...addonOfFile(real) });
      continue;
    }
    if (!st.isDirectory()) {
      problems.push({ path: p, message: 'not a file or folder' });
      continue;
    }
    const found: string[] = [];
    await walk(real, found, exclude);
    const isPackage = existsSync(path.join(real, '__init__.py'));
    // A subpackage named (`my_addon/ops/`) belongs to the add-on around it, as a module named does.
    const pkg = isPackage ? packageRootOf(path.join(real, '__init__.py')) ?? real : null;
    for (const f of found) {
      if (pkg) {
        add({ absPath: f, addon: path.basename(pkg), addonRoot: pkg });
      } else {
        const first = path.relative(real, f).split(path.sep)[0];
        const root = path.join(real, first);
        add({ absPath: f, addon: first.replace(/\.py$/, ''), addonRoot: root });
      }
    }
  }
  return { files, problems };
}
