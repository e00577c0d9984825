// One file through the stages that need no main thread: read, then the fix loop (which runs the prefilter,
// the parse and the rules). The same for a worker thread and for the calling thread; writing waits for
// the main thread (write.ts), after every file is analysed.
import { fixSteps } from './fixes.js';
import { readTask, type DecodedSource } from './read.js';
import { reclaimTrees } from './reclaim.js';
import type { FileAnalysis, FileTask } from './protocol.js';
import type { Finding, Rule } from './types.js';

/** Decides which of one pass's fixes to apply (--interactive, interactive.ts). */
export interface FixReviewer {
  review(path: string, source: string, fixes: Finding[]): Promise<Finding[]>;
}

/**
 * `how.review`: each pass's fixes go past it first, and only those it returns are applied (in the calling
 * thread: it asks the terminal). `how.text`: analysed instead of the file on disk (--stdin-filename), and kept
 * whole in the result, since the caller prints it.
 */
export async function analyseFile(
  task: FileTask,
  rules: Rule[],
  knownCodes: Set<string>,
  how: { review?: FixReviewer; text?: DecodedSource } = {},
): Promise<FileAnalysis> {
  const read = how.text !== undefined ? { decoded: { ...how.text } } : await readTask(task);
  if ('readError' in read) return read;
  const { decoded } = read;
  const steps = fixSteps(task.display, decoded.text, { rules, unsafeFixes: task.unsafe, knownCodes, absPath: task.absPath, target: task.target });
  let step = steps.next();
  while (!step.done) {
    await reclaimTrees();
    const answer = how.review && step.value.fixes.length > 0 ? await how.review.review(task.display, step.value.source, step.value.fixes) : undefined;
    step = steps.next(answer);
  }
  const result = step.value;
  await reclaimTrees();
  // Only what the report keeps (see FileAnalysis): a text no printer shows is neither copied nor held.
  if (!result.changed) {
    result.output = '';
    if (result.findings.length === 0 && how.text === undefined) decoded.text = '';
  }
  return { ...read, result };
}
