// Progress on stderr: on a terminal, for a batch that lasts more than a moment (files done / total, rate,
// add-on), cleared at the end; never in a pipe, under CI, with --quiet or --no-progress.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { bin, ptyAvailable, runOnPty, stripAnsi } from './pty.js';
import { progressText, progressWanted, startProgress } from '../src/progress.js';

const ADDONS = 24;
const FILES_PER_ADDON = 5;
const TOTAL = ADDONS * FILES_PER_ADDON;

/** A batch that takes a few seconds: add-ons of a few hundred lines each, every file with one finding. */
function batch(addons = ADDONS): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-progress-'));
  for (let a = 0; a < addons; a++) {
    const d = path.join(dir, 'batch', `addon_${String(a).padStart(3, '0')}`);
    mkdirSync(d, { recursive: true });
    for (let i = 0; i < FILES_PER_ADDON; i++) {
      const helpers = Array.from({ length: 40 }, (_, k) => `def helper_${k}(items):\n    return [v * ${k} for v in items if v]\n\n\n`).join('');
      writeFileSync(path.join(d, i === 0 ? '__init__.py' : `part_${i}.py`), `import bpy\nimport gpu\n\n${helpers}shader = gpu.shader.from_builtin('UNIFORM_COLOR')\n`);
    }
  }
  return dir;
}

const PROGRESS = new RegExp(`(\\d+)/${TOTAL} files · [\\d.]+ files/s · addon_\\d{3}`, 'g');

describe('progress on a terminal', { skip: ptyAvailable() ? false : 'python3 with pty is not here' }, () => {
  const dir = batch();
  const plain = spawnSync(process.execPath, [bin, 'batch'], { cwd: dir, encoding: 'utf8' });

  it('shows files done / total, the rate and the add-on on stderr, then clears the line', () => {
    const r = runOnPty(['batch'], { cwd: dir, stdout: 'pipe' });
    assert.equal(r.code, 0, r.tty);
    const shown = [...stripAnsi(r.tty).matchAll(PROGRESS)].map((m) => Number(m[1]));
    assert.ok(shown.length >= 2, `progress lines: ${JSON.stringify(r.tty.slice(0, 400))}`);
    assert.ok(shown.every((n, i) => i === 0 || n >= shown[i - 1]), 'the count only goes up');
    // The line is erased before the summary, and the cursor is shown again.
    const summary = r.tty.indexOf(`bgsafe: ${TOTAL} files scanned`);
    assert.ok(summary > 0);
    assert.ok(r.tty.slice(0, summary).endsWith('\x1b[?25h\x1b[1G\x1b[0K'), JSON.stringify(r.tty.slice(summary - 80, summary)));
    assert.ok(!r.tty.slice(summary).includes('files/s'), 'nothing of it after the summary starts');
    // stdout (a pipe here) is the diff, exactly as without a terminal.
    assert.equal(r.stdout, plain.stdout);
  });

  it('Ctrl-C (SIGINT) while it shows: the line cleared, the cursor shown again, exit 130, nothing written', () => {
    // A batch that lasts long enough (one thread, four times the files) for the signal to come while the
    // files are still being read: the line shows after half a second, and the signal follows its second
    // drawing (the first is drawn a moment before the spinner takes the signals).
    const big = batch(ADDONS * 4);
    const dry = spawnSync(process.execPath, [bin, '-q', 'batch'], { cwd: big, encoding: 'utf8' }).stdout;
    const r = runOnPty(['--write', '--jobs', '1', 'batch'], { cwd: big, stdout: 'pipe', prompt: 'files/s', keys: ['', 'SIGINT'] });
    assert.equal(r.code, 130, JSON.stringify(r.tty.slice(-300)));
    assert.ok(r.tty.endsWith('\x1b[?25h\x1b[1G\x1b[0K'), JSON.stringify(r.tty.slice(-120)));
    const after = spawnSync(process.execPath, [bin, '-q', 'batch'], { cwd: big, encoding: 'utf8' });
    assert.equal(after.stdout, dry, 'every file as it was');
  });

  it('not with --no-progress, --quiet or CI set', () => {
    for (const [args, env] of [
      [['--no-progress'], {}],
      [['--quiet'], {}],
      [[], { CI: 'true' }],
    ] as Array<[string[], Record<string, string>]>) {
      const r = runOnPty([...args, 'batch'], { cwd: dir, stdout: 'pipe', env });
      assert.equal(r.code, 0, r.tty);
      assert.ok(!r.tty.includes('files/s'), `${args.join(' ')} ${JSON.stringify(env)}`);
      assert.equal(r.stdout, plain.stdout);
    }
  });

  it('never in a pipe: stderr is the summary alone', () => {
    assert.equal(plain.status, 0);
    assert.ok(!plain.stderr.includes('files/s'));
    assert.ok(!plain.stderr.includes('\x1b'));
    assert.ok(plain.stderr.startsWith(`bgsafe: ${TOTAL} files scanned`));
  });
});

describe('progress parts', () => {
  it('progressText', () => {
    assert.equal(progressText({ done: 12, total: 340, addon: 'my_addon' }, 2000), '12/340 files · 6.0 files/s · my_addon');
    assert.equal(progressText({ done: 300, total: 340, addon: 'x' }, 2000), '300/340 files · 150 files/s · x');
    assert.equal(progressText({ done: 0, total: 5, addon: '' }, 0), '0/5 files · 0.0 files/s');
  });

  it('progressWanted: a terminal, not dumb, not CI, not turned off', () => {
    const on = { quiet: false, progress: true, interactive: false };
    assert.equal(progressWanted(on, { isTTY: true }, {}), true);
    assert.equal(progressWanted(on, { isTTY: false }, {}), false);
    assert.equal(progressWanted(on, { isTTY: true }, { TERM: 'dumb' }), false);
    assert.equal(progressWanted(on, { isTTY: true }, { CI: '' }), false);
    assert.equal(progressWanted({ ...on, quiet: true }, { isTTY: true }, {}), false);
    assert.equal(progressWanted({ ...on, progress: false }, { isTTY: true }, {}), false);
    assert.equal(progressWanted({ ...on, interactive: true }, { isTTY: true }, {}), false);
  });

  it('a run shorter than the delay draws nothing', async () => {
    const written: string[] = [];
    const stream = { isTTY: true, columns: 80, write: (s: string) => (written.push(s), true), cursorTo: () => true, clearLine: () => true, moveCursor: () => true } as unknown as NodeJS.WriteStream;
    const p = startProgress(true, stream, 200);
    p.update({ done: 1, total: 2, addon: 'a' });
    await new Promise((r) => setTimeout(r, 20));
    p.stop();
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(written, []);
    const q = startProgress(true, stream, 10);
    await new Promise((r) => setTimeout(r, 60));
    q.update({ done: 2, total: 2, addon: 'a' });
    q.stop();
    assert.ok(written.join('').includes('2/2 files'), JSON.stringify(written));
  });
});
