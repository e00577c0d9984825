// `bgsafe merge r1.json r2.json …`: join JSON reports (`bgsafe --format json`, typically the N shards of
// one batch run with --shard K/N) into the report the whole batch would have given, and print it as the
// summary, json, text, diff, sarif or github.
//
// The merged report is the unsharded one: files in tree order (folder by folder, names by code unit, as
// discovery walks them; files created by fixes last), add-ons by root, each file's findings and errors in
// the order its report had them, errors that belong to no file first; the summary is counted again from
// the merged content. So, for one folder of add-ons, the merge of shards 1/N … N/N is the unsharded report
// byte for byte, whatever order the reports are named in.
//
// An input that cannot be read, is not JSON, is not a bgsafe report of this report version, or breaks
// schema/report.schema.json is exit 2, naming the file and what is wrong; so are reports that do not fit
// together (different bgsafe versions or modes, a file or add-on in two reports, shards missing, twice,
// or of another batch: each shard's report carries the batch's fingerprint, see shard.ts).
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { allRules } from '../rules/index.js';
import { JSON_SCHEMA_VERSION } from './reporters/json.js';
import { reporters } from './reporters/index.js';
import { formatSummary } from './reporters/summary.js';
import { errorLine } from './reporters/text.js';
import { countSummary, type AddonSummary, type FileReport, type RunReport } from './report.js';
import { checkSchema, type Schema } from './schema-check.js';
import type { FileError, ReportedFinding } from './types.js';
import { packageRoot } from './version.js';

// The JSON report's shape (schema/report.schema.json), as merge reads it.
interface JsonPosition {
  line: number;
  column: number;
}
interface JsonFile {
  path: string;
  addon: string;
  changed: boolean;
  created: boolean;
  written: boolean;
  fixesApplied: number;
  diff: string | null;
}
interface JsonFinding {
  code: string;
  slug: string;
  messageId: string;
  message: string;
  path: string;
  range: { start: JsonPosition; end: JsonPosition; startOffset: number; endOffset: number };
  fix: null | { safety: 'safe' | 'unsafe'; description: string; edits?: Array<{ start: number; end: number; text: string }>; createFiles?: Array<{ path: string; text: string }> };
  fixStatus: ReportedFinding['fixStatus'];
  applied: boolean;
}
interface JsonError {
  path: string;
  kind: string;
  message: string;
  line: number | null;
  column: number | null;
  code: string | null;
}
interface JsonSuppression {
  path: string;
  line: number;
  column: number;
  message: string;
}
export interface JsonReport {
  version: number;
  tool: { name: 'bgsafe'; version: string };
  mode: 'dry-run' | 'write';
  shard?: { index: number; count: number; batch: string };
  summary: RunReport['summary'];
  addons: AddonSummary[];
  files: JsonFile[];
  findings: JsonFinding[];
  unusedSuppressions: JsonSuppression[];
  errors: JsonError[];
}

/** An input that merge cannot use; `file` is the input as named. */
export class MergeError extends Error {
  constructor(
    readonly file: string | undefined,
    message: string,
  ) {
    super(file === undefined ? message : `${file}: ${message}`);
  }
}

let schemaCache: Schema | undefined;
function reportSchema(): Schema {
  schemaCache ??= JSON.parse(readFileSync(path.join(packageRoot, 'schema', 'report.schema.json'), 'utf8')) as Schema;
  return schemaCache;
}

/** Parse and check one input; `file` is used in messages. */
export function parseReport(text: string, file: string): JsonReport {
  if (text.trim() === '') throw new MergeError(file, 'empty file (did the bgsafe run that should have written it fail?)');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new MergeError(file, `not JSON: ${(e as Error).message}`);
  }
  const obj = data as Record<string, unknown> | null;
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new MergeError(file, 'not a bgsafe JSON report: the top level is not an object');
  if ('runs' in obj && typeof obj.version === 'string') throw new MergeError(file, 'a SARIF file; merge takes the reports of `bgsafe --format json`');
  const tool = obj.tool as Record<string, unknown> | undefined;
  if (typeof tool !== 'object' || tool === null || tool.name !== 'bgsafe') throw new MergeError(file, 'not a bgsafe JSON report (no "tool": {"name": "bgsafe"}); merge takes the reports of `bgsafe --format json`');
  if (obj.version !== JSON_SCHEMA_VERSION) throw new MergeError(file, `report format version ${JSON.stringify(obj.version)}; this bgsafe reads version ${JSON_SCHEMA_VERSION}`);
  const problem = checkSchema(data, reportSchema());
  if (problem !== null) throw new MergeError(file, `not a valid bgsafe report: ${problem}`);
  return data as JsonReport;
}

