// The engine's API as it has always been imported (tests, the README, bench): the stages now live in their
// own modules, findings.ts (rules over one tree) and fixes.ts (the fix loop over one text).
export { collectFindings, fillMessage } from './findings.js';
export { MAX_PASSES, processSource, type ProcessOptions, type SourceResult } from './fixes.js';
