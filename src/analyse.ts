// One file through the stages that need no main thread: read, then the fix loop (which runs the prefilter,
// the parse and the rules). The same for a worker thread and for the calling thread; writing waits for
// the main thread (write.ts), after every file is analysed.
import { fixSteps } from './fixes.js';
import { readTask } from './read.js';
import { reclaimTrees } from './reclaim.js';
import type { FileAnalysis, FileTask } from './protocol.js';
import type { Rule } from './types.js';

export async function analyseFile(task: FileTask, rules: Rule[], knownCodes: Set<string>): Promise<FileAnalysis> {
  const read = await readTask(task);
  if ('readError' in read) return read;
  const { decoded, mtimeMs } = read;
  const steps = fixSteps(task.display, decoded.text, { rules, unsafeFixes: task.unsafe, knownCodes, absPath: task.absPath, target: task.target });
  let step = steps.next();
  for (; !step.done; step = steps.next()) await reclaimTrees();
  const result = step.value;
  await reclaimTrees();
  // Only what the report keeps (see FileAnalysis): a text no printer shows is neither copied nor held.
  if (!result.changed) {
    result.output = '';
    if (result.findings.length === 0) decoded.text = '';
  }
  return { decoded, mtimeMs, result };
}
