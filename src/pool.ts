// Reading and fixing files on worker threads: tree-sitter and the rules are CPU-bound, so a batch of many
// files goes about as many times faster as there are cores. Workers take bgsafe's own rules by code; all
// writing stays in the main thread.
import { Worker } from 'node:worker_threads';
import type { FileAnalysis, FileTask } from './runner.js';

/** Below this many files, starting threads costs more than it saves. */
export const PARALLEL_MIN_FILES = 48;
/** Files handed to a worker at a time: small enough to balance, large enough to keep messages few. */
const BATCH = 8;

export function analyseInWorkers(tasks: FileTask[], threads: number): Promise<FileAnalysis[]> {
  const results: FileAnalysis[] = new Array(tasks.length);
  const batches = batchesByAddon(tasks);
  let next = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    const finish = (e?: Error): void => {
      for (const w of workers) void w.terminate();
      if (e) reject(e);
      else resolve(results);
    };
    const feed = (w: Worker): void => {
      if (next >= batches.length) return;
      const { start, end } = batches[next++];
      w.postMessage({ start, tasks: tasks.slice(start, end) });
    };
    for (let i = 0; i < Math.min(threads, batches.length); i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url));
      workers.push(w);
      w.on('message', (m: { start: number; results: FileAnalysis[] }) => {
        m.results.forEach((r, k) => (results[m.start + k] = r));
        done += m.results.length;
        if (done === tasks.length) finish();
        else feed(w);
      });
      w.on('error', (e) => finish(e));
      feed(w);
    }
  });
}

/** Consecutive runs of tasks, each within one add-on (an add-on's files are discovered together): a
 *  small add-on is one batch with its neighbours up to BATCH files; a large one is one batch of its own,
 *  however long, so that its model is built by one worker. */
function batchesByAddon(tasks: FileTask[]): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let start = 0;
  while (start < tasks.length) {
    let end = start + 1;
    const addon = tasks[start].addonRoot;
    while (end < tasks.length && tasks[end].addonRoot === addon) end++;
    // Small add-ons (single files, tiny packages) share a batch up to BATCH files.
    while (end - start < BATCH && end < tasks.length) {
      let e = end + 1;
      while (e < tasks.length && tasks[e].addonRoot === tasks[end].addonRoot) e++;
      if (e - start > BATCH) break;
      end = e;
    }
    out.push({ start, end });
    start = end;
  }
  // The largest first, so that one long add-on does not start last and finish alone.
  return out.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
}
