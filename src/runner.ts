// The programmatic API the CLI is built on, as a pipeline: discover the files (discover.ts), plan each one's
// rules from config (plan.ts), analyse them, on worker threads for a large batch (pool.ts) or here
// (analyse.ts: read, prefilter, parse, findings, fixes), then with write write the changed files and create
// the files fixes asked for (write.ts), and sum up (report.ts). Nothing here prints.
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { analyseFile, type FixReviewer } from './analyse.js';
import { discover } from './discover.js';
import { makePlanner, type FilePlan, type RulesPlan } from './plan.js';
import { analyseInWorkers, PARALLEL_MIN_FILES, type PoolJob } from './pool.js';
import type { FileAnalysis, FileTask } from './protocol.js';
import { releaseReadCache } from './read.js';
import { addonSummaries, addTotals, emptyReport, fileReport, type FileReport, type RunReport } from './report.js';
import { writeStage, type WriteBack } from './write.js';
import { openWriteSession, type WriteSession } from './write-lock.js';
import type { FileError, Rule } from './types.js';
import { allRules } from '../rules/index.js';
import type { TargetRange } from './versions.js';
import { clearAddonModels } from './model/addon.js';
import { takeShard, type Shard } from './shard.js';

import type { ProgressEvent } from './progress.js';
import type { DecodedSource } from './read.js';
import { stdinFile } from './stdin.js';

export { displayPath } from './report.js';
export type { AddonSummary, FileReport, RunReport } from './report.js';

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
  /** The Blender versions fixes are for (`--target-blender 4.2`, `4.2-4.5`); replaces the config file's
   *  `target-blender` and what each add-on declares. Parse a spec with `parseTargetSpec`. */
  targetBlender?: TargetRange;
  /** Threads for a large batch (default: the number of cores, at most 8); 1 runs everything here. */
  jobs?: number;
  /** With write: write even files with uncommitted changes in git (otherwise the write is refused). */
  allowDirty?: boolean;
  /** With write: told when another `--write` run holds these add-ons and this one waits for it. */
  onWait?: (message: string) => void;
  /** `--shard 2/3`: only the add-ons of this shard (src/shard.ts says which); the report says which shard. */
  shard?: Shard;
  /** Called once before the first file's analysis and as each one arrives (progress.ts). */
  onProgress?: (e: ProgressEvent) => void;
  /** Review each pass's fixes before they are applied (--interactive, interactive.ts); every file is then
   *  analysed in this thread, one after another. */
  review?: FixReviewer;
  /** --stdin-filename (stdin.ts): analyse this text as the file `paths[0]` (which need not exist); nothing
   *  is written, whatever `write` says. */
  stdin?: DecodedSource;
}

/** Threads at most: beyond this, a batch of add-ons gains little and every thread costs its own heap. */
const MAX_THREADS = 8;
/** What a file costs to analyse beyond its bytes, in bytes, for balancing the threads. */
const PER_FILE_BYTES = 2048;

export async function run(options: RunOptions): Promise<RunReport> {
  // With write: one --write run at a time per add-on, and SIGINT / SIGTERM handled (write-lock.ts).
  const session = openWriteSession(options.write === true && !options.stdin, path.resolve(options.cwd ?? process.cwd()), options.onWait);
  try {
    return await runOnce(options, session);
  } finally {
    session.close();
  }
}