/** Read and check one input file. */
export function readReport(file: string): JsonReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'a folder, not a report file' : err.code === 'EACCES' ? 'permission denied' : (err.code ?? err.message);
    throw new MergeError(file, `cannot read: ${why}`);
  }
  return parseReport(text, file);
}

/** Paths in tree order: folder by folder, each name by UTF-16 code unit (the order discovery walks in). */
export function compareTreeOrder(a: string, b: string): number {
  const as = a.split('/');
  const bs = b.split('/');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    if (as[i] !== bs[i]) {
      // Discovery walks a folder's entries by name, so `a/x.py` (in folder a) comes before `a.py`.
      return as[i] < bs[i] ? -1 : 1;
    }
  }
  return as.length - bs.length;
}

/** Join checked reports (`names[i]` is report i's file name, for messages) into one. */
export function mergeReports(inputs: JsonReport[], names: string[] = inputs.map((_, i) => `report ${i + 1}`)): JsonReport {
  if (inputs.length === 0) throw new MergeError(undefined, 'no reports to merge');
  const first = inputs[0];
  for (const [i, r] of inputs.entries()) {
    if (r.tool.version !== first.tool.version) throw new MergeError(names[i], `made by bgsafe ${r.tool.version}, ${names[0]} by ${first.tool.version}: merge the reports of one bgsafe version`);
    if (r.mode !== first.mode) throw new MergeError(names[i], `a ${r.mode} report, ${names[0]} a ${first.mode} report: merge the reports of runs made the same way`);
  }
  const order = shardOrder(inputs, names);

  // Each file, add-on and finding once: the same one in two reports means overlapping runs (a shard
  // given twice, or runs of overlapping paths), whose merge would count it twice.
  const fileOwner = new Map<string, number>();
  const scanned: JsonFile[] = [];
  const created: JsonFile[] = [];
  for (const i of order) {
    for (const f of inputs[i].files) {
      const other = fileOwner.get(f.path);
      if (other !== undefined) throw new MergeError(names[i], `${f.path} is also in ${names[other]}: the reports overlap (the same shard twice, or runs over overlapping paths)`);
      fileOwner.set(f.path, i);
      (f.created ? created : scanned).push(f);
    }
  }
  const byTree = (a: { path: string }, b: { path: string }): number => compareTreeOrder(a.path, b.path);
  scanned.sort(byTree);
  created.sort(byTree);
  const files = [...scanned, ...created];
  const rank = new Map(files.map((f, k) => [f.path, k]));

  const addonOwner = new Map<string, number>();
  const addons: AddonSummary[] = [];
  for (const i of order) {
    for (const a of inputs[i].addons) {
      const other = addonOwner.get(a.root);
      if (other !== undefined) throw new MergeError(names[i], `add-on ${a.root} is also in ${names[other]}: the reports overlap (the same shard twice, or runs over overlapping paths)`);
      addonOwner.set(a.root, i);
      addons.push(a);
    }
  }
  addons.sort((a, b) => compareTreeOrder(a.root, b.root));

  // Findings, suppressions and errors by their file's place, keeping each file's own order (sort is stable);
  // what belongs to no file (a missing path, a broken pyproject.toml) first, in the reports' order.
  const place = (p: string): number => rank.get(p) ?? -1;
  const inFileOrder = <T extends { path: string }>(items: T[]): T[] => items.sort((a, b) => place(a.path) - place(b.path));
  const gather = <T>(pick: (r: JsonReport) => T[]): T[] => order.flatMap((i) => pick(inputs[i]));
  const findings = inFileOrder(gather((r) => r.findings));
  const unusedSuppressions = inFileOrder(gather((r) => r.unusedSuppressions));
  const errors = inFileOrder(gather((r) => r.errors));

  const write = first.mode === 'write';
  const summary = countSummary(files, findings, errors.length, write);
  // The key order of `bgsafe --format json`; a merged report has no shard: it is the whole batch.
  return { version: first.version, tool: first.tool, mode: first.mode, summary, addons, files, findings, unusedSuppressions, errors };
}

