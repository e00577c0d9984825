// Printers over one RunReport: the unified diff (default), one line per finding, and JSON. Each returns
// what goes to stdout; the human summary for stderr comes from summary.ts.
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { FileReport, RunReport } from '../runner.js';
import type { FileError, ReportedFinding } from '../types.js';

export type Format = 'diff' | 'text' | 'json' | 'sarif';
export const FORMATS: Format[] = ['diff', 'text', 'json', 'sarif'];

/** A unified diff of one file with a/ b/ headers, as `git apply` and `patch -p1` take it. */
export function fileDiff(f: FileReport): string {
  if (!f.changed) return '';
  const patch = createTwoFilesPatch(f.created ? '/dev/null' : `a/${f.path}`, `b/${f.path}`, f.original, f.output, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
  return patch.endsWith('\n') ? patch : `${patch}\n`;
}

export function formatDiff(report: RunReport): string {
  return report.files.map(fileDiff).join('');
}

export function fixMarker(f: ReportedFinding): string {
  return f.fixStatus === 'applied' ? ' [*]' : f.fixStatus === 'available' ? ' [unsafe fix: --unsafe-fixes]' : '';
}

export function findingLine(f: ReportedFinding): string {
  return `${f.path}:${f.startPos.line}:${f.startPos.column}: ${f.code} ${f.message}${fixMarker(f)}`;
}

export function errorLine(e: FileError): string {
  const where = e.line !== undefined ? `${e.path}:${e.line}:${e.column ?? 1}` : e.path;
  return `${where}: error[${e.kind}]${e.code ? ` ${e.code}` : ''}: ${e.message}`;
}

export function formatText(report: RunReport): string {
  return report.files.flatMap((f) => f.findings.map((x) => `${findingLine(x)}\n`)).join('');
}

export const JSON_SCHEMA_VERSION = 1;

/** The JSON report; its shape is described by schema/report.schema.json. */
export function toJson(report: RunReport, mode: { write: boolean; check: boolean }, toolVersion: string): object {
  return {
    version: JSON_SCHEMA_VERSION,
    tool: { name: 'bgsafe', version: toolVersion },
    mode: mode.write ? 'write' : 'dry-run',
    summary: report.summary,
    addons: report.addons,
    files: report.files.map((f) => ({
      path: f.path,
      addon: f.addon,
      changed: f.changed,
      created: f.created,
      written: f.written,
      fixesApplied: f.fixesApplied,
      diff: f.changed ? fileDiff(f) : null,
    })),
    findings: report.files.flatMap((f) =>
      f.findings.map((x) => ({
        code: x.code,
        slug: x.slug,
        messageId: x.messageId,
        message: x.message,
        path: x.path,
        range: { start: x.startPos, end: x.endPos, startOffset: x.start, endOffset: x.end },
        fix: x.fix ? { safety: x.fix.safety, description: x.fix.description } : null,
        fixStatus: x.fixStatus,
        applied: x.fixStatus === 'applied' && (mode.write ? f.written : true),
      })),
    ),
    unusedSuppressions: report.unusedSuppressions,
    errors: report.errors.map((e) => ({
      path: e.path,
      kind: e.kind,
      message: e.message,
      line: e.line ?? null,
      column: e.column ?? null,
      code: e.code ?? null,
    })),
  };
}

export function formatJson(report: RunReport, mode: { write: boolean; check: boolean }, toolVersion: string): string {
  return `${JSON.stringify(toJson(report, mode, toolVersion), null, 2)}\n`;
}
