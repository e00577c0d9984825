// `# bgsafe: ignore` and `# bgsafe: ignore[BGS001,BGS002]` comments: each silences findings that start
// on its line; those that silenced nothing are reported as unused.
import type { Tree } from './types.js';

export interface Suppression {
  /** 1-based line of the comment. */
  line: number;
  column: number;
  /** Codes named in brackets; null for a bare `ignore`, which silences every rule. */
  codes: string[] | null;
  used: Set<string>;
}

const PATTERN = /#\s*bgsafe:\s*ignore(?:\[([^\]]*)\])?/i;

export function findSuppressions(tree: Tree): Map<number, Suppression> {
  const out = new Map<number, Suppression>();
  for (const c of tree.rootNode.descendantsOfType('comment')) {
    const m = PATTERN.exec(c.text);
    if (!m) continue;
    const codes = m[1] === undefined ? null : m[1].split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
    const line = c.startPosition.row + 1;
    out.set(line, { line, column: c.startPosition.column + 1, codes, used: new Set() });
  }
  return out;
}

/** True (and the suppression marked used) when a finding of `code` starting on `line` is silenced. */
export function suppresses(all: Map<number, Suppression>, line: number, code: string): boolean {
  const s = all.get(line);
  if (!s) return false;
  if (s.codes === null || s.codes.includes(code)) {
    s.used.add(code);
    return true;
  }
  return false;
}

/** Descriptions of suppressions that silenced nothing, for codes that were enabled. */
export function unusedSuppressions(
  all: Map<number, Suppression>,
  enabled: Set<string>,
  known: Set<string>,
): Array<{ line: number; column: number; message: string }> {
  const out: Array<{ line: number; column: number; message: string }> = [];
  for (const s of all.values()) {
    if (s.codes === null) {
      if (s.used.size === 0) out.push({ line: s.line, column: s.column, message: 'unused `# bgsafe: ignore` (nothing to silence on this line)' });
      continue;
    }
    const unknown = s.codes.filter((c) => !known.has(c));
    const unused = s.codes.filter((c) => known.has(c) && enabled.has(c) && !s.used.has(c));
    if (unknown.length > 0) out.push({ line: s.line, column: s.column, message: `unknown rule code in suppression: ${unknown.join(', ')}` });
    if (unused.length > 0) out.push({ line: s.line, column: s.column, message: `unused suppression for ${unused.join(', ')}` });
  }
  return out;
}