async function runOnce(options: RunOptions, session: WriteSession): Promise<RunReport> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  // Each run reads the add-ons as they are on disk now (an earlier --write may have changed them).
  clearAddonModels();
  const write = options.write === true && !options.stdin;
  const errors: FileError[] = [];
  const planner = makePlanner(options, options.rules ?? allRules, cwd, errors);
  // --shard: only this shard's add-ons (shard.ts), and the errors it owns; a --write locks only those add-ons,
  // so the shards of one batch can be written at once.
  const mark = errors.length;
  const { files, problems, sharded } = await session.lock(async () => {
    errors.length = mark; // discovered again after waiting for another run's locks: its errors once
    const discovered = options.stdin ? await stdinFile(options.paths[0], cwd) : await discover(options.paths, cwd, planner.exclude);
    if (!options.shard) return { ...discovered, sharded: undefined };
    const picked = takeShard(discovered, options.shard, { paths: options.paths, cwd, errors, visit: (f) => planner.plan(f) });
    return { files: picked.files, problems: picked.problems, sharded: picked };
  });
  for (const p of problems) errors.push({ path: p.path, kind: 'path', message: p.message });
  const plans = files.map((f) => planner.plan(f));

  // Each analysis becomes its file's report as it arrives (from the workers, in any order), so that no more
  // than the report is held; a changed file also keeps what writing it back needs.
  const reports: FileReport[] = new Array(plans.length);
  const writeBacks = new Map<number, WriteBack>();
  const total = plans.filter((p) => 'rules' in p).length;
  let done = 0;
  options.onProgress?.({ done, total, addon: '' });
  const take = (index: number, a: FileAnalysis): void => {
    const { f, display } = plans[index];
    options.onProgress?.({ done: ++done, total, addon: f.addon });
    reports[index] = fileReport(f, display, a);
    if (a.result?.changed && a.decoded) writeBacks.set(index, { encoding: { bom: a.decoded.bom, encoding: a.decoded.encoding }, mtimeMs: a.mtimeMs });
  };
  for (const [index, p] of plans.entries()) {
    if (!('configError' in p)) continue;
    reports[index] = emptyReport(p.f, p.display);
    reports[index].errors.push({ path: p.display, kind: 'config', message: 'not processed: its pyproject.toml has an error (see above)' });
  }
  await analyse(plans, options, take);

  // Writing waits until every file is analysed: rules read an add-on's other files from disk, and must see
  // them as they were.
  const created = await writeStage({ reports, files, writeBacks, cwd, write, allowDirty: options.allowDirty === true, errors, signals: session.signals });
  const report: RunReport = {
    files: reports,
    errors,
    unusedSuppressions: [],
    addons: addonSummaries(files, reports, cwd, (f) => planner.target(f)),
    ...(sharded ? { shard: sharded.shard } : {}),
    summary: { filesScanned: 0, filesChanged: 0, filesCreated: 0, filesWritten: 0, fixesApplied: 0, findings: 0, findingsByRule: {}, errors: 0 },
  };
  report.files.push(...created);
  addTotals(report, write);
  return report;
}

/** Analyse every planned file, on worker threads for a large batch of bgsafe's own rules (rules passed in
 *  as objects cannot cross to a thread, so they run here). */
async function analyse(plans: FilePlan[], options: RunOptions, take: (index: number, a: FileAnalysis) => void): Promise<void> {
  const work = plans.flatMap((p, index) => ('rules' in p ? [{ index, p }] : []));
  const task = (p: RulesPlan): FileTask => ({
    absPath: p.f.absPath,
    display: p.display,
    ruleCodes: p.rules.map((r) => r.code),
    unsafe: p.unsafe,
    target: p.target,
    zip: p.f.zip,
  });
  if (options.review || options.stdin) {
    const knownCodes = new Set(allRules.map((t) => t.code));
    for (const { index, p } of work) take(index, await analyseFile(task(p), p.rules, knownCodes, { review: options.review, text: options.stdin }));
    releaseReadCache();
    return;
  }
  const threads = Math.min(options.jobs ?? availableParallelism(), MAX_THREADS);
  if (!options.rules && threads > 1 && work.length >= PARALLEL_MIN_FILES) {
    const jobs: PoolJob[] = work.map(({ index, p }) => ({
      index,
      task: task(p),
      group: p.f.addonRoot,
      size: PER_FILE_BYTES + sizeOf(p.f.absPath),
    }));
    await analyseInWorkers(jobs, threads, take);
    return;
  }
  // One file at a time: only the file being analysed is held.
  const knownCodes = new Set(allRules.map((t) => t.code));
  for (const { index, p } of work) take(index, await analyseFile(task(p), p.rules, knownCodes));
  releaseReadCache();
}

/** A file's size, or 0 (an entry of a .zip, a file gone). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
