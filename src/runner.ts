// The programmatic API the CLI is built on: discover files, resolve config, run the fix loop on each,
// and (with write) write changed files atomically. Nothing here prints.
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, ConfigResolver, selectRules, type FileConfig } from './config.js';
import { discover, makeExcluder, type DiscoveredFile } from './discover.js';
import { availableParallelism } from 'node:os';
import { processSource, type SourceResult } from './engine.js';
import { analyseInWorkers, PARALLEL_MIN_FILES } from './pool.js';
import { extractZipEntry, readZip, type ZipEntry } from './zip.js';
import { createAtomic, decodeSource, encodeSource, writeAtomic, type DecodedSource } from './files.js';
import type { FileError, ReportedFinding, Rule } from './types.js';
import { allRules } from '../rules/index.js';
import { clearAddonModels } from './model/addon.js';

export interface RunOptions {
  /** Files and folders to process. */
  paths: string[];
  /** Folder that relative paths, and the paths in reports, are relative to. Default: process.cwd(). */
  cwd?: string;
  /** Write fixed files in place (otherwise a dry run). */
  write?: boolean;
  /** Rule codes, slugs or prefixes; replaces the config file's `select`. */
  select?: string[];
  /** Rule codes, slugs or prefixes to leave out; replaces the config file's `ignore`. */
  ignore?: string[];
  /** Apply fixes marked unsafe; replaces the config file's `unsafe-fixes`. */
  unsafeFixes?: boolean;
  /** Glob patterns of files or folders to skip (relative to cwd), added to the config file's. */
  exclude?: string[];
  /** Read [tool.bgsafe] from pyproject.toml files (default true). */
  config?: boolean;
  /** The rules to choose from (default: all of bgsafe's). Rules passed here run in this thread. */
  rules?: Rule[];
  /** Threads for a large batch (default: the number of cores, at most 8); 1 runs everything here. */
  jobs?: number;
}

export interface FileReport {
  /** Path relative to cwd, with forward slashes (as in diffs and reports). */
  path: string;
  absPath: string;
  addon: string;
  /** The source as read and as fixed (equal when nothing changed). */
  original: string;
  output: string;
  changed: boolean;
  /** A new file that fixes of other files need (e.g. a generated runtime module); `original` is ''. */
  created: boolean;
  written: boolean;
  fixesApplied: number;
  findings: ReportedFinding[];
  errors: FileError[];
  unusedSuppressions: Array<{ path: string; line: number; column: number; message: string }>;
  /** New files this file's fixes need (relative to its folder); see Fix.createFiles. */
  createFiles: Array<{ path: string; text: string }>;
}

export interface AddonSummary {
  name: string;
  root: string;
  files: number;
  changed: number;
  findings: number;
  errors: number;
}

export interface RunReport {
  files: FileReport[];
  /** Errors for paths and configuration, and every file's errors. */
  errors: FileError[];
  unusedSuppressions: Array<{ path: string; line: number; column: number; message: string }>;
  addons: AddonSummary[];
  summary: {
    filesScanned: number;
    filesChanged: number;
    filesCreated: number;
    filesWritten: number;
    fixesApplied: number;
    findings: number;
    findingsByRule: Record<string, number>;
    errors: number;
  };
}

export function displayPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  return (rel === '' ? path.basename(abs) : rel).split(path.sep).join('/');
}

