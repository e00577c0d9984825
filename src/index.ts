// bgsafe's programmatic API: what the CLI itself is built on.
export { run, displayPath } from './runner.js';
export type { RunOptions, RunReport, FileReport, AddonSummary } from './runner.js';
export { processSource, MAX_PASSES } from './engine.js';
export type { ProcessOptions, SourceResult } from './engine.js';
export { fileDiff, formatDiff } from './reporters/diff.js';
export { formatText } from './reporters/text.js';
export { formatJson, toJson, JSON_SCHEMA_VERSION } from './reporters/json.js';
export { toSarif } from './reporters/sarif.js';
export { formatSummary } from './reporters/summary.js';
export { selectRules, ConfigError, UsageError } from './config.js';
export { decodeSource, encodeSource, readSource } from './read.js';
export { writeAtomic } from './write.js';
export { VERSION } from './version.js';
export { allRules, ruleByCode } from '../rules/index.js';
export type * from './types.js';
