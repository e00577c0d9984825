// Analysing files on worker threads: tree-sitter and the rules are CPU-bound, so a batch of many files goes
// about as many times faster as there are cores. Workers take bgsafe's own rules by code and send back
// plain data (protocol.ts); all writing stays in the main thread.
//
// The files of one add-on all go to one worker, in consecutive messages, so that what a worker reads of an
// add-on's other files is read once. Add-ons are handed out largest first, each to the worker that asks
// next, which keeps the threads busy until the end.
import { Worker } from 'node:worker_threads';
import type { FileAnalysis, FileTask, ResultMessage, TaskMessage } from './protocol.js';

/** Below this many files, starting threads costs more than it saves. */
export const PARALLEL_MIN_FILES = 48;
/** Files per message: small enough that a reply holds few texts, large enough to keep messages few. */
const BATCH_FILES = 8;
const BATCH_BYTES = 256 * 1024;
/** A worker's young generation, in MB (V8's default grows to 48): every MB of it is held by every worker,
 *  and what a file leaves is collected anyway (reclaim.ts). Over Debian's add-ons one worker peaks at
 *  about 128 MB with 2 or 4, 165 MB with the default, in the same time. */
const YOUNG_GENERATION_MB = 2;
/** Messages a worker holds ahead, so that it never waits for the next one; it gets the next add-on when
 *  fewer are left of the ones it has. */
const AHEAD = 2;

export interface PoolJob {
  /** The file's index in the run (results are keyed by it). */
  index: number;
  task: FileTask;
  /** The add-on it belongs to: jobs of one group go to one worker. */
  group: string;
  /** Its size in bytes, for balancing. */
  size: number;
}

/** An add-on's jobs as messages, with their total size and the index of the first. */
export interface Unit {
  messages: TaskMessage[];
  size: number;
  first: number;
}

/** The jobs as add-ons, largest first, each cut into messages in the order of its files. */
export function unitsOf(jobs: PoolJob[]): Unit[] {
  const byGroup = new Map<string, PoolJob[]>();
  for (const j of jobs) {
    const g = byGroup.get(j.group);
    if (g) g.push(j);
    else byGroup.set(j.group, [j]);
  }
  const out: Unit[] = [];
  for (const group of byGroup.values()) {
    const unit: Unit = { messages: [], size: 0, first: group[0].index };
    let bytes = Infinity;
    for (const j of group) {
      let last = unit.messages[unit.messages.length - 1];
      if (!last || last.tasks.length >= BATCH_FILES || bytes + j.size > BATCH_BYTES) {
        last = { tasks: [] };
        unit.messages.push(last);
        bytes = 0;
      }
      last.tasks.push({ index: j.index, task: j.task });
      bytes += j.size;
      unit.size += j.size;
    }
    out.push(unit);
  }
  return out.sort((a, b) => b.size - a.size || a.first - b.first);
}

/** Analyse every job on up to `threads` workers; each analysis is passed to onResult as it arrives. */
export function analyseInWorkers(jobs: PoolJob[], threads: number, onResult: (index: number, a: FileAnalysis) => void): Promise<void> {
  const queue = unitsOf(jobs);
  let next = 0;
  let left = jobs.length;
  return new Promise((resolve, reject) => {
    if (left === 0) return resolve();
    const workers: Worker[] = [];
    let over = false;
    const finish = (e?: Error): void => {
      if (over) return;
      over = true;
      for (const w of workers) void w.terminate();
      if (e) reject(e);
      else resolve();
    };
    const start = (): void => {
      const w = new Worker(new URL('./worker.js', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
      workers.push(w);
      let inFlight = 0; // messages posted to this worker and not answered yet
      const feed = (): void => {
        while (inFlight < AHEAD && next < queue.length) {
          const unit = queue[next++];
          for (const m of unit.messages) w.postMessage(m);
          inFlight += unit.messages.length;
        }
      };
      w.on('message', (m: ResultMessage) => {
        inFlight--;
        for (const r of m.results) onResult(r.index, r.analysis);
        left -= m.results.length;
        if (left === 0) finish();
        else feed();
      });
      w.on('error', (e) => finish(e));
      w.on('exit', (code) => finish(new Error(`a worker thread stopped (exit code ${code})`)));
      feed();
    };
    for (let i = 0; i < Math.min(threads, queue.length); i++) start();
  });
}
