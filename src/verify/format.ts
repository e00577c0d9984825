// Printers for a VerifyReport: text for people, JSON (the VerifyReport interface in types.ts, `version: 1`)
// for tools.
import type { VerifyMatrixReport } from './matrix.js';
import type { AddonReport, VerifyCase, VerifyFailure, VerifyReport, VerifyStep } from './types.js';

const CASE_LABEL: Record<VerifyCase, string> = {
  startup: 'enabled at start-up from saved preferences',
  script: 'enabled from a script (addon_utils.enable)',
};

const STEP_LABEL: Record<VerifyStep, string> = {
  prep: 'writing the preferences',
  startup: 'start-up',
  enable: 'enable',
  disable: 'disable',
  're-enable': 'enable again',
  script: '--script',
  quit: 'quit',
};

export function formatVerifyJson(report: VerifyReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function formatVerifyText(report: VerifyReport): string {
  const out: string[] = [];
  for (const a of report.addons) out.push(...addonLines(a));
  const n = report.addons.length;
  const count = (s: AddonReport['status']) => report.addons.filter((a) => a.status === s).length;
  const parts = [`${count('pass')} passed`, `${count('fail')} failed`];
  if (count('error') > 0) parts.push(`${count('error')} could not be verified`);
  const version = report.blender.version ? `Blender ${report.blender.version}` : report.blender.path;
  out.push(`${n} add-on${n === 1 ? '' : 's'}: ${parts.join(', ')} (${version}, ${seconds(report.durationMs)})`);
  return `${out.join('\n')}\n`;
}

/** Several Blenders: every add-on's lines per version, then the table (add-ons down, versions across) and
 *  one count line. */
export function formatMatrixText(report: VerifyMatrixReport): string {
  const out: string[] = [];
  for (const row of report.rows) out.push(...addonLines(row));
  const labels = report.blenders.map((b) => (b.version ? `Blender ${b.version}` : b.path));
  const width = Math.max('add-on'.length, ...report.table.map((t) => t.path.length));
  const cols = labels.map((l) => Math.max(l.length, 'ERROR'.length));
  const cell = (s: string, w: number): string => s.padEnd(w);
  out.push('');
  out.push([cell('add-on', width), ...labels.map((l, i) => cell(l, cols[i]))].join('  ').trimEnd());
  for (const t of report.table) {
    out.push([cell(t.path, width), ...t.results.map((r, i) => cell(r === 'pass' ? 'PASS' : r === 'fail' ? 'FAIL' : 'ERROR', cols[i]))].join('  ').trimEnd());
  }
  const n = report.rows.length;
  const count = (s: AddonReport['status']): number => report.rows.filter((r) => r.status === s).length;
  const parts = [`${count('pass')} passed`, `${count('fail')} failed`];
  if (count('error') > 0) parts.push(`${count('error')} could not be verified`);
  out.push(`${report.table.length} add-on${report.table.length === 1 ? '' : 's'} on ${labels.length} Blenders (${n} runs): ${parts.join(', ')} (${seconds(report.durationMs)})`);
  return `${out.join('\n')}\n`;
}

function addonLines(a: AddonReport): string[] {
  const head = a.status === 'pass' ? 'PASS' : a.status === 'fail' ? 'FAIL' : 'ERROR';
  const name = a.module && a.module !== a.path ? `${a.path} (${a.module})` : a.path;
  const version = a.blenderVersion ? `, Blender ${a.blenderVersion}` : '';
  const lines = [`${head} ${name}${version}, ${seconds(a.durationMs)}`];
  if (a.error) lines.push(`  ${a.error}`);
  for (const f of a.failures) lines.push(...failureLines(f));
  return lines;
}

function failureLines(f: VerifyFailure): string[] {
  const lines = [`  ${CASE_LABEL[f.case]}, ${STEP_LABEL[f.step]}: ${kindLabel(f)}${f.message}`];
  if (f.location) {
    const code = f.location.code ? `: ${f.location.code}` : '';
    lines.push(`    at ${f.location.file}:${f.location.line} in ${f.location.function}${code}`);
  }
  if (f.rule) lines.push(`    ${f.rule.code} (${f.rule.slug}) covers this; ${f.fix?.startsWith("no automatic") ? f.fix : `fixable: ${f.fix}`}`);
  return lines;
}

function kindLabel(f: VerifyFailure): string {
  switch (f.kind) {
    case 'crash':
      return 'CRASH: ';
    case 'hang':
      return 'HANG: ';
    case 'internal':
      return 'INTERNAL: ';
    default:
      return '';
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
