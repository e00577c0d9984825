// Finding Blender and running it: each run in its own process group, killed whole on timeout, so neither
// a hanging add-on nor a wrapper script's children can keep bgsafe waiting.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VerifyUsageError } from './types.js';

export const INSTALL_HINT =
  'install Blender (Debian/Ubuntu: `apt-get install blender`; elsewhere: https://www.blender.org/download/), ' +
  'or point to one with --blender PATH or $BLENDER';

function isExecutableFile(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** `--blender PATH`, else `$BLENDER`, else `blender` on PATH. Throws VerifyUsageError when there is none. */
export function findBlender(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const given = explicit ?? (env.BLENDER ? env.BLENDER : undefined);
  const source = explicit !== undefined ? '--blender' : '$BLENDER';
  if (given !== undefined) {
    // A bare name (`--blender blender-4.2`) is looked up on PATH like a shell would.
    const found = given.includes('/') ? (isExecutableFile(given) ? path.resolve(given) : undefined) : onPath(given, env);
    if (!found) throw new VerifyUsageError(`no Blender at ${source} ${given}: not an executable file; ${INSTALL_HINT}`);
    return found;
  }
  const found = onPath('blender', env);
  if (!found) throw new VerifyUsageError(`no Blender found: \`blender\` is not on PATH; ${INSTALL_HINT}`);
  return found;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return undefined;
}

export interface RunResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
  durationMs: number;
}

/** Processes still running, so an interrupted bgsafe can take them down with it. */
const live = new Set<ChildProcess>();

export function killAllRuns(): void {
  for (const child of live) killGroup(child);
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

const MAX_OUTPUT = 4 * 1024 * 1024;

export function runBlender(
  blender: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(blender, args, {
        env: opts.env,
        cwd: opts.cwd,
        detached: true, // its own process group: killGroup reaches the add-on's children too
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      resolve({ code: null, signal: null, timedOut: false, stdout: '', stderr: '', spawnError: String(e), durationMs: 0 });
      return;
    }
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += d.toString('utf8');
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += d.toString('utf8');
    });
    let timedOut = false;
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const finish = (spawnError?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      live.delete(child);
      // Whatever the group left behind goes too (a daemon the add-on started must not outlive the run).
      killGroup(child);
      resolve({
        code: exit?.code ?? null,
        signal: exit?.signal ?? null,
        timedOut,
        stdout,
        stderr,
        spawnError,
        durationMs: Date.now() - started,
      });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, opts.timeoutMs);
    let grace: NodeJS.Timeout | undefined;
    child.on('error', (e) => finish(e.message));
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // 'close' waits for the pipes; a grandchild holding them open must not keep us waiting.
      grace = setTimeout(() => finish(), 2000);
    });
    child.on('close', () => finish());
  });
}

/** At most `n` tasks at once. */
export class Pool {
  private running = 0;
  private queue: Array<() => void> = [];
  constructor(private readonly n: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.n) await new Promise<void>((r) => this.queue.push(r));
    else this.running++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so nobody can slip in between.
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}
