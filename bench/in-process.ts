// The in-process part of the bench: tree-sitter alone, the rules with and without their prefilters, and
// each rule alone over the files its prefilter lets through (with the findings it reports there).
import { processSource } from '../src/engine.js';
import { parsePython } from '../src/parse.js';
import { relevantRules } from '../src/prefilter.js';
import { allRules } from '../rules/index.js';
import type { Rule } from '../src/types.js';

export interface RuleTiming {
  rule: Rule;
  ms: number;
  files: number;
  findings: number;
}

export interface InProcessResult {
  parseOnly: number;
  withPrefilter: number;
  withoutPrefilter: number;
  perRule: RuleTiming[];
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function measureInProcess(files: string[], texts: string[]): InProcessResult {
  const defaults = allRules.filter((r) => r.defaultEnabled);
  // Warm up the parser and the query cache.
  for (const t of texts.slice(0, 20)) processSource('warm.py', t, { rules: allRules, unsafeFixes: false });

  let t0 = process.hrtime.bigint();
  for (const t of texts) parsePython(t);
  const parseOnly = ms(t0);

  t0 = process.hrtime.bigint();
  for (const [i, t] of texts.entries()) processSource(files[i], t, { rules: defaults, unsafeFixes: false });
  const withPrefilter = ms(t0);

  const noPrefilter: Rule[] = defaults.map((r) => ({ ...r, prefilter: [''], prefilterText: undefined }));
  t0 = process.hrtime.bigint();
  for (const [i, t] of texts.entries()) processSource(files[i], t, { rules: noPrefilter, unsafeFixes: false });
  const withoutPrefilter = ms(t0);

  // Per rule: parse, check and fix loop of that rule alone, over the files its prefilter lets through.
  const perRule = allRules.map((rule) => ({ rule, ms: 0, files: 0, findings: 0 }));
  for (const [i, text] of texts.entries()) {
    for (const entry of perRule) {
      if (relevantRules([entry.rule], text).length === 0) continue;
      const t = process.hrtime.bigint();
      const result = processSource(files[i], text, { rules: [entry.rule], unsafeFixes: false });
      entry.ms += ms(t);
      entry.files++;
      entry.findings += result.findings.length;
    }
  }
  return { parseOnly, withPrefilter, withoutPrefilter, perRule };
}