export async function run(options: RunOptions): Promise<RunReport> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  clearAddonModels();
  const catalogue = options.rules ?? allRules;
  const knownCodes = new Set(allRules.map((t) => t.code));
  const errors: FileError[] = [];
  const report: RunReport = {
    files: [],
    errors,
    unusedSuppressions: [],
    addons: [],
    summary: { filesScanned: 0, filesChanged: 0, filesCreated: 0, filesWritten: 0, fixesApplied: 0, findings: 0, findingsByRule: {}, errors: 0 },
  };
  const useConfig = options.config !== false;
  const resolver = new ConfigResolver();
  const cliExclude = makeExcluder(options.exclude ?? [], cwd);
  const configFor = (dir: string): FileConfig | null => (useConfig ? resolver.forDir(dir) : null);
  const badConfigs = new Set<string>();
  const safeConfigFor = (dir: string): FileConfig | null | 'error' => {
    try {
      return configFor(dir);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      if (!badConfigs.has(e.file)) {
        badConfigs.add(e.file);
        errors.push({ path: displayPath(e.file, cwd), kind: 'config', message: e.message, line: e.line, column: e.column });
      }
      return 'error';
    }
  };
  // Config excludes apply while walking folders, relative to the config's own folder.
  const excluders = new Map<string, (abs: string, isDir: boolean) => boolean>();
  const exclude = (abs: string, isDir: boolean): boolean => {
    if (cliExclude(abs, isDir)) return true;
    const cfg = safeConfigFor(path.dirname(abs));
    if (!cfg || cfg === 'error' || !cfg.exclude) return false;
    let ex = excluders.get(cfg.source);
    if (!ex) {
      ex = makeExcluder(cfg.exclude, cfg.root);
      excluders.set(cfg.source, ex);
    }
    return ex(abs, isDir);
  };
  const { files, problems } = await discover(options.paths, cwd, exclude);
  for (const p of problems) errors.push({ path: p.path, kind: 'path', message: p.message });

  const rulesCache = new Map<string, { rules: Rule[]; unsafe: boolean }>();
  const rulesFor = (cfg: FileConfig | null): { rules: Rule[]; unsafe: boolean } => {
    const key = cfg?.source ?? '';
    let hit = rulesCache.get(key);
    if (!hit) {
      hit = {
        rules: selectRules(catalogue, options.select ?? cfg?.select, options.ignore ?? cfg?.ignore),
        unsafe: options.unsafeFixes ?? cfg?.unsafeFixes ?? false,
      };
      rulesCache.set(key, hit);
    }
    return hit;
  };

  // Which rules each file gets (config is per folder); files under a broken pyproject.toml get none.
  const plans = files.map((f) => {
    const display = displayPath(f.absPath, cwd);
    const cfg = safeConfigFor(path.dirname(f.absPath));
    if (cfg === 'error') return { f, display, configError: true as const };
    const { rules, unsafe } = rulesFor(cfg);
    const task: FileTask = { absPath: f.absPath, display, ruleCodes: rules.map((r) => r.code), unsafe, addonRoot: f.addonRoot };
    if (f.zip) {
      try {
        task.bytes = zipEntryBytes(f.zip.archive, f.zip.entry);
      } catch (e) {
        return { f, display, readError: `cannot read from the .zip: ${(e as Error).message}` };
      }
    }
    return { f, display, rules, unsafe, task };
  });
  const work = plans.flatMap((p, index) => ('task' in p && p.task ? [{ index, task: p.task }] : []));
  zipCache.clear();
  const analyses = new Map<number, FileAnalysis>();
  // Worker threads for a large batch of bgsafe's own rules; rules passed in as objects run here.
  const threads = Math.min(options.jobs ?? availableParallelism(), 8);
  if (!options.rules && threads > 1 && work.length >= PARALLEL_MIN_FILES) {
    const results = await analyseInWorkers(work.map((w) => w.task), threads);
    work.forEach((w, i) => analyses.set(w.index, results[i]));
  } else {
    for (const w of work) {
      const p = plans[w.index] as { rules: Rule[]; unsafe: boolean };
      analyses.set(w.index, await analyseFile(w.task, p.rules, knownCodes, p.unsafe));
    }
  }

  const addons = new Map<string, AddonSummary>();
  for (const [index, p] of plans.entries()) {
    const { f, display } = p;
    let fr: FileReport;
    if ('configError' in p) {
      fr = emptyReport(f, display);
      fr.errors.push({ path: display, kind: 'config', message: 'not processed: its pyproject.toml has an error (see above)' });
    } else if ('readError' in p) {
      fr = await finishFile(f, display, { readError: p.readError }, false);
    } else {
      fr = await finishFile(f, display, analyses.get(index)!, options.write === true);
    }
    report.files.push(fr);
    const key = f.addonRoot;
    let a = addons.get(key);
    if (!a) {
      a = { name: f.addon, root: displayPath(f.addonRoot, cwd), files: 0, changed: 0, findings: 0, errors: 0 };
      addons.set(key, a);
    }
    a.files++;
    if (fr.changed) a.changed++;
    a.findings += fr.findings.length;
    a.errors += fr.errors.length;
  }
  report.files.push(...(await createRequestedFiles(report.files, files, cwd, options.write === true)));
  report.addons = [...addons.values()];
  for (const fr of report.files) {
    errors.push(...fr.errors);
    report.unusedSuppressions.push(...fr.unusedSuppressions);
    if (fr.created) {
      report.summary.filesCreated++;
      if (fr.written) report.summary.filesWritten++;
      const a = [...addons.values()].find((x) => x.name === fr.addon);
      if (a) a.changed++;
      continue;
    }
    report.summary.filesScanned++;
    if (fr.changed) report.summary.filesChanged++;
    if (fr.written) report.summary.filesWritten++;
    // With write, count the fixes that reached the disk.
    if (!options.write || fr.written) report.summary.fixesApplied += fr.fixesApplied;
    for (const finding of fr.findings) {
      report.summary.findings++;
      report.summary.findingsByRule[finding.code] = (report.summary.findingsByRule[finding.code] ?? 0) + 1;
    }
  }
  report.summary.errors = errors.length;
  return report;
}

