// One producer, interchangeable printers: the runner builds a RunReport, and each output format is a
// Reporter that turns it into what goes to stdout. The CLI looks its format up in `reporters` (index.ts)
// instead of knowing any format itself.
import type { RunReport } from '../runner.js';
import type { Rule } from '../types.js';

/** What a run was asked to do, and what a format may need besides the report itself. */
export interface ReportContext {
  /** --write: fixes were written to disk (so the diff printer prints nothing; JSON says mode "write"). */
  write: boolean;
  /** --check: JSON records it in its mode; the exit code itself is the CLI's business. */
  check: boolean;
  /** bgsafe's version, named in the JSON and SARIF tool fields. */
  toolVersion: string;
  /** The rule catalogue: SARIF lists every rule and points each result at one by index. */
  rules: Rule[];
  /** Colour for a terminal (--color, src/color.ts); the diff and text formats use it, the others ignore it. */
  color?: boolean;
}

export interface Reporter {
  /** Everything this format writes to stdout for one run; '' for nothing. */
  stdout(report: RunReport, context: ReportContext): string;
  /**
   * Whether the human summary (summary.ts) goes to stderr. Machine formats say no: their stdout is the
   * whole report, errors included, so a script can treat any stderr output as a crash.
   */
  summaryToStderr: boolean;
}
