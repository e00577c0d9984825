// Rule listings and docs for `bgsafe rules` and `bgsafe explain`, from the rules' own metadata.
import type { Rule } from './types.js';

export function fixLabel(t: Rule): string {
  return t.fixKind === 'report-only' ? 'report only' : `${t.fixKind} fix`;
}

export function formatRules(rules: Rule[]): string {
  const w = Math.max(...rules.map((t) => t.slug.length), 4);
  const lines = rules.map((t) => `${t.code}  ${t.slug.padEnd(w)}  ${fixLabel(t).padEnd(11)}  ${t.defaultEnabled ? 'on ' : 'off'}  ${t.summary}`);
  return `${'CODE'.padEnd(6)}  ${'SLUG'.padEnd(w)}  ${'FIX'.padEnd(11)}  ${'DEF'}  SUMMARY\n${lines.join('\n')}\n`;
}

export function explainRule(t: Rule): string {
  const d = t.docs;
  return [
    `${t.code} ${t.slug}: ${t.summary}`,
    `Fix: ${fixLabel(t)}; ${t.defaultEnabled ? 'on by default' : 'off by default (turn on with --select ' + t.code + ')'}`,
    '',
    '## What it finds',
    d.whatItFinds.trim(),
    '',
    '## Why it breaks',
    d.whyItBreaks.trim(),
    '',
    '## Example',
    'Before:',
    '```python',
    d.example.before.trimEnd(),
    '```',
    'After:',
    '```python',
    d.example.after.trimEnd(),
    '```',
    '',
    '## Fix safety',
    d.fixSafety.trim(),
    '',
  ].join('\n');
}

/** The Markdown table of rules in README.md (kept current by `npm run docs`, checked by a test). */
export function ruleTable(rules: Rule[]): string {
  const rows = rules.map((t) => `| ${t.code} | \`${t.slug}\` | ${t.summary.replace(/\|/g, '\\|')} | ${fixLabel(t)} | ${t.defaultEnabled ? 'yes' : 'no'} |`);
  return `| Code | Slug | What it finds | Fix | On by default |\n|---|---|---|---|---|\n${rows.join('\n')}\n`;
}
