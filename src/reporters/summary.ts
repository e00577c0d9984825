// The summary a person reads on stderr after a run in a format whose Reporter sets summaryToStderr (diff, text).
import type { AddonSummary, RunReport } from '../runner.js';
import { errorLine, findingLine } from './text.js';

const SOURCE_WORDS: Record<AddonSummary['targetBlender']['source'], string> = {
  flag: '--target-blender',
  config: 'target-blender in pyproject.toml',
  'blender_manifest.toml': 'blender_manifest.toml',
  bl_info: 'bl_info["blender"]',
  default: 'no bl_info or blender_manifest.toml says; see --target-blender',
};

function targetWords(t: AddonSummary['targetBlender']): string {
  return `${t.text} (${SOURCE_WORDS[t.source]})`;
}

export function formatSummary(report: RunReport, mode: { write: boolean; format: string }): string {
  const s = report.summary;
  const lines: string[] = [];
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : /(x|s|sh|ch)$/.test(w) ? 'es' : 's'}`;
  const changed = (mode.write ? `${s.filesWritten} written` : `${s.filesChanged} would change`) + (s.filesCreated > 0 ? `, ${s.filesCreated} new (${mode.write ? 'created' : 'would be created'})` : '');
  lines.push(`bgsafe: ${plural(s.filesScanned, 'file')} scanned, ${changed} (${plural(s.fixesApplied, 'fix')}${mode.write ? '' : ' to apply'}), ${plural(s.findings, 'finding')}`);
  if (mode.write) for (const f of report.files) if (f.written) lines.push(f.created ? `  created ${f.path}` : `  wrote ${f.path} (${plural(f.fixesApplied, 'fix')})`);
  const rules = Object.entries(s.findingsByRule).sort(([a], [b]) => a.localeCompare(b));
  if (rules.length > 0) lines.push(`findings by rule: ${rules.map(([c, n]) => `${c} ${n}`).join(', ')}`);
  // The Blender versions the fixes were made for: one line where every add-on has the same, else per add-on.
  const targets = new Set(report.addons.map((a) => targetWords(a.targetBlender)));
  if (targets.size === 1) lines.push(`target Blender: ${[...targets][0]}`);
  const perAddon = targets.size > 1;
  if (report.addons.length > 1 || (report.addons.length === 1 && report.addons[0].files > 1)) {
    for (const a of report.addons) {
      const target = perAddon ? `; Blender ${targetWords(a.targetBlender)}` : '';
      lines.push(`  add-on ${a.name} (${a.root}): ${plural(a.files, 'file')}, ${a.changed} ${mode.write ? 'changed' : 'would change'}, ${plural(a.findings, 'finding')}${a.errors ? `, ${plural(a.errors, 'error')}` : ''}${target}`);
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
