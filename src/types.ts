// Plain data shared by the engine, the rules and the reporters.
// Offsets are indexes into the decoded source string (UTF-16 code units), which is what
// tree-sitter's Node binding and magic-string both use.
import type Parser from 'tree-sitter';
import type { FileModel } from './model/index.js';
import type { TargetRange } from './versions.js';

export type SyntaxNode = Parser.SyntaxNode;
export type Tree = Parser.Tree;

/** `safe`: behaviour in the GUI is unchanged; `unsafe`: applied only with --unsafe-fixes. */
export type FixSafety = 'safe' | 'unsafe';
/** What a rule offers: a fix of some safety, or only a report with the manual fix in its message. */
export type RuleFixKind = FixSafety | 'report-only';

export interface Edit {
  start: number;
  end: number;
  /** Replacement text; an empty range inserts. */
  text: string;
}

export interface Fix {
  safety: FixSafety;
  /** One line saying what the fix does, e.g. "wrap in `if not bpy.app.background:`". */
  description: string;
  edits: Edit[];
  /** New files the fix needs (e.g. a runtime module generated once into the add-on), by path relative to
   *  the folder of the file being fixed. A file that already exists is never touched; several fixes (or
   *  files) asking for the same path create it once. Shown in the dry-run diff as a new file. */
  createFiles?: Array<{ path: string; text: string }>;
}

export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column, in characters. */
  column: number;
}

export interface Finding {
  code: string;
  slug: string;
  /** Key into the rule's `messages`, so tests can assert ids rather than prose. */
  messageId: string;
  message: string;
  start: number;
  end: number;
  fix?: Fix;
}

/** A finding as reported, with positions and what happened to its fix. */
export interface ReportedFinding extends Finding {
  path: string;
  startPos: Position;
  endPos: Position;
  /** `applied`: written (or would be, in a dry run); `available`: an unsafe fix not enabled;
   *  `none`: report only; `skipped`: the fix could not be applied (see the file's errors). */
  fixStatus: 'applied' | 'available' | 'none' | 'skipped';
}

export interface RuleDocs {
  whatItFinds: string;
  whyItBreaks: string;
  example: { before: string; after: string };
  fixSafety: string;
}

export interface RuleContext<M extends string = string> {
  /** The path as reported (relative to the run's folder). */
  path: string;
  /** The file's absolute path on disk, for rules that read the add-on's other files. */
  absPath: string;
  /** The Blender versions the add-on supports (src/versions.ts): a fix emits code for exactly these, with a
   *  `bpy.app.version` branch only where they differ. */
  target: TargetRange;
  source: string;
  tree: Tree;
  /** The file's indent unit: a tab or N spaces (default four). */
  indentUnit: string;
  /** The file's newline: "\r\n" or "\n". */
  newline: string;
  /** The add-on model of this file (its definitions, imports, calls, and when its code runs, across the
   *  add-on's files); built on first use. */
  readonly model: FileModel;
  /** Run a tree-sitter query (compiled once per pattern) over the tree. */
  matches(query: string, node?: SyntaxNode): Array<Record<string, SyntaxNode>>;
  report(finding: {
    messageId: M;
    data?: Record<string, string>;
    node?: SyntaxNode;
    start?: number;
    end?: number;
    fix?: Fix;
  }): void;
}

export interface Rule {
  code: string;
  slug: string;
  summary: string;
  /** What the rule's fix is; report-only rules say what to do by hand in their message. */
  fixKind: RuleFixKind;
  /** Rules off by default (hygiene) run only when --select names them. */
  defaultEnabled: boolean;
  docs: RuleDocs;
  /** Message templates keyed by id; `{name}` is filled from the report's data. */
  messages: Record<string, string>;
  /** Substrings of which at least one must occur in a file for the rule to be run on it. */
  prefilter: string[];
  /** Patterns of the Python exception text (as Blender prints it) that this rule's finding causes,
   *  so `bgsafe verify` can name the rule that covers a failure. */
  errorPatterns?: RegExp[];
  /** A second, sharper test of the text after the substrings (a regular expression, say), for a rule
   *  whose substrings occur in most files: false means nothing here can match, and the file is not
   *  parsed for this rule. It must never reject a text where the rule would report something. */
  prefilterText?: (text: string) => boolean;
  /** Where two rules' errorPatterns match one exception text: code in the traceback that makes it this
   *  rule's (verify tries the rules that have errorFrames first, and names one only where a frame matches). */
  errorFrames?: RegExp[];
  check(ctx: RuleContext): void;
}

export interface FileError {
  path: string;
  /** `read`, `parse`, `internal`, `write`, `not-converged`, `config`, `path`. */
  kind: string;
  message: string;
  line?: number;
  column?: number;
  code?: string;
}
