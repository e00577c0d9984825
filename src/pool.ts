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
      if (next >= tasks.length) return;
      const start = next;
      const batch = tasks.slice(start, start + BATCH);
      next += batch.length;
      w.postMessage({ start, tasks: batch });
    };
    for (let i = 0; i < Math.min(threads, Math.ceil(tasks.length / BATCH)); i++) {
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
