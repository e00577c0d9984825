// Timing a child process and reading its peak RSS, plus the small statistics and printing the bench uses.
//
// Peak RSS: Node's spawnSync gives no rusage of the child, so the child runs under GNU time
// (`/usr/bin/time -f %M -o <file>`, the child's ru_maxrss in KiB from wait4). Worker threads live in the
// child's own process, so that figure includes them. Without GNU time, a Node child (the bgsafe CLI) runs
// under rss-child.js, which reads its own process.resourceUsage().maxRSS as it exits; other children
// (ast-grep) then have no RSS figure, and the bench says so.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const GNU_TIME_PATH = '/usr/bin/time';
const RSS_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rss-child.js');

/** GNU time when installed and working (BENCH_NO_GNU_TIME=1 tries the fallback). */
export const gnuTime: boolean = (() => {
  if (process.env.BENCH_NO_GNU_TIME || !existsSync(GNU_TIME_PATH)) return false;
  const r = spawnSync(GNU_TIME_PATH, ['-f', '%M', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /^\d+\s*$/.test(r.stderr.trim().split('\n').pop() ?? '');
})();

export function rssMethod(): string {
  if (gnuTime) return `GNU time (${GNU_TIME_PATH} -f %M: the child's ru_maxrss, worker threads included)`;
  return `GNU time MISSING (${GNU_TIME_PATH}; apt-get install -y time): bgsafe's RSS is its own ` +
    'process.resourceUsage().maxRSS (worker threads included), read at exit by bench/rss-child.js; ast-grep RSS not measured';
}

export interface Command {
  /** An executable, or a Node script (run with this Node; RSS measurable without GNU time). */
  file: string;
  args: string[];
  node?: boolean;
  /** Exit codes that count as success (default 0). */
  okStatus?: number[];
}

export interface Sample {
  ms: number;
  /** Peak resident set size in KiB, or null when it cannot be measured. */
  rssKb: number | null;
  status: number;
}

const scratch = mkdtempSync(path.join(tmpdir(), 'bgsafe-bench-rss-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

/** Run a command once, stdout to /dev/null, stderr shown; its wall time and peak RSS. */
export function runOnce(cmd: Command): Sample {
  const rssFile = path.join(scratch, `rss-${counter++}`);
  let file = cmd.node ? process.execPath : cmd.file;
  let args = cmd.node ? [cmd.file, ...cmd.args] : cmd.args;
  if (gnuTime) {
    args = ['-f', '%M', '-o', rssFile, file, ...args];
    file = GNU_TIME_PATH;
  } else if (cmd.node) {
    args = [RSS_CHILD, rssFile, cmd.file, ...cmd.args];
  }
  const t = process.hrtime.bigint();
  const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.error) throw r.error;
  const status = r.status ?? -1;
  if (!(cmd.okStatus ?? [0]).includes(status)) {
    throw new Error(`${path.basename(cmd.file)} ${cmd.args.join(' ')}: exited ${r.status ?? r.signal}`);
  }
  let rssKb: number | null = null;
  if (existsSync(rssFile)) {
    // GNU time writes "Command exited with non-zero status N" before the figure when the child fails.
    const last = readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '';
    rssKb = /^\d+$/.test(last) ? Number(last) : null;
  }
  return { ms, rssKb, status };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function min(xs: number[]): number {
  return Math.min(...xs);
}

export function maxOrNull(xs: Array<number | null>): number | null {
  const known = xs.filter((x): x is number => x !== null);
  return known.length === xs.length && known.length > 0 ? Math.max(...known) : null;
}

/** KiB to MB (10^6 bytes, the unit of the target). */
export function mb(kb: number | null): string {
  return kb === null ? 'n/a' : `${((kb * 1024) / 1e6).toFixed(0)} MB`;
}

export function line(label: string, value: string): void {
  process.stdout.write(`${label.padEnd(50)} ${value}\n`);
}

export function heading(text: string): void {
  process.stdout.write(`\n== ${text}\n`);
}

/** A target line: the figure, the target and whether it is met. */
export function target(label: string, ok: boolean | null, figure: string, goal: string): void {
  line(`target: ${label}`, `${figure} (target ${goal}): ${ok === null ? 'NOT MEASURED' : ok ? 'met' : 'NOT MET'}`);
}
