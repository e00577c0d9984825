// `bgsafe scaffold service`: the two files that run an add-on as a headless service. The templates are
// python/service_launcher.py (run with the system python3) and python/service_script.py (run inside
// Blender); this file fills in the add-on's name and where it is, and writes them.
import { existsSync, readFileSync, statSync, writeFileSync, chmodSync, readdirSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../version.js';
import { embeddedRuntimeRange } from '../syntax/timers-never-fire-runtime.js';
import { serviceStarters } from '../syntax/service-start.js';
import { startFlag, type StartOperator } from './start.js';

/** A problem with the user's input: printed as one line, exit code 2. */
export class ScaffoldUsageError extends Error {}

export interface ScaffoldServiceOptions {
  /** The add-on: a package folder (with __init__.py) or a module .py file. */
  addon: string;
  /** Where the two files go (default: the folder that holds the add-on). */
  out?: string;
  /** Overwrite files that exist. */
  force?: boolean;
  /** Operators the service script calls, in order, after enabling the add-on (`--start`). */
  start?: StartOperator[];
}

export interface ScaffoldServiceResult {
  module: string;
  launcher: string;
  script: string;
  /** The operators the service script calls after enabling the add-on (--start, or the one found). */
  start: StartOperator[];
  /** Things the user should know (e.g. the add-on has no runtime yet). */
  notes: string[];
}

const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The text between the double quotes of `json.loads("__BGSAFE_START_JSON__")` in service_script.py: the JSON
 * of `start` as the body of a Python string literal that decodes back to exactly that JSON, whatever the
 * strings hold. The JSON is made ASCII first (\uXXXX escapes, which json.loads reads, astral characters as
 * surrogate pairs), so the literal holds only printable ASCII: a backslash or a double quote gets a
 * backslash, and there is no newline, no other escape and nothing Python could read otherwise.
 */
export function startJsonLiteralBody(start: ScaffoldServiceOptions['start']): string {
  const json = JSON.stringify(start ?? []).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return json.replace(/[\\"]/g, (c) => `\\${c}`);
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/__BGSAFE_([A-Z_]+?)__/g, (m, key: string) => values[key] ?? m);
}

/** Python files of the add-on (at most a few hundred), for the hints below, by path from the folder that holds
 *  the add-on (`my_addon/ops/server.py`, `my_addon.py`): the module names serviceStarters reads. */
function addonFiles(abs: string, isDir: boolean): Array<{ path: string; source: string }> {
  const base = path.dirname(abs);
  const rel = (p: string): string => path.relative(base, p).split(path.sep).join('/');
  if (!isDir) return [{ path: rel(abs), source: readFileSync(abs, 'utf8') }];
  const out: Array<{ path: string; source: string }> = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 6 || out.length > 400) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === '__pycache__') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.name.endsWith('.py')) out.push({ path: rel(p), source: readFileSync(p, 'utf8') });
    }
  };
  walk(abs, 0);
  return out;
}

/**
 * The start operators when none were asked for: the add-on's operators whose execute() starts a service
 * (src/syntax/service-start.ts). Exactly one, and nothing in register() starts a service: that one, said in a
 * note. Otherwise none, and a note that lists them with the flag to add.
 */
function defaultStart(files: Array<{ path: string; source: string }>, notes: string[]): StartOperator[] {
  const { operators, registerStarts } = serviceStarters(files);
  if (operators.length === 0) return [];
  const only = operators[0]!;
  if (operators.length === 1 && registerStarts.length === 0) {
    const start: StartOperator = { idname: only.idname, properties: {} };
    notes.push(
      `nothing in register() starts a service, and one operator does (${only.idname}, ${only.file}:${only.line}: ${only.starts.join(', ')}): ` +
        `the service script calls it after enabling the add-on, as \`${startFlag(start)}\` would; give --start yourself to pass properties or choose another`,
    );
    return [start];
  }
  const list = operators.map((o) => `${o.idname} (${o.file}:${o.line}: ${o.starts.join(', ')})`).join('; ');
  const why = registerStarts.length ? 'register() starts a service too, so none is called' : 'more than one does, so none is called';
  notes.push(`these operators start a service in execute(): ${list}; ${why}: add \`--start IDNAME [key=value ...]\` for each one the service needs`);
  return [];
}

export function scaffoldService(options: ScaffoldServiceOptions): ScaffoldServiceResult {
  const abs = path.resolve(options.addon.replace(/[\\/]+$/, '') || options.addon);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    throw new ScaffoldUsageError(`${options.addon}: no such file or folder`);
  }
  if (isDir && !existsSync(path.join(abs, '__init__.py'))) {
    throw new ScaffoldUsageError(`${options.addon}: not an add-on: a package folder needs an __init__.py`);
  }
  if (!isDir && !abs.endsWith('.py')) {
    throw new ScaffoldUsageError(`${options.addon}: not an add-on: expected a package folder or a module .py (unzip a .zip first)`);
  }
  const module = isDir ? path.basename(abs) : path.basename(abs, '.py');
  if (!MODULE_NAME.test(module)) {
    throw new ScaffoldUsageError(`${options.addon}: "${module}" is not a Python module name, so Blender cannot import it as an add-on`);
  }

  const out = path.resolve(options.out ?? path.dirname(abs));
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new ScaffoldUsageError(`--out ${options.out}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const launcherName = `${module}_service.py`;
  const scriptName = `${module}_service_blender.py`;
  const launcher = path.join(out, launcherName);
  const script = path.join(out, scriptName);
  if (isDir && (path.relative(abs, out) === '' || !path.relative(abs, out).startsWith('..'))) {
    throw new ScaffoldUsageError(`--out ${options.out ?? out}: inside the add-on; the service files go next to it, not into it (Blender would list them as part of the add-on)`);
  }
  if (!options.force) {
    for (const f of [launcher, script]) if (existsSync(f)) throw new ScaffoldUsageError(`${f}: exists already (--force overwrites it)`);
  }

  const notes: string[] = [];
  const files = addonFiles(abs, isDir);
  const start = options.start?.length ? options.start : defaultStart(files, notes);
  const values = {
    ADDON_MODULE: module,
    ADDON_RELPATH: path.relative(out, abs).split(path.sep).join('/'),
    LAUNCHER_NAME: launcherName,
    SCRIPT_NAME: scriptName,
    START_JSON: startJsonLiteralBody(start),
  };
  const read = (name: string): string => readFileSync(path.join(packageRoot, 'python', name), 'utf8');
  try {
    writeFileSync(launcher, fill(read('service_launcher.py'), values));
    chmodSync(launcher, 0o755);
    writeFileSync(script, fill(read('service_script.py'), values));
  } catch (e) {
    throw new ScaffoldUsageError(`cannot write into ${out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }

  const texts = files.map((f) => f.source);
  const usesTimers = texts.some((t) => /\btimers\.register\s*\(/.test(t) && !/\bbgsafe_runtime\.schedule\s*\(/.test(t));
  // A package carries bgsafe_runtime.py; a single-file add-on the block embedded into it.
  const hasRuntime = isDir ? existsSync(path.join(abs, 'bgsafe_runtime.py')) : embeddedRuntimeRange(texts[0] ?? '') !== null;
  if (usesTimers && !hasRuntime) {
    notes.push(`${options.addon} schedules work with bpy.app.timers, which never fire headless: run \`bgsafe --write ${options.addon}\` first (BGS011 adds its runtime), or the service will do nothing`);
  }
  return { module, launcher, script, start, notes };
}
