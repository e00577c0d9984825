// The summary a person reads on stderr after a run in a format whose Reporter sets summaryToStderr (diff, text).
import type { RunReport } from '../runner.js';
import { errorLine, findingLine } from './text.js';

export function formatSummary(report: RunReport, mode: { write: boolean; format: string }): string {
  const s = report.summary;
  const lines: string[] = [];
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : /(x|s|sh|ch)$/.test(w) ? 'es' : 's'}`;
  const changed = (mode.write ? `${s.filesWritten} written` : `${s.filesChanged} would change`) + (s.filesCreated > 0 ? `, ${s.filesCreated} new (${mode.write ? 'created' : 'would be created'})` : '');
  lines.push(`bgsafe: ${plural(s.filesScanned, 'file')} scanned, ${changed} (${plural(s.fixesApplied, 'fix')}${mode.write ? '' : ' to apply'}), ${plural(s.findings, 'finding')}`);
  if (mode.write) for (const f of report.files) if (f.written) lines.push(f.created ? `  created ${f.path}` : `  wrote ${f.path} (${plural(f.fixesApplied, 'fix')})`);
  const rules = Object.entries(s.findingsByRule).sort(([a], [b]) => a.localeCompare(b));
  if (rules.length > 0) lines.push(`findings by rule: ${rules.map(([c, n]) => `${c} ${n}`).join(', ')}`);
  if (report.addons.length > 1 || (report.addons.length === 1 && report.addons[0].files > 1)) {
    for (const a of report.addons) {
      lines.push(`  add-on ${a.name} (${a.root}): ${plural(a.files, 'file')}, ${a.changed} ${mode.write ? 'changed' : 'would change'}, ${plural(a.findings, 'finding')}${a.errors ? `, ${plural(a.errors, 'error')}` : ''}`);
    }
  }
  // In diff mode, findings the diff does not show (no automatic fix, or a fix not enabled) are listed.
  if (mode.format === 'diff') {
    const manual = report.files.flatMap((f) => f.findings.filter((x) => x.fixStatus !== 'applied'));
    if (manual.length > 0) {
      lines.push(`${plural(manual.length, 'finding')} without an applied fix (change these by hand, or see \`bgsafe explain CODE\`):`);
      for (const x of manual) lines.push(`  ${findingLine(x)}`);
    }
  }
  for (const u of report.unusedSuppressions) lines.push(`${u.path}:${u.line}:${u.column}: ${u.message}`);
  for (const e of report.errors) lines.push(errorLine(e));
  return `${lines.join('\n')}\n`;
}
