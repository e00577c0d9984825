// The run's report, before any printer sees it (reporters/ print it): one FileReport per file from its
// analysis, the add-ons, and the totals.
import * as path from 'node:path';
import type { DiscoveredFile } from './discover.js';
import type { FileAnalysis } from './protocol.js';
import type { FileError, ReportedFinding } from './types.js';
import { formatRange, formatVersion, lastSupported, type TargetRange, type TargetSource } from './versions.js';

export interface FileReport {
  /** Path relative to cwd, with forward slashes (as in diffs and reports). */
  path: string;
  absPath: string;
  addon: string;
  /** The source as read and as fixed (equal when nothing changed). Both are '' for a file with no change
   *  and no finding: no printer shows its text, and a batch of thousands of files need not hold them. */
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
  /** The Blender versions its fixes were made for, and where that came from. */
  targetBlender: { min: string; max: string | null; source: TargetSource; text: string };
}

export interface RunReport {
  files: FileReport[];
  /** Errors for paths and configuration, and every file's errors. */
  errors: FileError[];
  unusedSuppressions: Array<{ path: string; line: number; column: number; message: string }>;
  addons: AddonSummary[];
  /** With --shard: which shard of the batch this report covers (1-based index, count), and the batch's
   *  fingerprint (shard.ts), so that `bgsafe merge` knows the shards of one batch. */
  shard?: { index: number; count: number; batch: string };
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

export function emptyReport(f: { absPath: string; addon: string }, display: string): FileReport {
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

/** A file's report from its analysis (not written yet). */
export function fileReport(f: DiscoveredFile, display: string, a: FileAnalysis): FileReport {
  const base = emptyReport(f, display);
  if (a.readError || !a.decoded || !a.result) {
    base.errors.push({ path: display, kind: 'read', message: a.readError ?? 'cannot read' });
    return base;
  }
  const { decoded, result } = a;
  return {
    ...base,
    original: decoded.text,
    // Left out of an unchanged file's analysis: it is the text as read.
    output: result.changed ? result.output : decoded.text,
    changed: result.changed,
    fixesApplied: result.fixesApplied,
    findings: result.findings,
    errors: result.errors,
    unusedSuppressions: result.unusedSuppressions,
    createFiles: result.createFiles,
  };
}

/** Per add-on counts over the files analysed (files created for them are counted in by addTotals). */
export function addonSummaries(files: DiscoveredFile[], reports: FileReport[], cwd: string, target: (f: DiscoveredFile) => TargetRange): AddonSummary[] {
  const addons = new Map<string, AddonSummary>();
  for (const [i, f] of files.entries()) {
    const fr = reports[i];
    let a = addons.get(f.addonRoot);
    if (!a) {
      a = { name: f.addon, root: displayPath(f.addonRoot, cwd), files: 0, changed: 0, findings: 0, errors: 0, targetBlender: targetSummary(target(f)) };
      addons.set(f.addonRoot, a);
    }
    a.files++;
    if (fr.changed) a.changed++;
    a.findings += fr.findings.length;
    a.errors += fr.errors.length;
  }
  return [...addons.values()];
}

function targetSummary(t: TargetRange): AddonSummary['targetBlender'] {
  const last = lastSupported(t);
  const max = last ? formatVersion(last) : t.maxExclusive ? `<${formatVersion(t.maxExclusive)}` : null;
  return { min: formatVersion(t.min), max, source: t.source, text: formatRange(t) };
}

/** Fill in the report's errors, unused suppressions and summary from its files. */
export function addTotals(report: RunReport, write: boolean): void {
  for (const fr of report.files) {
    report.errors.push(...fr.errors);
    report.unusedSuppressions.push(...fr.unusedSuppressions);
    if (fr.created) {
      const a = report.addons.find((x) => x.name === fr.addon);
      if (a) a.changed++;
    }
  }
  report.summary = countSummary(report.files, report.files.flatMap((fr) => fr.findings), report.errors.length, write);
}

/**
 * A run's summary from its files and findings (in report order, which sets findingsByRule's key order): the
 * run's own, and `bgsafe merge`'s over the joined reports. With write, only the fixes that reached the disk.
 */
export function countSummary(
  files: Array<{ created: boolean; changed: boolean; written: boolean; fixesApplied: number }>,
  findings: Array<{ code: string }>,
  errors: number,
  write: boolean,
): RunReport['summary'] {
  const summary: RunReport['summary'] = { filesScanned: 0, filesChanged: 0, filesCreated: 0, filesWritten: 0, fixesApplied: 0, findings: 0, findingsByRule: {}, errors };
  for (const f of files) {
    if (f.written) summary.filesWritten++;
    if (f.created) {
      summary.filesCreated++;
      continue;
    }
    summary.filesScanned++;
    if (f.changed) summary.filesChanged++;
    if (!write || f.written) summary.fixesApplied += f.fixesApplied;
  }
  for (const x of findings) {
    summary.findings++;
    summary.findingsByRule[x.code] = (summary.findingsByRule[x.code] ?? 0) + 1;
  }
  return summary;
}
