// Stage prefilter: cheap substring tests that decide, before any parse, which rules can matter for a text.
// Most files of a batch need no rule at all, and a file no rule needs is never parsed.
import type { Rule } from './types.js';

/** The rules one of whose prefilter substrings occurs in the text (and whose `prefilterText`, where it
 *  has one, accepts the text). */
export function relevantRules(rules: Rule[], text: string): Rule[] {
  return rules.filter((t) => t.prefilter.some((s) => text.includes(s)) && (!t.prefilterText || t.prefilterText(text)));
}

/** The text may hold a `# bgsafe: ignore` comment (which is reported when it silences nothing). */
export function mayHaveSuppression(text: string): boolean {
  return /bgsafe:\s*ignore/i.test(text);
}
