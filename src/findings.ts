// Stage findings: run the enabled rules over one parsed tree and collect what they report, with messages
// filled in and suppressed findings left out. One call per pass of the fix loop (fixes.ts).
import { resolve as resolvePath } from 'node:path';
import { queryMatches } from './parse.js';
import { detectIndentUnit, detectNewline, lineStarts, positionOf } from './syntax/source.js';
import { fileModel, type FileModel } from './model/index.js';
import { relevantRules } from './prefilter.js';
import { QueryPass } from './query-pass.js';
import type { FileError, Finding, SyntaxNode, Rule, RuleContext, Tree } from './types.js';
import { DEFAULT_TARGET, type TargetRange } from './versions.js';

export function fillMessage(template: string, data: Record<string, string> | undefined): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (data && k in data ? data[k] : m));
}

/** Run the rules over one tree; findings in source order, suppressed ones left out. */
export function collectFindings(
  path: string,
  source: string,
  tree: Tree,
  rules: Rule[],
  isSuppressed: (line: number, code: string) => boolean,
  errors: FileError[],
  absPath: string = resolvePath(path),
  target: TargetRange = DEFAULT_TARGET,
): Finding[] {
  const findings: Finding[] = [];
  const starts = lineStarts(source);
  const queryCache = new Map<string, Array<Record<string, SyntaxNode>>>();
  const relevant = relevantRules(rules, source);
  const pass = new QueryPass(tree, relevant.map((t) => t.code));
  // Computed on first use: most files need neither.
  let indentUnit: string | undefined;
  let newline: string | undefined;
  let model: FileModel | undefined;
  for (const t of relevant) {
    const ctx: RuleContext = {
      path,
      absPath,
      target,
      source,
      tree,
      get indentUnit() {
        return (indentUnit ??= detectIndentUnit(tree, source));
      },
      get newline() {
        return (newline ??= detectNewline(source));
      },
      get model() {
        // The model's index query joins the one pass of the rules' queries over this tree.
        return (model ??= fileModel(absPath, source, tree, (q) => pass.matches(t.code, q)));
      },
      matches: (q, node) => {
        // Over the whole tree: one pass for all the rules' patterns (query-pass.ts).
        if (!node || node.id === tree.rootNode.id) return pass.matches(t.code, q).slice();
        // Rules often run the same query over the same node: run it once.
        const at = node;
        const key = `${at.id}\u0000${q}`;
        let hit = queryCache.get(key);
        if (!hit) {
          hit = queryMatches(q, at);
          queryCache.set(key, hit);
        }
        return hit.slice(); // a rule may sort or trim its copy
      },
      report: (r) => {
        const start = r.start ?? r.node?.startIndex ?? 0;
        const end = r.end ?? r.node?.endIndex ?? start;
        const template = t.messages[r.messageId];
        if (template === undefined) throw new Error(`${t.code}: no message with id ${r.messageId}`);
        if (isSuppressed(positionOf(starts, start).line, t.code)) return;
        findings.push({
          code: t.code,
          slug: t.slug,
          messageId: r.messageId,
          message: fillMessage(template, r.data),
          start,
          end,
          fix: r.fix,
        });
      },
    };
    try {
      t.check(ctx);
    } catch (e) {
      errors.push({ path, kind: 'internal', code: t.code, message: `internal error in ${t.code} (${t.slug}): ${(e as Error).message}; please report it` });
    }
  }
  findings.sort((a, b) => a.start - b.start || a.code.localeCompare(b.code));
  return findings;
}