/** The order to read the inputs in: by shard where they are shards (all of one N, each once), else as named. */
function shardOrder(inputs: JsonReport[], names: string[]): number[] {
  const sharded = inputs.map((r, i) => ({ r, i })).filter((x) => x.r.shard !== undefined);
  if (sharded.length === 0) return inputs.map((_, i) => i);
  const plain = inputs.findIndex((r) => r.shard === undefined);
  if (plain >= 0) throw new MergeError(names[plain], `not a shard, but ${names[sharded[0].i]} is shard ${sharded[0].r.shard!.index}/${sharded[0].r.shard!.count}: merge the N reports of one --shard K/N batch, or reports without --shard`);
  const count = sharded[0].r.shard!.count;
  const seen = new Map<number, number>();
  for (const { r, i } of sharded) {
    if (r.shard!.count !== count) throw new MergeError(names[i], `shard ${r.shard!.index}/${r.shard!.count}, but ${names[sharded[0].i]} is shard ${sharded[0].r.shard!.index}/${count}: merge the shards of one batch`);
    if (r.shard!.batch !== sharded[0].r.shard!.batch) throw new MergeError(names[i], `a shard of another batch than ${names[sharded[0].i]} (its add-ons differ: run every shard from the same folder, on the same paths, of the same checkout)`);
    if (r.shard!.index > count) throw new MergeError(names[i], `shard ${r.shard!.index}/${count} does not exist`);
    const other = seen.get(r.shard!.index);
    if (other !== undefined) throw new MergeError(names[i], `shard ${r.shard!.index}/${count} again (also ${names[other]})`);
    seen.set(r.shard!.index, i);
  }
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((k) => !seen.has(k));
  if (missing.length > 0) throw new MergeError(undefined, `shard${missing.length === 1 ? '' : 's'} ${missing.map((k) => `${k}/${count}`).join(', ')} missing: the merge of a --shard batch needs all ${count} reports (a shard's job failed, or its report was not collected?)`);
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, i]) => i);
}

/** The merged report as the RunReport the printers take. Texts of files are not in a JSON report, so a
 *  diff comes from files[].diff instead (see formatMergedDiff). */
export function toRunReport(r: JsonReport): RunReport {
  const error = (e: JsonError): FileError => ({ path: e.path, kind: e.kind, message: e.message, ...(e.line !== null ? { line: e.line } : {}), ...(e.column !== null ? { column: e.column } : {}), ...(e.code !== null ? { code: e.code } : {}) });
  const byFile = new Map<string, ReportedFinding[]>();
  for (const x of r.findings) {
    const finding: ReportedFinding = {
      code: x.code,
      slug: x.slug,
      messageId: x.messageId,
      message: x.message,
      start: x.range.startOffset,
      end: x.range.endOffset,
      ...(x.fix ? { fix: { safety: x.fix.safety, description: x.fix.description, edits: x.fix.edits ?? [], ...(x.fix.createFiles ? { createFiles: x.fix.createFiles } : {}) } } : {}),
      path: x.path,
      startPos: x.range.start,
      endPos: x.range.end,
      fixStatus: x.fixStatus,
    };
    const list = byFile.get(x.path);
    if (list) list.push(finding);
    else byFile.set(x.path, [finding]);
  }
  const files: FileReport[] = r.files.map((f) => ({
    path: f.path,
    absPath: f.path,
    addon: f.addon,
    original: '',
    output: '',
    changed: f.changed,
    created: f.created,
    written: f.written,
    fixesApplied: f.fixesApplied,
    findings: byFile.get(f.path) ?? [],
    errors: [],
    unusedSuppressions: [],
    createFiles: [],
  }));
  return { files, errors: r.errors.map(error), unusedSuppressions: r.unusedSuppressions, addons: r.addons, summary: r.summary };
}

