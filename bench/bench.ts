// `npm run bench [-- [--runs N] [--no-batch] [--batch-sizes 2500,5000] [paths…]]`: speed and memory of
// bgsafe over the add-ons Debian's Blender ships (/usr/share/blender/scripts/addons), or over the paths
// given, against ast-grep over the same files. The machines are shared and noisy, so every figure is a
// median of paired rounds within this one run, and the ratios are of figures measured side by side.
// The targets are printed next to the figures; they are goals for the bench, not a test.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { decodeSource } from '../src/files.js';
import { allRules } from '../rules/index.js';
import { astGrepMatches, astGrepVersion, contenders, ONE_PATTERN, pairedRounds } from './compare.js';
import { DEFAULT_SIZES, FLAT_RSS, LINEAR_SPREAD, runBatches } from './batch.js';
import { measureInProcess } from './in-process.js';
import { heading, line, maxOrNull, mb, median, min, rssMethod, target } from './measure.js';

const TARGET_RATIO = 1.0;
const TARGET_RSS_MB = 150;
const TARGET_SPEEDUP = 1.7;

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '5' },
    'no-batch': { type: 'boolean', default: false },
    'batch-sizes': { type: 'string', default: DEFAULT_SIZES.join(',') },
  },
});
const runs = Math.max(1, Number(opts.runs) || 5);
const targetPaths = positionals.length > 0 ? positionals : ['/usr/share/blender/scripts/addons'];
if (!targetPaths.every((p) => existsSync(p))) {
  process.stderr.write(`bench: ${targetPaths.join(', ')} not found (install Debian's blender, or name folders of .py files)\n`);
  process.exit(2);
}
const files = execFileSync('find', [...targetPaths, '-name', '*.py', '-type', 'f'], { maxBuffer: 1 << 28 }).toString().trim().split('\n').filter(Boolean);
const texts = files.map((f) => decodeSource(readFileSync(f)).text);

heading('setup');
line('target', targetPaths.join(' '));
line('files / characters', `${files.length} / ${(texts.reduce((n, t) => n + t.length, 0) / 1e6).toFixed(1)} M`);
line('cores', `${availableParallelism()}`);
line('peak RSS measured with', rssMethod());
line('ast-grep', astGrepVersion());
line('bgsafe default catalogue', `${allRules.filter((r) => r.defaultEnabled).length} rules (of ${allRules.length})`);

// 1–3: the CLIs, fresh processes, paired rounds.
const list = contenders(targetPaths);
const catalogue = astGrepMatches(list.find((c) => c.key === 'scan')!.cmd);
const onePattern = astGrepMatches(list.find((c) => c.key === 'run')!.cmd);
line('ast-grep catalogue (bench/ast-grep)', `${catalogue.summary}; ${sum(catalogue.counts)} matches`);
line(`ast-grep one pattern ${ONE_PATTERN}`, `${onePattern.summary}; ${sum(onePattern.counts)} matches`);
const samples = pairedRounds(list, runs);

