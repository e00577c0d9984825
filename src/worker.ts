// A worker thread of the pool (pool.ts): reads and fixes the files it is sent, with bgsafe's own rules.
import { parentPort } from 'node:worker_threads';
import { analyseFile, type FileAnalysis, type FileTask } from './runner.js';
import { allRules } from '../rules/index.js';

const knownCodes = new Set(allRules.map((t) => t.code));
const byCode = new Map(allRules.map((t) => [t.code, t]));

parentPort!.on('message', async (m: { start: number; tasks: FileTask[] }) => {
  const results: FileAnalysis[] = [];
  for (const task of m.tasks) {
    const rules = task.ruleCodes.map((c) => byCode.get(c)!);
    results.push(await analyseFile(task, rules, knownCodes, task.unsafe));
  }
  parentPort!.postMessage({ start: m.start, results });
});
