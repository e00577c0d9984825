// Running the real binary on a pseudo-terminal (test/python/pty_run.py drives it), for the tests of
// --interactive, progress and colour: what a person at a terminal sees, and what a key typed does.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot } from './helpers.js';

export const bin = path.join(repoRoot, 'bin', 'bgsafe.js');
const driver = path.join(repoRoot, 'test', 'python', 'pty_run.py');

export interface PtyRun {
  code: number;
  /** Everything the terminal showed (stderr, and stdout unless piped), CRLF as LF. */
  tty: string;
  /** What stdout's pipe got, with stdout: 'pipe'. */
  stdout: string;
  timedOut: boolean;
  keysSent: number;
}

export interface PtyOptions {
  cwd: string;
  /** stdout on the terminal too (default), or a pipe. */
  stdout?: 'pty' | 'pipe';
  env?: Record<string, string>;
  /** Variables to take out of the environment (e.g. CI, NO_COLOR, FORCE_COLOR). */
  unset?: string[];
  /** Each key is typed once this regex has matched one more time on the terminal. */
  prompt?: string;
  keys?: string[];
  timeout?: number;
}

/** Whether python3 with its pty module is here (it is on Debian and in CI). */
export function ptyAvailable(): boolean {
  const r = spawnSync('python3', ['-c', 'import pty, select'], { encoding: 'utf8' });
  return r.status === 0;
}

export function runOnPty(args: string[], o: PtyOptions): PtyRun {
  const spec = {
    argv: [process.execPath, bin, ...args],
    cwd: o.cwd,
    stdout: o.stdout ?? 'pty',
    // A terminal as a person has one; not the CI the tests may run in, nor the caller's colour wishes.
    env: { TERM: 'xterm-256color', ...o.env },
    unset: o.unset ?? ['CI', 'NO_COLOR', 'FORCE_COLOR'].filter((v) => !(o.env && v in o.env)),
    prompt: o.prompt,
    keys: o.keys ?? [],
    timeout: o.timeout ?? 60,
  };
  const r = spawnSync('python3', [driver, JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pty driver failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as PtyRun;
}

/** Text without ANSI escapes (colours, cursor moves, synchronized-output marks). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
}
