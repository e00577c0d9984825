// Every output format by name. The CLI's --format choices are this table's keys, so a new format is
// one file with its Reporter plus one row here; the Record type makes the compiler insist on the row.
import { diffReporter } from './diff.js';
import { githubReporter } from './github.js';
import { jsonReporter } from './json.js';
import type { Reporter } from './reporter.js';
import { sarifReporter } from './sarif.js';
import { textReporter } from './text.js';

export type Format = 'diff' | 'text' | 'json' | 'sarif' | 'github';

// Key order is the order --help lists the choices in; diff first, as it is the default.
export const reporters: Record<Format, Reporter> = {
  diff: diffReporter,
  text: textReporter,
  json: jsonReporter,
  sarif: sarifReporter,
  github: githubReporter,
};

export const FORMATS = Object.keys(reporters) as Format[];

export type { Reporter, ReportContext } from './reporter.js';
// The printers themselves stay importable from here, where they used to live.
export { fileDiff, formatDiff } from './diff.js';
export { errorLine, findingLine, fixMarker, formatText } from './text.js';
export { JSON_SCHEMA_VERSION, formatJson, toJson } from './json.js';
export { formatSarif, toSarif } from './sarif.js';
export { escapeData, escapeProperty, formatGithub, workflowCommand } from './github.js';
export { formatSummary } from './summary.js';
