// Rule listings and docs for `bgsafe rules` and `bgsafe explain`, from the rules' own metadata.
import type { Rule } from './types.js';

/** What a row of the README's rule table shows of a rule. */
export type RuleRow = Pick<Rule, 'code' | 'slug' | 'summary' | 'fixKind' | 'defaultEnabled'>;

export function fixLabel(t: Pick<Rule, 'fixKind'>): string {
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
export function ruleTable(rules: readonly RuleRow[]): string {
  const rows = rules.map((t) => `| ${t.code} | \`${t.slug}\` | ${t.summary.replace(/\|/g, '\\|')} | ${fixLabel(t)} | ${t.defaultEnabled ? 'yes' : 'no'} |`);
  return `| Code | Slug | What it finds | Fix | On by default |\n|---|---|---|---|---|\n${rows.join('\n')}\n`;
}

const TABLE_MARKERS = /(<!-- rules:start -->\n)[\s\S]*?(<!-- rules:end -->)/;

/** The README's text with the rule table between its `<!-- rules:start -->` and `<!-- rules:end -->` markers
 *  made that of `rules` (`npm run docs`, `npm run new-rule`). Throws where the markers are missing. */
export function withRuleTable(readme: string, rules: readonly RuleRow[]): string {
  if (!TABLE_MARKERS.test(readme)) throw new Error('README.md has no <!-- rules:start --> ... <!-- rules:end --> markers');
  return readme.replace(TABLE_MARKERS, (_all, start: string, end: string) => `${start}${ruleTable(rules)}${end}`);
}