/** `--format diff` of a merged report: each changed file's diff as its report holds it (none after --write,
 *  as for a run: the changes are on disk already). */
export function formatMergedDiff(r: JsonReport): string {
  return r.mode === 'write' ? '' : r.files.map((f) => f.diff ?? '').join('');
}

/** The exit code the unsharded run would have given: 2 when it had errors; with --check, 1 when anything
 *  would change or a finding was reported (after --write: a finding left unfixed); else 0. */
export function mergedExitCode(r: JsonReport, check: boolean): number {
  if (r.errors.length > 0) return 2;
  if (!check) return 0;
  const remaining = r.mode === 'write' ? r.findings.some((x) => x.fixStatus !== 'applied') : r.summary.findings > 0 || r.summary.filesChanged > 0;
  return remaining ? 1 : 0;
}

export const MERGE_FORMATS = ['summary', 'json', 'text', 'diff', 'sarif', 'github'] as const;
type MergeFormat = (typeof MERGE_FORMATS)[number];

interface MergeArgs {
  reports: string[];
  format: MergeFormat;
  check: boolean;
  quiet: boolean;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <reports..>',
  describe: 'join JSON reports (the --format json of each --shard K/N) into the report of the whole batch',
  builder: (y: Argv) =>
    y
      .positional('reports', { type: 'string', array: true, demandOption: true, describe: 'files written by `bgsafe --format json` (all N shards of one batch, or runs over separate paths)' })
      .option('format', {
        alias: 'f',
        choices: MERGE_FORMATS,
        default: 'summary' as MergeFormat,
        describe: 'stdout: summary (what a run prints on stderr), json (the merged report, schema/report.schema.json), text, diff (every file\'s diff, for git apply), sarif, github; text, diff and github also print the summary on stderr',
      })
      .option('check', { type: 'boolean', default: false, describe: 'exit 1 when the merged report has something to change or a finding, as `bgsafe --check` over the whole batch would' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no summary on stderr (errors are still printed)' })
      .epilog(
        'The merged report is the report of the whole batch: files in tree order (created files last), add-ons by root, the summary counted again; for one folder of add-ons the merge of its N shards is byte for byte the unsharded `--format json`, in whatever order the reports are named. Run every shard from the same folder with the same paths and options.\n\n' +
          'Exit codes, as the unsharded run would give them: 0 fine; 1 with --check, something would change or a finding was reported; 2 the merged report has errors (files that could not be processed), or an input cannot be merged: unreadable, not JSON, not a bgsafe report of this version, not valid against the schema, or not fitting the others (another bgsafe version or mode, a file or add-on in two reports, a shard missing, twice or of another batch). An input error names the file and prints nothing on stdout.',
      ) as unknown as Argv<MergeArgs>,
  handler: (args) => {
    let merged: JsonReport;
    try {
      merged = mergeReports(args.reports.map(readReport), args.reports);
    } catch (e) {
      if (!(e instanceof MergeError)) throw e;
      process.stderr.write(`bgsafe merge: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    const write = merged.mode === 'write';
    const report = toRunReport(merged);
    const format = args.format;
    const context = { write, check: args.check, toolVersion: merged.tool.version, rules: allRules };
    let out: string;
    if (format === 'summary') out = formatSummary(report, { write, format: 'diff' });
    else if (format === 'json') out = `${JSON.stringify(merged, null, 2)}\n`;
    else if (format === 'diff') out = formatMergedDiff(merged);
    else out = reporters[format].stdout(report, context);
    process.stdout.write(out);
    // As a run prints it: the summary on stderr after the formats a person reads (text, diff, github).
    if (format !== 'summary' && reporters[format].summaryToStderr) {
      if (!args.quiet) process.stderr.write(formatSummary(report, { write, format }));
      else for (const e of report.errors) process.stderr.write(`${errorLine(e)}\n`);
    }
    process.exitCode = mergedExitCode(merged, args.check);
  },
};
