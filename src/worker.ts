// A worker thread of the pool (pool.ts): analyses the files it is sent with bgsafe's own rules, one message
// at a time and in the order sent, so that the files of one add-on are analysed one after another.
import { parentPort } from 'node:worker_threads';
import { analyseFile } from './analyse.js';
import type { ResultMessage, TaskMessage } from './protocol.js';
import { allRules } from '../rules/index.js';

const knownCodes = new Set(allRules.map((t) => t.code));
const byCode = new Map(allRules.map((t) => [t.code, t]));

async function handle(m: TaskMessage): Promise<void> {
  const out: ResultMessage = { results: [] };
  for (const { index, task } of m.tasks) {
    const rules = task.ruleCodes.map((c) => byCode.get(c)!);
    out.results.push({ index, analysis: await analyseFile(task, rules, knownCodes) });
  }
  parentPort!.postMessage(out);
}

let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (m: TaskMessage) => {
  queue = queue.then(() => handle(m)).catch(fail);
});

/** An error leaves the thread as an uncaught exception, which the pool sees as the worker's 'error'. */
function fail(e: unknown): void {
  process.nextTick(() => {
    throw e;
  });
}