/** One file to read and fix: plain data, so that a worker thread can take it. */
export interface FileTask {
  absPath: string;
  display: string;
  /** The add-on the file belongs to: a worker gets an add-on's files together, so that the add-on model
   *  (its other files, parsed once) is built in one worker only. */
  addonRoot?: string;
  /** Codes of the rules to run (from bgsafe's own table). */
  ruleCodes: string[];
  unsafe: boolean;
  /** The file's bytes where they do not come from absPath (an entry of a .zip add-on). */
  bytes?: Uint8Array;
}

/** What reading and fixing one file gives: plain data, so that a worker thread can send it back. */
export interface FileAnalysis {
  decoded?: DecodedSource;
  mtimeMs?: number;
  readError?: string;
  result?: SourceResult;
}

/** Read one file and run the fix loop over it (no writing). */
export async function analyseFile(task: FileTask, rules: Rule[], knownCodes: Set<string>, unsafe: boolean): Promise<FileAnalysis> {
  let bytes: Buffer;
  let mtimeMs: number | undefined;
  try {
    if (task.bytes) bytes = Buffer.from(task.bytes);
    else {
      bytes = await fs.readFile(task.absPath);
      mtimeMs = (await fs.stat(task.absPath)).mtimeMs;
    }
  } catch (e) {
    return { readError: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  const decoded = decodeSource(bytes);
  const result = processSource(task.display, decoded.text, { rules: rules, unsafeFixes: unsafe, knownCodes, absPath: task.absPath });
  return { decoded, mtimeMs, result };
}

function emptyReport(f: DiscoveredFile, display: string): FileReport {
  return {
    path: display,
    absPath: f.absPath,
    addon: f.addon,
    original: '',
    output: '',
    changed: false,
    written: false,
    fixesApplied: 0,
    findings: [],
    errors: [],
    unusedSuppressions: [],
    created: false,
    createFiles: [],
  };
}

/** A file's report from its analysis; with write, the fixed file is written (atomically, if unchanged on disk). */
async function finishFile(f: DiscoveredFile, display: string, a: FileAnalysis, write: boolean): Promise<FileReport> {
  const base = emptyReport(f, display);
  if (a.readError || !a.decoded || !a.result) {
    base.errors.push({ path: display, kind: 'read', message: a.readError ?? 'cannot read' });
    return base;
  }
  const { decoded, result } = a;
  const fr: FileReport = {
    ...base,
    original: decoded.text,
    output: result.output,
    changed: result.changed,
    fixesApplied: result.fixesApplied,
    findings: result.findings,
    errors: result.errors,
    unusedSuppressions: result.unusedSuppressions,
    createFiles: result.createFiles,
  };
  if (write && result.changed && f.zip) {
    fr.errors.push({
      path: display,
      kind: 'write',
      message: `not written: it is inside ${path.basename(f.zip.archive)}, which bgsafe does not rewrite; unzip it, run \`bgsafe --write\` on the folder, and zip it again`,
    });
  } else if (write && result.changed) {
    try {
      const now = await fs.stat(f.absPath);
      if (now.mtimeMs !== a.mtimeMs) throw Object.assign(new Error('the file changed while bgsafe ran; run bgsafe again'), { code: 'CHANGED' });
      await writeAtomic(f.absPath, encodeSource(result.output, decoded));
      fr.written = true;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      fr.errors.push({ path: display, kind: 'write', message: `not written: ${err.code === 'CHANGED' ? err.message : err.code ?? err.message}` });
    }
  }
  return fr;
}

/**
 * The new files that applied fixes asked for (Fix.createFiles), once per path. A path that exists already,
 * or that would land outside the add-on of the file asking, is not created. With write, a file is created
 * only when a file asking for it was written.
 */
async function createRequestedFiles(reports: FileReport[], files: DiscoveredFile[], cwd: string, write: boolean): Promise<FileReport[]> {
  const out = new Map<string, FileReport>();
  const rootOf = new Map(files.map((f) => [f.absPath, f.addonRoot]));
  for (const fr of reports) {
    if (!fr.changed || fr.createFiles.length === 0) continue;
    const root = rootOf.get(fr.absPath) ?? path.dirname(fr.absPath);
    for (const c of fr.createFiles) {
      const abs = path.resolve(path.dirname(fr.absPath), c.path);
      const rel = path.relative(root === fr.absPath ? path.dirname(root) : root, abs);
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        fr.errors.push({ path: fr.path, kind: 'internal', message: `internal error: a fix asked to create ${c.path}, outside the add-on; not created; please report it` });
        continue;
      }
      const existing = out.get(abs);
      if (existing) {
        if (existing.output !== c.text) fr.errors.push({ path: fr.path, kind: 'internal', message: `internal error: fixes asked for two different versions of ${existing.path}; the first was kept; please report it` });
        if (fr.written && write && !existing.written) await createOne(existing);
        continue;
      }
      try {
        await fs.lstat(abs);
        continue; // it exists: never touched
      } catch {
        // absent: create it
      }
      const created: FileReport = {
        path: displayPath(abs, cwd),
        absPath: abs,
        addon: fr.addon,
        original: '',
        output: c.text,
        changed: true,
        created: true,
        written: false,
        fixesApplied: 0,
        findings: [],
        errors: [],
        unusedSuppressions: [],
        createFiles: [],
      };
      out.set(abs, created);
      if (write && fr.written) await createOne(created);
    }
  }
  return [...out.values()];
}

async function createOne(fr: FileReport): Promise<void> {
  try {
    await fs.mkdir(path.dirname(fr.absPath), { recursive: true });
    await createAtomic(fr.absPath, Buffer.from(fr.output, 'utf8'));
    fr.written = true;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    fr.errors.push({ path: fr.path, kind: 'write', message: `not created: ${err.code ?? err.message}` });
  }
}

const zipCache = new Map<string, { buf: Buffer; entries: Map<string, ZipEntry> }>();

/** The bytes of one entry of a .zip add-on (each archive read once per run). */
function zipEntryBytes(archive: string, entry: string): Buffer {
  let z = zipCache.get(archive);
  if (!z) {
    const buf = readFileSync(archive);
    z = { buf, entries: new Map(readZip(buf).map((e) => [e.name, e])) };
    zipCache.set(archive, z);
  }
  const e = z.entries.get(entry);
  if (!e) throw new Error(`no entry ${entry}`);
  return extractZipEntry(z.buf, e);
}
