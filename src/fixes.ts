// Stage fixes: the fix loop for one source text. Parse, collect the findings of every relevant rule, apply
// the non-overlapping fixes with magic-string, defer the rest to another pass, and re-parse every result.
import { parsePython, syntaxErrors } from './parse.js';
import { mayHaveSuppression, relevantRules } from './prefilter.js';
import { collectFindings } from './findings.js';
import { applyEdits } from './syntax/edits.js';
import { lineStarts, positionOf } from './syntax/source.js';
import { findSuppressions, suppresses, unusedSuppressions, type Suppression } from './suppressions.js';
import type { TargetRange } from './versions.js';
import type { Edit, FileError, Finding, ReportedFinding, Rule, Tree } from './types.js';

export const MAX_PASSES = 10;

export interface ProcessOptions {
  rules: Rule[];
  /** Apply fixes marked unsafe too. */
  unsafeFixes: boolean;
  /** All rule codes bgsafe knows (for unknown codes in suppressions). */
  knownCodes?: Set<string>;
  /** The file's absolute path on disk (default: `path` resolved against the current folder). */
  absPath?: string;
  /** The Blender versions the fixes are for (default: every version from 2.80 on). */
  target?: TargetRange;
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

function extent(edits: Edit[]): [number, number] {
  let s = Infinity;
  let e = -Infinity;
  for (const x of edits) {
    s = Math.min(s, x.start);
    e = Math.max(e, x.end);
  }
  return [s, e];
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

/** The suppression comments of a text; none without looking at its comments when the text has no
 *  `bgsafe: ignore` at all (most files: each comment looked at costs a node object until the next GC). */
function suppressionsOf(tree: Tree, text: string): Map<number, Suppression> {
  return mayHaveSuppression(text) ? findSuppressions(tree) : new Map();
}

function errorCount(tree: Tree): number {
  return syntaxErrors(tree).length;
}

export function processSource(path: string, input: string, options: ProcessOptions): SourceResult {
  const steps = fixSteps(path, input, options);
  let step = steps.next();
  while (!step.done) step = steps.next();
  return step.value;
}

/** What the fix loop needs of one file's passes: each tree lives only inside the function that parses it. */
interface PassContext {
  path: string;
  relevant: Rule[];
  absPath?: string;
  target?: TargetRange;
  errors: FileError[];
}

/** Findings of a text from its tree (suppressed ones left out). */
function findingsOf(c: PassContext, text: string, tree: Tree): Finding[] {
  const sup = suppressionsOf(tree, text);
  return collectFindings(c.path, text, tree, c.relevant, (line, code) => suppresses(sup, line, code), c.errors, c.absPath, c.target);
}

/**
 * One pass: apply the chosen fixes to the source and re-parse. Rules whose fixes alone break the syntax are
 * banned and the pass is redone without them. Null when the fixes left together still break it; otherwise
 * the new text, the fixes applied, and (when the text changed) the findings on it.
 */
function fixPass(c: PassContext, source: string, chosen: Finding[], banned: Set<string>): { next: string; fixed: Finding[]; current: Finding[] | null } | null {
  let next = applyEdits(source, chosen.flatMap((f) => f.fix!.edits));
  let nextTree = parsePython(next);
  let fixed = chosen;
  if (errorCount(nextTree) > 0) {
    for (const code of new Set(chosen.map((f) => f.code))) {
      const alone = applyEdits(source, chosen.filter((f) => f.code === code).flatMap((f) => f.fix!.edits));
      if (errorCount(parsePython(alone)) > 0) {
        banned.add(code);
        c.errors.push({
          path: c.path,
          kind: 'internal',
          code,
          message: `internal error: the fix of ${code} would leave a syntax error, so it was not applied to this file; please report it with this file`,
        });
      }
    }
    fixed = chosen.filter((f) => !banned.has(f.code));
    next = applyEdits(source, fixed.flatMap((f) => f.fix!.edits));
    nextTree = parsePython(next);
    if (errorCount(nextTree) > 0) {
      c.errors.push({ path: c.path, kind: 'internal', message: 'internal error: fixes together leave a syntax error; the file was left as it was; please report it with this file' });
      return null;
    }
  }
  return { next, fixed, current: next === source ? null : findingsOf(c, next, nextTree) };
}

/** What the fix loop offers before a pass: the fixes it is about to apply to `source` (the text as the passes
 *  before left it). A caller may answer `steps.next(accepted)` with the ones to apply (--interactive);
 *  no answer applies them all. */
export interface PassOffer {
  source: string;
  fixes: Finding[];
}

/**
 * A fix declined in review is known across passes by its rule, its message id and where its finding
 * starts, that offset carried through the edits of every pass applied since (an edit before it moves it;
 * one that rewrites the spot loses it, and the fix counts as new). A later pass's finding that matches is
 * not offered again: a skipped fix stays skipped.
 */
interface Declined {
  code: string;
  messageId: string;
  start: number | undefined;
}

/** Where `offset` of a text is once `edits` (one pass's, not overlapping) are applied; undefined when an
 *  edit rewrites it. An insertion at the offset itself lands before it. */
export function carryOffset(offset: number, edits: Edit[]): number | undefined {
  let delta = 0;
  for (const e of edits) {
    if (e.end <= offset && (e.start < offset || e.start === e.end)) delta += e.text.length - (e.end - e.start);
    else if (e.start <= offset && offset < e.end) return undefined;
  }
  return offset + delta;
}

/**
 * processSource as steps: it pauses before each pass of the fix loop, where no tree of the file is held any
 * more, so that a caller that can wait (analyse.ts) lets the trees of the passes before be freed (see
 * reclaim.ts) before the next parse: a big file that changes would otherwise hold several trees at once.
 * Each pause offers the pass's fixes (PassOffer), which the caller may narrow.
 */
export function* fixSteps(path: string, input: string, options: ProcessOptions): Generator<PassOffer, SourceResult, Finding[] | undefined> {
  const errors: FileError[] = [];
  const enabledCodes = new Set(options.rules.map((t) => t.code));
  const relevant = relevantRules(options.rules, input);
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
  if (relevant.length === 0 && !mayHaveSuppression(input)) return result;
  const c: PassContext = { path, relevant, absPath: options.absPath, target: options.target, errors };

  const { inputErrors, first, suppressions } = ((): { inputErrors: ReturnType<typeof syntaxErrors>; first: Finding[]; suppressions: Map<number, Suppression> } => {
    const tree = parsePython(input);
    const sup = suppressionsOf(tree, input);
    return {
      inputErrors: syntaxErrors(tree),
      first: collectFindings(path, input, tree, relevant, (line, code) => suppresses(sup, line, code), errors, options.absPath, options.target),
      suppressions: sup,
    };
  })();
  const starts = lineStarts(input);
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
  // Review: the fixes declined so far, and the first pass's findings with where they start in `source`.
  const declined: Declined[] = [];
  const tracked = reported.map((f) => ({ f, start: f.start as number | undefined }));
  const isDeclined = (f: Finding): boolean => declined.some((d) => d.code === f.code && d.messageId === f.messageId && d.start === f.start);
  const offered = (f: Finding): boolean => enabledFix(f) && !banned.has(f.code) && !isDeclined(f);
  for (let pass = 1; pass <= MAX_PASSES; pass++) {
    result.passes = pass;
    let chosen: Finding[] = [];
    // Choose again when review declines every fix chosen: the fixes they kept waiting may go now.
    while (chosen.length === 0) {
      const candidates = current.filter((f) => offered(f) && fixIsWellFormed(f.fix!.edits));
      if (candidates.length === 0) break;
      // Keep fixes whose extents do not touch an extent already taken; the rest wait for the next pass.
      const taken: Array<[number, number]> = [];
      for (const f of candidates) {
        const [s, e] = extent(f.fix!.edits);
        if (taken.some(([ts, te]) => s <= te && ts <= e)) continue;
        taken.push([s, e]);
        chosen.push(f);
      }
      const accepted = yield { source, fixes: chosen };
      if (!accepted) break;
      const keep = new Set(accepted);
      for (const f of chosen) {
        if (keep.has(f)) continue;
        declined.push({ code: f.code, messageId: f.messageId, start: f.start });
        for (const t of tracked) if (t.f.code === f.code && t.f.messageId === f.messageId && t.start === f.start) t.f.fixStatus = 'skipped';
      }
      chosen = chosen.filter((f) => keep.has(f));
    }
    if (chosen.length === 0) {
      converged = true;
      break;
    }
    const done = fixPass(c, source, chosen, banned);
    if (!done) {
      source = input;
      break;
    }
    const passEdits = done.fixed.flatMap((f) => f.fix!.edits);
    for (const d of declined) d.start = d.start === undefined ? undefined : carryOffset(d.start, passEdits);
    for (const t of tracked) t.start = t.start === undefined ? undefined : carryOffset(t.start, passEdits);
    applied += done.fixed.length;
    noteCreations(done.fixed);
    if (!done.current) {
      converged = true;
      break;
    }
    source = done.next;
    current = done.current;
  }
  if (!converged && source !== input && !current.some(offered)) converged = true;
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
