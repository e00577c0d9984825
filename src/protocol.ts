// What the main thread and its worker threads (pool.ts, worker.ts) send each other: plain data only, so
// that both sides import these types and nothing else of each other's code.
import type { SourceResult } from './fixes.js';
import type { DecodedSource } from './read.js';
import type { TargetRange } from './versions.js';

/** One file to read and fix. */
export interface FileTask {
  absPath: string;
  display: string;
  /** Codes of the rules to run (from bgsafe's own table). */
  ruleCodes: string[];
  unsafe: boolean;
  /** The Blender versions the fixes are for (its add-on's, or --target-blender's). */
  target: TargetRange;
  /** For an entry of a .zip add-on: where its bytes are (absPath is then archive/entry). */
  zip?: { archive: string; entry: string };
}

/**
 * What reading and fixing one file gives, trimmed to what the report keeps: `result.output` is '' when the
 * file did not change (it is then the text as read), and `decoded.text` is '' too when the file has no
 * finding either, so that the bulk of a batch, files with nothing to say, costs no copy of its text.
 */
export interface FileAnalysis {
  decoded?: DecodedSource;
  mtimeMs?: number;
  readError?: string;
  result?: SourceResult;
}

/** To a worker: files to analyse, by their index in the run. */
export interface TaskMessage {
  tasks: Array<{ index: number; task: FileTask }>;
}

/** From a worker: the analyses of one TaskMessage, in its order. */
export interface ResultMessage {
  results: Array<{ index: number; analysis: FileAnalysis }>;
}
