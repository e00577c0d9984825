// One line per finding, `path:line:column: CODE message`, the shape editors and CI annotators parse.
// The line helpers are shared with the stderr summary so a finding reads the same in both places.
import type { RunReport } from '../runner.js';
import type { FileError, ReportedFinding } from '../types.js';
import type { Reporter } from './reporter.js';

/** ' [*]' when the fix is applied, a hint when only --unsafe-fixes would apply it, else nothing. */
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

export const textReporter: Reporter = {
  stdout: (report) => formatText(report),
  summaryToStderr: true,
};
