// The fix loop for one source text: parse, let every enabled rule report findings, apply the
// non-overlapping fixes with magic-string, defer the rest to another pass, and re-parse every result.
import { resolve as resolvePath } from 'node:path';
import MagicString from 'magic-string';
import { parsePython, queryMatches, syntaxErrors } from './parse.js';
import { detectIndentUnit, detectNewline, lineStarts, positionOf } from './syntax/source.js';
import { fileModel, type FileModel } from './model/index.js';
import { QueryPass } from './query-pass.js';
import { findSuppressions, suppresses, unusedSuppressions } from './suppressions.js';
import type { Edit, FileError, Finding, ReportedFinding, SyntaxNode, Rule, RuleContext, Tree } from './types.js';

export const MAX_PASSES = 10;

export interface ProcessOptions {
  rules: Rule[];
  /** Apply fixes marked unsafe too. */
  unsafeFixes: boolean;
  /** All rule codes bgsafe knows (for unknown codes in suppressions). */
  knownCodes?: Set<string>;
  /** The file's absolute path on disk (default: `path` resolved against the current folder). */
  absPath?: string;
}

export interface SourceResult {
  path: string;
  output: string;
  changed: boolean;
  findings: ReportedFinding[];
  fixesApplied: number;
  passes: number;
  errors: FileError[];
  unusedSuppressions: Array<{ path: string; line: number; column: number; message: string }>;
  /** Files the applied fixes need created (relative to this file's folder), first request per path. */
  createFiles: Array<{ path: string; text: string }>;
}

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
): Finding[] {
  const findings: Finding[] = [];
  const starts = lineStarts(source);
  const queryCache = new Map<string, Array<Record<string, SyntaxNode>>>();
  const relevant = rules.filter((t) => t.prefilter.some((s) => source.includes(s)));
  const pass = new QueryPass(tree, relevant.map((t) => t.code));
  // Computed on first use: most files need neither.
  let indentUnit: string | undefined;
  let newline: string | undefined;
  let model: FileModel | undefined;
  for (const t of relevant) {
    const ctx: RuleContext = {
      path,
      absPath,
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

function extent(edits: Edit[]): [number, number] {
  let s = Infinity;
  let e = -Infinity;
  for (const x of edits) {
    s = Math.min(s, x.start);
    e = Math.max(e, x.end);
  }
  return [s, e];
}

function applyEdits(source: string, edits: Edit[]): string {
  const ms = new MagicString(source);
  for (const e of edits) {
    if (e.start === e.end) ms.appendLeft(e.start, e.text);
    else ms.overwrite(e.start, e.end, e.text);
  }
  return ms.toString();
}

/** Edits inside one fix must not overlap; two inserts at one point keep their order. */
function fixIsWellFormed(edits: Edit[]): boolean {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1];
    const c = sorted[i];
    if (c.start < p.end) return false;
    if (c.start === p.start && (c.end > c.start || p.end > p.start)) return false;
  }
  return edits.every((e) => e.start <= e.end);
}

function errorCount(tree: Tree): number {
  return syntaxErrors(tree).length;
}

export function processSource(path: string, input: string, options: ProcessOptions): SourceResult {
  const errors: FileError[] = [];
  const enabledCodes = new Set(options.rules.map((t) => t.code));
  const relevant = options.rules.filter((t) => t.prefilter.some((s) => input.includes(s)));
  const result: SourceResult = {
    path,
    output: input,
    changed: false,
    findings: [],
    fixesApplied: 0,
    passes: 0,
    errors,
    unusedSuppressions: [],
    createFiles: [],
  };
  const hasSuppression = /bgsafe:\s*ignore/i.test(input);
  if (relevant.length === 0 && !hasSuppression) return result;

  const tree = parsePython(input);
  const inputErrors = syntaxErrors(tree);
  const suppressions = findSuppressions(tree);
  const starts = lineStarts(input);
  const first = collectFindings(path, input, tree, relevant, (line, code) => suppresses(suppressions, line, code), errors, options.absPath);
  const known = options.knownCodes ?? enabledCodes;
  for (const u of unusedSuppressions(suppressions, enabledCodes, known)) result.unusedSuppressions.push({ path, ...u });

  const enabledFix = (f: Finding): boolean => !!f.fix && (f.fix.safety === 'safe' || options.unsafeFixes);
  const reported: ReportedFinding[] = first.map((f) => ({
    ...f,
    path,
    startPos: positionOf(starts, f.start),
    endPos: positionOf(starts, f.end),
    fixStatus: !f.fix ? 'none' : enabledFix(f) ? 'applied' : 'available',
  }));
  result.findings = reported;

  if (inputErrors.length > 0) {
    const e = inputErrors[0];
    errors.push({
      path,
      kind: 'parse',
      line: e.row + 1,
      column: e.column + 1,
      message: `syntax error (${e.text}); findings are reported but no fix is applied to a file that does not parse — fix the syntax (python3 -m py_compile shows it), then run bgsafe again`,
    });
    for (const f of reported) if (f.fixStatus === 'applied') f.fixStatus = 'skipped';
    return result;
  }
  if (!first.some(enabledFix)) return result;

  // The fix loop. Rules whose fixes break the syntax are dropped for this file.
  const banned = new Set<string>();
  let source = input;
  let current: Finding[] = first;
  let applied = 0;
  let converged = false;
  const creations = new Map<string, string>();
  const noteCreations = (fixed: Finding[]): void => {
    for (const f of fixed) for (const c of f.fix!.createFiles ?? []) if (!creations.has(c.path)) creations.set(c.path, c.text);
  };
  for (let pass = 1; pass <= MAX_PASSES; pass++) {
    result.passes = pass;
    const candidates = current.filter((f) => enabledFix(f) && !banned.has(f.code) && fixIsWellFormed(f.fix!.edits));
    if (candidates.length === 0) {
      converged = true;
      break;
    }
    // Keep fixes whose extents do not touch an extent already taken; the rest wait for the next pass.
    const taken: Array<[number, number]> = [];
    const chosen: Finding[] = [];
    for (const f of candidates) {
      const [s, e] = extent(f.fix!.edits);
      if (taken.some(([ts, te]) => s <= te && ts <= e)) continue;
      taken.push([s, e]);
      chosen.push(f);
    }
    let next = applyEdits(source, chosen.flatMap((f) => f.fix!.edits));
    let nextTree = parsePython(next);
    if (errorCount(nextTree) > 0) {
      // Find the rules whose fixes alone break the file, drop them, and redo the pass without them.
      for (const code of new Set(chosen.map((f) => f.code))) {
        const alone = applyEdits(source, chosen.filter((f) => f.code === code).flatMap((f) => f.fix!.edits));
        if (errorCount(parsePython(alone)) > 0) {
          banned.add(code);
          errors.push({
            path,
            kind: 'internal',
            code,
            message: `internal error: the fix of ${code} would leave a syntax error, so it was not applied to this file; please report it with this file`,
          });
        }
      }
      const kept = chosen.filter((f) => !banned.has(f.code));
      next = applyEdits(source, kept.flatMap((f) => f.fix!.edits));
      nextTree = parsePython(next);
      if (errorCount(nextTree) > 0) {
        errors.push({ path, kind: 'internal', message: 'internal error: fixes together leave a syntax error; the file was left as it was; please report it with this file' });
        source = input;
        break;
      }
      applied += kept.length;
      noteCreations(kept);
    } else {
      applied += chosen.length;
      noteCreations(chosen);
    }
    if (next === source) {
      converged = true;
      break;
    }
    source = next;
    const sup = findSuppressions(nextTree);
    current = collectFindings(path, source, nextTree, relevant, (line, code) => suppresses(sup, line, code), errors, options.absPath);
  }
  if (!converged && source !== input && !current.some((f) => enabledFix(f) && !banned.has(f.code))) converged = true;
  if (!converged && source !== input) {
    errors.push({
      path,
      kind: 'not-converged',
      message: `fixes did not settle after ${MAX_PASSES} passes; the file was left as it was; please report it with this file`,
    });
    source = input;
  }
  if (source === input) {
    for (const f of reported) if (f.fixStatus === 'applied') f.fixStatus = 'skipped';
  } else {
    for (const f of reported) if (f.fixStatus === 'applied' && banned.has(f.code)) f.fixStatus = 'skipped';
  }
  result.output = source;
  result.changed = source !== input;
  if (result.changed) result.createFiles = [...creations].map(([p, text]) => ({ path: p, text }));
  result.fixesApplied = result.changed ? applied : 0;
  return result;
}