heading(`fresh processes, ${runs} paired rounds after a warm-up (stdout to /dev/null)`);
const med = new Map<string, number>();
for (const c of list) {
  const s = samples.get(c.key)!;
  med.set(c.key, median(s.map((x) => x.ms)));
  const rss = maxOrNull(s.map((x) => x.rssKb));
  line(c.label, `median ${ms(med.get(c.key)!)}, min ${ms(min(s.map((x) => x.ms)))}, peak RSS ${mb(rss)}`);
}
const ratio = (a: string, b: string): string => {
  const paired = median(samples.get(a)!.map((x, i) => x.ms / samples.get(b)![i].ms));
  return `${(med.get(a)! / med.get(b)!).toFixed(2)}x (median of per-round ratios ${paired.toFixed(2)}x)`;
};
line('ratio: bgsafe / ast-grep catalogue', ratio('bgsafe', 'scan'));
line('ratio: bgsafe / ast-grep one pattern', ratio('bgsafe', 'run'));
line(`ratio: --jobs 1 / default jobs (${availableParallelism()} cores)`, ratio('bgsafe1', 'bgsafe'));
const bgsafeRss = maxOrNull(samples.get('bgsafe')!.map((x) => x.rssKb));
const vsCatalogue = med.get('bgsafe')! / med.get('scan')!;
const speedUp = med.get('bgsafe1')! / med.get('bgsafe')!;
target('bgsafe / ast-grep catalogue', vsCatalogue <= TARGET_RATIO, `${vsCatalogue.toFixed(2)}x`, `<= ${TARGET_RATIO.toFixed(1)}x`);
target('peak RSS, bgsafe default jobs', bgsafeRss === null ? null : (bgsafeRss * 1024) / 1e6 <= TARGET_RSS_MB, mb(bgsafeRss), `<= ${TARGET_RSS_MB} MB`);
target('speed-up from one to two workers', speedUp >= TARGET_SPEEDUP, `${speedUp.toFixed(2)}x`, `>= ${TARGET_SPEEDUP}x`);

// 5: in this process, per rule.
heading('in this process (src/engine.js processSource)');
const inProc = measureInProcess(files, texts);
line('parse only (tree-sitter)', ms(inProc.parseOnly));
line('default rules, with prefilter', `${ms(inProc.withPrefilter)} (${(files.length / (inProc.withPrefilter / 1000)).toFixed(0)} files/s)`);
line('default rules, every file parsed (no prefilter)', ms(inProc.withoutPrefilter));
line('ratio: no prefilter / prefilter', `${(inProc.withoutPrefilter / inProc.withPrefilter).toFixed(2)}x`);
line('ratio: rules without prefilter / parse only', `${(inProc.withoutPrefilter / inProc.parseOnly).toFixed(2)}x`);
for (const e of [...inProc.perRule].sort((a, b) => b.ms - a.ms)) {
  const off = e.rule.defaultEnabled ? '' : ', off by default';
  const perFile = e.files > 0 ? (e.ms / e.files).toFixed(1) : '0.0';
  line(`  ${e.rule.code} (parse + check + fix loop)`,
    `${ms(e.ms)} over ${e.files} files (${perFile} ms/file); ${e.findings} findings, ast-grep rule ${catalogue.counts.get(e.rule.code) ?? 0} matches${off}`);
}

// 4: linearity over synthetic batches.
if (!opts['no-batch']) {
  const sizes = opts['batch-sizes'].split(',').map(Number).filter((n) => n > 0);
  const rows = runBatches(targetPaths, files, sizes);
  heading('synthetic batches (bgsafe CLI, default jobs, one run each)');
  for (const r of rows) {
    line(`  ${r.size} (${r.files} files)`, `${ms(r.sample.ms)}, ${(r.sample.ms / r.files).toFixed(2)} ms/file, peak RSS ${mb(r.sample.rssKb)}`);
  }
  if (rows.length >= 2) {
    const perFile = rows.map((r) => r.sample.ms / r.files);
    const spread = Math.max(...perFile) / Math.min(...perFile);
    const first = rows[0].sample.rssKb;
    const last = rows[rows.length - 1].sample.rssKb;
    const growth = first && last ? last / first : null;
    target('time linear in files (max/min ms per file)', spread <= LINEAR_SPREAD, `${spread.toFixed(2)}x`, `<= ${LINEAR_SPREAD}x`);
    target(`memory flat (RSS ${rows[rows.length - 1].size} / ${rows[0].size})`, growth === null ? null : growth <= FLAT_RSS,
      growth === null ? 'n/a' : `${growth.toFixed(2)}x`, `<= ${FLAT_RSS}x`);
  }
} else {
  heading('synthetic batches: skipped (--no-batch)');
}

function ms(x: number): string {
  return `${x.toFixed(0)} ms`;
}

function sum(counts: Map<string, number>): number {
  return [...counts.values()].reduce((a, b) => a + b, 0);
}
