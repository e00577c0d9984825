// One line per finding, `path:line:column: CODE message`, the shape editors and CI annotators parse.
// The line helpers are shared with the stderr summary so a finding reads the same in both places.
import type { RunReport } from '../runner.js';
import type { FileError, ReportedFinding } from '../types.js';
import type { Reporter } from './reporter.js';
import { colors, type Colors } from '../color.js';

/** ' [*]' when the fix is applied, a hint when only --unsafe-fixes would apply it, else nothing. */
export function fixMarker(f: ReportedFinding): string {
  return f.fixStatus === 'applied' ? ' [*]' : f.fixStatus === 'available' ? ' [unsafe fix: --unsafe-fixes]' : '';
}

/** With colours (src/color.ts): the path bold, the code red and bold, the fix marker cyan, as ruff does;
 *  the text is the same without the escapes. */
export function findingLine(f: ReportedFinding, c?: Colors): string {
  if (!c?.isColorSupported) return `${f.path}:${f.startPos.line}:${f.startPos.column}: ${f.code} ${f.message}${fixMarker(f)}`;
  const marker = fixMarker(f);
  return `${c.bold(f.path)}:${f.startPos.line}:${f.startPos.column}: ${c.bold(c.red(f.code))} ${f.message}${marker ? c.cyan(marker) : ''}`;
}

export function errorLine(e: FileError): string {
  const where = e.line !== undefined ? `${e.path}:${e.line}:${e.column ?? 1}` : e.path;
  return `${where}: error[${e.kind}]${e.code ? ` ${e.code}` : ''}: ${e.message}`;
}

export function formatText(report: RunReport, color = false): string {
  const c = colors(color);
  return report.files.flatMap((f) => f.findings.map((x) => `${findingLine(x, c)}\n`)).join('');
}

export const textReporter: Reporter = {
  stdout: (report, { color }) => formatText(report, color === true),
  summaryToStderr: true,
};
