// The environment bgsafe gives the Blender processes it starts (`bgsafe verify`): the caller's, less the
// Python environments that would make Blender's Python adopt another prefix. The same rules as the
// launcher that `bgsafe scaffold service` writes (python/service_launcher.py, whose comments hold the
// measurements); keep the two in step.
//
// Debian's Blender (any build on the system Python) looks for `python3.N` (its Python's minor version)
// in its own python/bin folder, then on PATH, and hands the first one to Python as sys.executable;
// Python then takes sys.prefix from a pyvenv.cfg beside it or a lib/python3.N/os.py above it. Measured
// on 3.4.1 (Python 3.11.2), 4.3.2 (3.13.5) and 5.2.2 (3.14.10): a matching virtualenv or other Python
// installation first on PATH makes sys.prefix that folder, and the system's packages do not import;
// PYTHONEXECUTABLE does the same; VIRTUAL_ENV, CONDA_PREFIX, PYENV_VERSION have no effect on Blender.
// A program run by pyenv's `python3` shim has pyenv's versions/<v>/bin first on PATH (the shim puts it
// there), so Blender started from it takes pyenv's prefix.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Variables unset for Blender (see above); PYTHONPATH and PYTHONHOME are deliberate and stay. */
export const UNSET_FOR_BLENDER = ['VIRTUAL_ENV', 'PYTHONEXECUTABLE', '__PYVENV_LAUNCHER__'] as const;

/** `BGSAFE_KEEP_PYTHON_ENV=1` in the caller's environment: pass everything on unchanged. */
export const KEEP_PYTHON_ENV = 'BGSAFE_KEEP_PYTHON_ENV';

const PYTHON_NAME = /^python(3(\.[0-9]+)?)?$/;
const SYSTEM_PREFIXES = new Set(['/usr', '/']);

function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * What kind of Python environment the PATH folder `folder` is the bin of, or undefined. A folder that
 * holds a `python`, `python3` or `python3.N` counts when it is (a) a virtualenv's bin (pyvenv.cfg in it or
 * its parent), (b) a conda environment's bin (conda-meta/ in its parent), (c) a folder of shims (pyenv,
 * asdf: named `shims`, its python entry a #! script), or (d) another Python installation's bin (its parent
 * holds lib/python3.N/os.py and is not /usr or /).
 */
export function pythonEnvironmentKind(folder: string): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return undefined;
  }
  const pythons = names.filter((n) => PYTHON_NAME.test(n)).sort();
  if (pythons.length === 0) return undefined;
  const real = realpath(folder);
  const parent = path.dirname(real);
  if (isFile(path.join(real, 'pyvenv.cfg')) || isFile(path.join(parent, 'pyvenv.cfg'))) return 'a virtualenv';
  if (isDir(path.join(parent, 'conda-meta'))) return 'a conda environment';
  if (path.basename(real) === 'shims') {
    for (const n of pythons) {
      try {
        const fd = fs.openSync(path.join(real, n), 'r');
        const head = Buffer.alloc(2);
        try {
          fs.readSync(fd, head, 0, 2, 0);
        } finally {
          fs.closeSync(fd);
        }
        if (head.toString('latin1') === '#!') return 'a folder of Python shims';
      } catch {
        // unreadable: not a shim we can tell
      }
    }
  }
  if (!SYSTEM_PREFIXES.has(parent)) {
    for (const n of names) {
      if (/^python3\.[0-9]+$/.test(n) && isFile(path.join(parent, 'lib', n, 'os.py'))) return `a Python installation in ${parent}`;
    }
  }
  return undefined;
}

export interface BlenderChildEnv {
  env: NodeJS.ProcessEnv;
  /** What was left out: "<folder> (<kind>)" for PATH folders, "$NAME" for variables. */
  leftOut: string[];
}

/** The environment for a Blender child process: `env` less its Python environments (see above). */
export function blenderChildEnv(env: NodeJS.ProcessEnv): BlenderChildEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  if (env[KEEP_PYTHON_ENV] === '1') return { env: out, leftOut: [] };
  const leftOut: string[] = [];
  if (env.PATH !== undefined) {
    const kept: string[] = [];
    for (const folder of env.PATH.split(path.delimiter)) {
      const kind = folder ? pythonEnvironmentKind(folder) : undefined;
      if (kind) leftOut.push(`${folder} (${kind})`);
      else kept.push(folder);
    }
    if (kept.length !== env.PATH.split(path.delimiter).length) out.PATH = kept.join(path.delimiter);
  }
  for (const name of UNSET_FOR_BLENDER) {
    if (name in out) {
      delete out[name];
      leftOut.push(`$${name}`);
    }
  }
  return { env: out, leftOut };
}
