// One query pass per tree for all the rules that run on it. In tree-sitter's Node binding each query over a
// whole tree costs a full traversal (about half a parse, whatever it matches), and the rules use some
// thirty patterns: run one at a time, the traversals cost several times the parse. So the patterns each
// rule has run over whole trees are remembered, and for every new tree the patterns of the rules that
// run on it are compiled into one query, run once, and its matches split by pattern. Measured over
// Debian's 1,011 bundled add-on files: every pattern's matches, in order, equal those of the pattern run
// alone (31 patterns, 31,341 comparisons), at a sixth of the time.
import { compileQuery, queryMatches } from './parse.js';
import type { SyntaxNode, Tree } from './types.js';

type Match = Record<string, SyntaxNode>;

/** Patterns each rule has run over a whole tree, by rule code (learnt as the run goes). */
const learnt = new Map<string, Set<string>>();
/** Combined queries by their pattern list, and which pattern string each of their patterns came from. */
const combined = new Map<string, { patterns: string[]; owner: number[] } | null>();
/** How often each pattern list was asked for: compiling a combined query costs more than running a few
 *  patterns alone, so a list is compiled only once it comes back. */
const asked = new Map<string, number>();

/** How many patterns a query's text holds: its top-level groups (strings and `;` comments skipped). */
export function countPatterns(query: string): number {
  let depth = 0;
  let n = 0;
  for (let i = 0; i < query.length; i++) {
    const ch = query[i];
    if (ch === '"') {
      for (i++; i < query.length && query[i] !== '"'; i++) if (query[i] === '\\') i++;
      if (depth === 0) n++;
    } else if (ch === ';') {
      while (i < query.length && query[i] !== '\n') i++;
    } else if (ch === '(' || ch === '[') {
      if (depth === 0) n++;
      depth++;
    } else if (ch === ')' || ch === ']') depth--;
  }
  return n;
}

function combinedFor(patterns: string[]): { patterns: string[]; owner: number[] } | null {
  const key = patterns.join('\u0000');
  if (combined.has(key)) return combined.get(key)!;
  const seen = (asked.get(key) ?? 0) + 1;
  asked.set(key, seen);
  if (seen < 2) return null;
  const owner: number[] = [];
  patterns.forEach((p, i) => {
    for (let k = countPatterns(p); k > 0; k--) owner.push(i);
  });
  let entry: { patterns: string[]; owner: number[] } | null = { patterns, owner };
  try {
    compileQuery(patterns.join('\n'));
  } catch {
    entry = null; // a combination that does not compile: each pattern runs alone
  }
  combined.set(key, entry);
  asked.delete(key);
  return entry;
}

/**
 * The matches of patterns over one tree, for the rules (by code) that run on it: the first whole-tree
 * query of any rule runs every learnt pattern of those rules in one pass; a pattern not learnt yet runs
 * alone (and joins the pass for the next trees).
 */
export class QueryPass {
  private results: Map<string, Match[]> | undefined;

  constructor(
    private readonly tree: Tree,
    private readonly codes: string[],
  ) {}

  matches(code: string, pattern: string): Match[] {
    let mine = learnt.get(code);
    if (!mine) learnt.set(code, (mine = new Set()));
    mine.add(pattern);
    this.results ??= this.runPass();
    const hit = this.results.get(pattern);
    if (hit) return hit;
    const alone = queryMatches(pattern, this.tree.rootNode);
    this.results.set(pattern, alone);
    return alone;
  }

  private runPass(): Map<string, Match[]> {
    const out = new Map<string, Match[]>();
    const patterns = [...new Set(this.codes.flatMap((c) => [...(learnt.get(c) ?? [])]))].sort();
    if (patterns.length < 2) return out;
    const plan = combinedFor(patterns);
    if (!plan) return out;
    const query = compileQuery(plan.patterns.join('\n'));
    const all = query.matches(this.tree.rootNode);
    if (query.didExceedMatchLimit()) return out; // incomplete: each pattern runs alone instead
    for (const p of patterns) out.set(p, []);
    for (const m of all) {
      const byName: Match = {};
      for (const c of m.captures) byName[c.name] = c.node;
      out.get(plan.patterns[plan.owner[m.pattern]])!.push(byName);
    }
    return out;
  }
}
