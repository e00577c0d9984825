// `npm run bench`: speed and memory over the Python files Debian's Blender ships
// (/usr/share/blender/scripts), or over the paths given. Reports ratios measured within this one run,
// since the machines are shared and noisy: the prefilter's saving, and the cost of the rules over a bare parse.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { packageRoot } from '../src/version.js';
import { processSource } from '../src/engine.js';
import { decodeSource } from '../src/files.js';
import { parsePython } from '../src/parse.js';
import { run } from '../src/runner.js';
import { allRules } from '../rules/index.js';
import type { Rule } from '../src/types.js';

const paths = process.argv.slice(2);
const target = paths.length > 0 ? paths : ['/usr/share/blender/scripts'];
if (!target.every((p) => existsSync(p))) {
  process.stderr.write(`bench: ${target.join(', ')} not found (install Debian's blender, or name folders of .py files)\n`);
  process.exit(2);
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const files = execFileSync('find', [...target, '-name', '*.py', '-type', 'f']).toString().trim().split('\n');
const texts = files.map((f) => decodeSource(readFileSync(f)).text);
const bytes = texts.reduce((n, t) => n + t.length, 0);

// Warm up the parser and the query cache.
for (const t of texts.slice(0, 20)) processSource('warm.py', t, { rules: allRules, unsafeFixes: false });

let t0 = process.hrtime.bigint();
for (const t of texts) parsePython(t);
const parseOnly = ms(t0);

t0 = process.hrtime.bigint();
for (const [i, t] of texts.entries()) processSource(files[i], t, { rules: allRules, unsafeFixes: false });
const withPrefilter = ms(t0);

const noPrefilter: Rule[] = allRules.map((r) => ({ ...r, prefilter: [''] }));
t0 = process.hrtime.bigint();
for (const [i, t] of texts.entries()) processSource(files[i], t, { rules: noPrefilter, unsafeFixes: false });
const withoutPrefilter = ms(t0);

t0 = process.hrtime.bigint();
const report = await run({ paths: target, config: false });
const inProcess = ms(t0);

// The CLI end to end, each in a fresh process (this process's heap is large by now): worker threads
// against one thread, over the same files.
const cli = path.join(packageRoot, 'bin', 'bgsafe.js');
const timeCli = (extra: string[]): number => {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, '--quiet', '--no-config', ...extra, ...target], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`bgsafe exited ${r.status}`);
  return ms(t);
};
const endToEnd = timeCli([]);
const endToEndOneThread = timeCli(['--jobs', '1']);

// Per rule: the time of its check() alone, over the files its prefilter lets through.
const perRule = new Map<string, { ms: number; files: number }>();
for (const [i, text] of texts.entries()) {
  for (const rule of allRules) {
    if (!rule.prefilter.some((p) => text.includes(p))) continue;
    const t = process.hrtime.bigint();
    processSource(files[i], text, { rules: [rule], unsafeFixes: false });
    const entry = perRule.get(rule.code) ?? { ms: 0, files: 0 };
    entry.ms += ms(t);
    entry.files++;
    perRule.set(rule.code, entry);
  }
}

const rssMb = process.resourceUsage().maxRSS / 1024;
const line = (k: string, v: string): void => void process.stdout.write(`${k.padEnd(44)} ${v}\n`);
line('files / characters', `${files.length} / ${(bytes / 1e6).toFixed(1)} M`);
line('parse only (tree-sitter)', `${parseOnly.toFixed(0)} ms`);
line('all rules, with prefilter', `${withPrefilter.toFixed(0)} ms (${(files.length / (withPrefilter / 1000)).toFixed(0)} files/s)`);
line('all rules, every file parsed (no prefilter)', `${withoutPrefilter.toFixed(0)} ms`);
line('run() in this process', `${inProcess.toFixed(0)} ms, ${report.summary.findings} findings`);
line('bgsafe CLI, fresh process, worker threads', `${endToEnd.toFixed(0)} ms`);
line('bgsafe CLI, fresh process, --jobs 1', `${endToEndOneThread.toFixed(0)} ms`);
line('ratio: one thread / worker threads', `${(endToEndOneThread / endToEnd).toFixed(2)}x on ${availableParallelism()} cores`);
line('ratio: no prefilter / prefilter', `${(withoutPrefilter / withPrefilter).toFixed(2)}x`);
line('ratio: rules without prefilter / parse only', `${(withoutPrefilter / parseOnly).toFixed(2)}x`);
line('peak RSS', `${rssMb.toFixed(0)} MiB`);
for (const [code, e] of [...perRule].sort((a, b) => b[1].ms - a[1].ms)) {
  line(`  ${code} (parse + check + fix loop)`, `${e.ms.toFixed(0)} ms over ${e.files} files (${(e.ms / e.files).toFixed(1)} ms/file)`);
}
