// What an argument to `bgsafe verify` is (a single-file module, a package folder or a .zip), and putting a
// copy of it into a temporary scripts/addons/ folder. The user's files are never imported in place: Blender
// would write __pycache__ next to them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractZipEntry as extract, readZip, type ZipEntry } from '../zip.js';

export interface AddonSource {
  /** The argument as given. */
  arg: string;
  kind: 'file' | 'folder' | 'zip';
  /** Absolute path of the file, folder or zip. */
  abs: string;
  /** The module name Blender imports. */
  module: string;
  /** For a zip: its entries (files only), with their names inside the zip. */
  zipEntries?: ZipEntry[];
  /** For a zip: the entries' common folder in front of `module` (usually ''). */
  zipPrefix?: string;
}

/** Why an argument can't be verified; a user error. */
export class AddonPathError extends Error {}

const SKIP_DIRS = new Set(['__pycache__', '.git', '.hg', '.svn', 'node_modules', '.venv', 'venv', '__MACOSX']);

export function resolveAddon(arg: string): AddonSource {
  const abs = path.resolve(arg);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new AddonPathError(`${arg}: no such file or folder`);
  }
  if (st.isDirectory()) {
    if (!fs.existsSync(path.join(abs, '__init__.py'))) {
      throw new AddonPathError(`${arg}: not an add-on: a package folder needs an __init__.py`);
    }
    return { arg, kind: 'folder', abs, module: path.basename(abs) };
  }
  if (abs.endsWith('.py')) return { arg, kind: 'file', abs, module: path.basename(abs, '.py') };
  if (abs.toLowerCase().endsWith('.zip')) {
    let entries: ZipEntry[];
    try {
      entries = readZip(fs.readFileSync(abs)).filter((e) => !e.name.endsWith('/') && !e.name.split('/').some((p) => SKIP_DIRS.has(p)));
    } catch (e) {
      throw new AddonPathError(`${arg}: not a readable zip file (${(e as Error).message})`);
    }
    const { module, prefix } = zipModule(entries, arg);
    return { arg, kind: 'zip', abs, module, zipEntries: entries, zipPrefix: prefix };
  }
  throw new AddonPathError(`${arg}: not an add-on: expected a .py file, a package folder or a .zip`);
}

/** The one add-on in a zip: a top-level `name/__init__.py` or `name.py`, maybe under one wrapping folder. */
function zipModule(entries: ZipEntry[], arg: string): { module: string; prefix: string } {
  for (const prefix of ['', ...wrappingFolder(entries)]) {
    const inside = entries.map((e) => e.name).filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
    const packages = new Set(inside.filter((n) => /^[^/]+\/__init__\.py$/.test(n)).map((n) => n.split('/')[0]));
    const modules = new Set(inside.filter((n) => /^[^/]+\.py$/.test(n)).map((n) => n.slice(0, -3)));
    const found = [...packages, ...modules];
    if (found.length === 1) return { module: found[0], prefix };
    if (found.length > 1) {
      throw new AddonPathError(`${arg}: holds ${found.length} add-ons (${found.join(', ')}); verify takes a zip with one`);
    }
  }
  throw new AddonPathError(`${arg}: not an add-on: no top-level package/__init__.py or module.py in the zip`);
}

function wrappingFolder(entries: ZipEntry[]): string[] {
  const tops = new Set(entries.map((e) => e.name.split('/')[0]));
  const [only] = [...tops];
  return tops.size === 1 && entries.every((e) => e.name.includes('/')) ? [`${only}/`] : [];
}

/** Copy the add-on to `addonsDir/<module>[.py]`; returns the installed path. */
export function stageAddon(src: AddonSource, addonsDir: string): string {
  fs.mkdirSync(addonsDir, { recursive: true });
  if (src.kind === 'file') {
    const dest = path.join(addonsDir, `${src.module}.py`);
    fs.copyFileSync(src.abs, dest);
    return dest;
  }
  const dest = path.join(addonsDir, src.module);
  if (src.kind === 'folder') {
    fs.cpSync(src.abs, dest, {
      recursive: true,
      dereference: true,
      filter: (p) => !SKIP_DIRS.has(path.basename(p)) || p === src.abs,
    });
    return dest;
  }
  const buf = fs.readFileSync(src.abs);
  const prefix = src.zipPrefix ?? '';
  for (const e of src.zipEntries ?? []) {
    if (!e.name.startsWith(prefix)) continue;
    const rel = e.name.slice(prefix.length);
    const target = path.resolve(addonsDir, rel);
    // No entry may land outside scripts/addons (`../x`, absolute names).
    if (!target.startsWith(addonsDir + path.sep)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, extract(buf, e));
  }
  return src.zipEntries?.some((e) => e.name === `${prefix}${src.module}.py`) ? path.join(addonsDir, `${src.module}.py`) : dest;
}

/** What the user calls the installed add-on: the argument; inside a zip, `x.zip!/dir` (or `!/mod.py`). */
export function userRoot(src: AddonSource): string {
  if (src.kind !== 'zip') return src.arg;
  const single = src.zipEntries?.some((e) => e.name === `${src.zipPrefix ?? ''}${src.module}.py`);
  return `${src.arg}!/${src.zipPrefix ?? ''}${src.module}${single ? '.py' : ''}`;
}

/** Where the user finds a file Blender names by its installed path. */
export function userPath(src: AddonSource, installed: string, installedFile: string): string {
  const rel = path.relative(installed, installedFile);
  if (!rel) return userRoot(src);
  if (src.kind === 'folder') return path.join(src.arg, rel);
  return `${userRoot(src)}/${rel.split(path.sep).join('/')}`;
}

