// GitHub Actions workflow commands, one line per finding, so that a CI log annotates the lines themselves:
//   ::warning file=addon/__init__.py,line=3,endLine=3,col=10,endColumn=40,title=bgsafe BGS001 (gpu-in-background)::BGS001 …
// A finding is a warning (a notice once --write has fixed it), a file that could not be processed an error, a
// suppression that silences nothing a notice. Escaped as GitHub's toolkit escapes (actions/toolkit,
// packages/core/src/command.ts): in the message `%`, `\r`, `\n`; in a property also `:` and `,`.
// GitHub attaches an annotation to a file by its path from the repository root, so run bgsafe there. GitHub
// shows at most 10 warning and 10 error annotations per step (50 per job; actions/toolkit,
// docs/problem-matchers.md); every line stays in the log, and --format sarif or json has them all.
import type { FileReport, RunReport } from '../runner.js';
import type { FileError, ReportedFinding } from '../types.js';
import type { Reporter } from './reporter.js';

/** A command's message: `%`, CR and LF as %25, %0D, %0A. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property's value: as a message, and `:` and `,` as %3A and %2C (they end a property). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `::name key=value,…::message`, properties left out where undefined. */
export function workflowCommand(name: 'error' | 'warning' | 'notice', properties: Record<string, string | number | undefined>, message: string): string {
  const props = Object.entries(properties)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}\n`;
}

/** What became of the finding's fix, in words a CI log reader can act on. */
function fixHint(x: ReportedFinding, fixedOnDisk: boolean, write: boolean): string {
  switch (x.fixStatus) {
    case 'applied':
      return fixedOnDisk ? ' (fixed by bgsafe --write)' : write ? ' (its fix was not written: see the errors)' : ' (fixable: bgsafe --write)';
    case 'available':
      return ' (unsafe fix: bgsafe --write --unsafe-fixes)';
    case 'skipped':
      return ' (its fix could not be applied: see the errors)';
    default:
      return '';
  }
}

function findingCommand(f: FileReport, x: ReportedFinding, write: boolean): string {
  const fixedOnDisk = write && x.fixStatus === 'applied' && f.written;
  return workflowCommand(
    fixedOnDisk ? 'notice' : 'warning',
    { file: x.path, line: x.startPos.line, endLine: x.endPos.line, col: x.startPos.column, endColumn: x.endPos.column, title: `bgsafe ${x.code} (${x.slug})` },
    `${x.code} ${x.message}${fixHint(x, fixedOnDisk, write)}`,
  );
}

function errorCommand(e: FileError): string {
  return workflowCommand(
    'error',
    { file: e.path, line: e.line, col: e.line !== undefined ? e.column : undefined, title: `bgsafe error[${e.kind}]${e.code ? ` ${e.code}` : ''}` },
    e.message,
  );
}

export function formatGithub(report: RunReport, mode: { write: boolean }): string {
  const out: string[] = [];
  for (const f of report.files) for (const x of f.findings) out.push(findingCommand(f, x, mode.write));
  for (const u of report.unusedSuppressions) out.push(workflowCommand('notice', { file: u.path, line: u.line, col: u.column, title: 'bgsafe unused suppression' }, u.message));
  for (const e of report.errors) out.push(errorCommand(e));
  return out.join('');
}

export const githubReporter: Reporter = {
  stdout: (report, { write }) => formatGithub(report, { write }),
  // The annotations are read from stdout; the summary on stderr is for the person reading the log.
  summaryToStderr: true,
};
