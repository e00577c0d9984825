// bgsafe's CLI against ast-grep, each a fresh process over the same folders: one untimed warm-up round,
// then paired rounds in which every command runs once, in an order that rotates from round to round, so
// that a slow spell of the (shared, noisy) machine falls on all of them alike.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../src/version.js';
import { runOnce, type Command, type Sample } from './measure.js';

export const BGSAFE_CLI = path.join(packageRoot, 'bin', 'bgsafe.js');
export const AST_GREP = path.join(packageRoot, 'node_modules', '.bin', 'ast-grep');
export const AST_GREP_CONFIG = path.join(packageRoot, 'bench', 'ast-grep', 'sgconfig.yml');
/** The one pattern of `ast-grep run`: BGS001's best-known call. */
export const ONE_PATTERN = 'gpu.shader.from_builtin($$$)';

/** A dry run of bgsafe's default catalogue; exit 2 means some file had an error (e.g. a syntax error). */
export function bgsafeCommand(target: string[], extra: string[] = []): Command {
  return { file: BGSAFE_CLI, node: true, args: ['--quiet', '--no-config', ...extra, ...target], okStatus: [0, 2] };
}

export function contenders(target: string[]): Array<{ key: string; label: string; cmd: Command }> {
  return [
    { key: 'bgsafe', label: 'bgsafe CLI, default jobs', cmd: bgsafeCommand(target) },
    { key: 'bgsafe1', label: 'bgsafe CLI, --jobs 1', cmd: bgsafeCommand(target, ['--jobs', '1']) },
    { key: 'scan', label: 'ast-grep scan, catalogue', cmd: { file: AST_GREP, args: ['scan', '-c', AST_GREP_CONFIG, ...target] } },
    { key: 'run', label: 'ast-grep run, one pattern', cmd: { file: AST_GREP, args: ['run', '-l', 'python', '-p', ONE_PATTERN, ...target] } },
  ];
}

export function pairedRounds(list: Array<{ key: string; cmd: Command }>, runs: number): Map<string, Sample[]> {
  const samples = new Map(list.map((c) => [c.key, [] as Sample[]]));
  for (const c of list) runOnce(c.cmd); // warm-up: page cache, Node's compile cache
  for (let round = 0; round < runs; round++) {
    const order = list.map((_, i) => list[(i + round) % list.length]);
    for (const c of order) samples.get(c.key)!.push(runOnce(c.cmd));
    process.stderr.write(`bench: round ${round + 1}/${runs} done\n`);
  }
  return samples;
}

export function astGrepVersion(): string {
  return spawnSync(AST_GREP, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** An untimed run of an ast-grep command with --json=stream: its matches by rule id ('' for `run`), and
 *  what its --inspect summary says it ran (rules run and off, files scanned). */
export function astGrepMatches(cmd: Command): { counts: Map<string, number>; summary: string } {
  const args = [...cmd.args];
  args.splice(1, 0, '--json=stream', '--inspect', 'summary');
  const r = spawnSync(cmd.file, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ast-grep ${args.join(' ')}: exited ${r.status}: ${r.stderr}`);
  const counts = new Map<string, number>();
  for (const l of r.stdout.split('\n')) {
    if (!l.trim()) continue;
    const id = (JSON.parse(l) as { ruleId?: string }).ruleId ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const rules = /effectiveRuleCount=(\d+),skippedRuleCount=(\d+)/.exec(r.stderr);
  const files = /scannedFileCount=(\d+)/.exec(r.stderr);
  const summary = [rules ? `${rules[1]} rules run, ${rules[2]} off` : '', `${files?.[1] ?? '?'} files scanned`].filter(Boolean).join('; ');
  return { counts, summary };
}
