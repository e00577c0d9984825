// --interactive (-i): each fix's hunk, a key decides, and only the accepted fixes are written. Through the real
// binary on a pseudo-terminal (test/pty.ts), and the fix loop's review hook through its API.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers.js';
import { bin, ptyAvailable, runOnPty, stripAnsi } from './pty.js';
import { carryOffset, fixSteps, processSource } from '../src/fixes.js';
import { allRules } from '../rules/index.js';
import type { Finding, Rule } from '../src/types.js';

const PROMPT = 'Apply this fix\\?';
const example = path.join(repoRoot, 'fixtures', 'addons', 'example_addon');

/** Two module-level shaders and no `import bpy`: each BGS001 fix adds the import at one place, so the two
 *  fixes overlap and the second waits for pass 2 of the fix loop. */
const TWO_SHADERS = 'import gpu\n\nline_shader = gpu.shader.from_builtin("UNIFORM_COLOR")\n\n\ndef draw():\n    pass\n\n\nimage_shader = gpu.shader.from_builtin("IMAGE")\n';
const LINE_FIXED = 'line_shader = gpu.shader.from_builtin("UNIFORM_COLOR") if not bpy.app.background else None';
const IMAGE_FIXED = 'image_shader = gpu.shader.from_builtin("IMAGE") if not bpy.app.background else None';

function tree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-i-'));
  cpSync(example, path.join(dir, 'example_addon'), { recursive: true });
  mkdirSync(path.join(dir, 'overlay'));
  writeFileSync(path.join(dir, 'overlay', 'shaders.py'), TWO_SHADERS);
  return dir;
}

const read = (dir: string, f: string): string => readFileSync(path.join(dir, f), 'utf8');
const prompts = (tty: string): number => (tty.match(new RegExp(PROMPT, 'g')) ?? []).length;

describe('--interactive through a pseudo-terminal', { skip: ptyAvailable() ? false : 'python3 with pty is not here' }, () => {
  it('shows each hunk, writes only the accepted fix, and does not ask again for the skipped one', () => {
    const dir = tree();
    const before = read(dir, 'example_addon/__init__.py');
    // BGS001 first (line 22), then BGS002 (line 42): skip the first, accept the second.
    const r = runOnPty(['-i', 'example_addon'], { cwd: dir, prompt: PROMPT, keys: ['n', 'y'] });
    assert.equal(r.timedOut, false, r.tty);
    assert.equal(r.code, 0, r.tty);
    assert.equal(prompts(r.tty), 2, 'two fixes, two questions: the skipped one is not offered again in pass 2');
    const tty = stripAnsi(r.tty);
    assert.match(tty, /example_addon\/__init__\.py:22:10: BGS001 .*\n {2}fix \(safe\): .*\n@@ -19,7 \+19,7 @@\n/);
    assert.match(tty, /-shader = gpu\.shader\.from_builtin\('UNIFORM_COLOR'\)\n\+shader = gpu\.shader\.from_builtin\('UNIFORM_COLOR'\) if not bpy\.app\.background else None\n/);
    assert.match(tty, /\[a\]ll BGS001 fixes, \[q\]uit: no\n/);
    assert.match(tty, /\[a\]ll BGS002 fixes, \[q\]uit: yes\n/);
    assert.match(tty, /review: 1 fix accepted, 1 skipped/);
    const after = read(dir, 'example_addon/__init__.py');
    assert.ok(after.includes("shader = gpu.shader.from_builtin('UNIFORM_COLOR')\n"), 'the skipped fix is not written');
    assert.ok(after.includes('    if kc:\n        km = kc.keymaps.new('), 'the accepted fix is written');
    // What was written is exactly what --select BGS002 --write writes.
    const other = tree();
    assert.equal(spawnSync(process.execPath, [bin, '--write', '--select', 'BGS002', 'example_addon'], { cwd: other }).status, 0);
    assert.equal(after, read(other, 'example_addon/__init__.py'));
    assert.notEqual(after, before);
  });

  it('a fix skipped in pass 1 stays skipped after an earlier fix moved it', () => {
    // Accept BGS001 (it lengthens line 22), skip BGS002: in pass 2 BGS002 starts elsewhere, and is still known.
    const dir = tree();
    const r = runOnPty(['-i', 'example_addon'], { cwd: dir, prompt: PROMPT, keys: ['y', 'n'] });
    assert.equal(r.code, 0, r.tty);
    assert.equal(r.timedOut, false, r.tty);
    assert.equal(prompts(r.tty), 2);
    const after = read(dir, 'example_addon/__init__.py');
    assert.ok(after.includes("from_builtin('UNIFORM_COLOR') if not bpy.app.background else None"));
    assert.ok(!after.includes('if kc:'));
  });

  it('overlapping fixes: skipping the first offers the one it kept waiting; the skipped one is not asked again', () => {
    const dir = tree();
    const r = runOnPty(['-i', 'overlay/shaders.py'], { cwd: dir, prompt: PROMPT, keys: ['n', 'y'] });
    assert.equal(r.code, 0, r.tty);
    assert.equal(r.timedOut, false, r.tty);
    assert.equal(prompts(r.tty), 2);
    const after = read(dir, 'overlay/shaders.py');
    assert.ok(after.includes(IMAGE_FIXED) && !after.includes(LINE_FIXED), after);
    assert.ok(after.startsWith('import gpu\nimport bpy\n'), 'the accepted fix brings its import');
  });

  it('overlapping fixes: accepting the first asks for the second in pass 2, on the text the first left', () => {
    const dir = tree();
    const r = runOnPty(['-i', '--color', 'never', 'overlay/shaders.py'], { cwd: dir, prompt: PROMPT, keys: ['y', 'n'] });
    assert.equal(r.code, 0, r.tty);
    assert.equal(prompts(r.tty), 2);
    // The second hunk is against the text after pass 1: `import bpy` is there already, so it adds none.
    const second = r.tty.slice(r.tty.indexOf('overlay/shaders.py:11:'));
    assert.ok(second.length > 0 && !second.includes('+import bpy'), r.tty);
    const after = read(dir, 'overlay/shaders.py');
    assert.ok(after.includes(LINE_FIXED) && !after.includes(IMAGE_FIXED), after);
  });

  it('a: applies every later fix of that rule without asking', () => {
    const dir = tree();
    const r = runOnPty(['-i', 'overlay/shaders.py'], { cwd: dir, prompt: PROMPT, keys: ['a'] });
    assert.equal(r.code, 0, r.tty);
    assert.equal(prompts(r.tty), 1);
    const after = read(dir, 'overlay/shaders.py');
    const other = tree();
    spawnSync(process.execPath, [bin, '--write', 'overlay/shaders.py'], { cwd: other });
    assert.equal(after, read(other, 'overlay/shaders.py'), 'the same as --write');
  });

  it('q: stops asking, writes what was accepted before', () => {
    const dir = tree();
    const r = runOnPty(['-i', 'example_addon', 'overlay'], { cwd: dir, prompt: PROMPT, keys: ['y', 'q'] });
    assert.equal(r.code, 0, r.tty);
    assert.equal(prompts(r.tty), 2, 'nothing is asked after q');
    assert.match(stripAnsi(r.tty), /review: 1 fix accepted, 3 skipped/);
    assert.ok(read(dir, 'example_addon/__init__.py').includes('if not bpy.app.background else None'));
    assert.ok(!read(dir, 'example_addon/__init__.py').includes('if kc:'));
    assert.equal(read(dir, 'overlay/shaders.py'), TWO_SHADERS);
  });

  it('Ctrl-C stops with nothing written (exit 130); other keys ask again', () => {
    const dir = tree();
    const before = read(dir, 'example_addon/__init__.py');
    const r = runOnPty(['-i', 'example_addon'], { cwd: dir, prompt: PROMPT, keys: ['y', 'x\u0003'] });
    assert.equal(r.code, 130, r.tty);
    assert.match(r.tty, /y: apply this fix; n: skip it/, 'an unknown key shows what the keys do');
    assert.match(r.tty, /review interrupted; nothing was written/);
    assert.equal(read(dir, 'example_addon/__init__.py'), before);
  });

  it('--check after a review: exit 1 while a skipped fix is left', () => {
    const dir = tree();
    const r = runOnPty(['-i', '--check', 'overlay/shaders.py'], { cwd: dir, prompt: PROMPT, keys: ['n', 'n'] });
    assert.equal(r.code, 1, r.tty);
    assert.equal(read(dir, 'overlay/shaders.py'), TWO_SHADERS);
  });
});

describe('--interactive without a terminal', () => {
  it('is a usage error (exit 2), nothing written', () => {
    const dir = tree();
    const r = spawnSync(process.execPath, [bin, '-i', 'example_addon'], { cwd: dir, encoding: 'utf8', input: 'y\ny\n' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--interactive needs a terminal/);
    assert.equal(read(dir, 'example_addon/__init__.py'), readFileSync(path.join(example, '__init__.py'), 'utf8'));
  });
});

describe('the fix loop offers each pass and applies what is accepted', () => {
  const rule = (code: string, at: (src: string) => number[], text: string): Rule => ({
    ...allRules[0],
    code,
    slug: code.toLowerCase(),
    prefilter: [''],
    prefilterText: undefined,
    messages: { m: 'm' },
    fixKind: 'safe',
    check: (ctx) => {
      for (const s of at(ctx.source)) ctx.report({ messageId: 'm', start: s, end: s + 3, fix: { safety: 'safe', description: 'd', edits: [{ start: s, end: s + 3, text }] } });
    },
  });
  const all = (re: RegExp) => (src: string) => [...src.matchAll(re)].map((m) => m.index!);

  function review(source: string, rules: Rule[], decide: (f: Finding, pass: number) => boolean) {
    const steps = fixSteps('t.py', source, { rules, unsafeFixes: false });
    const offers: Array<{ pass: number; codes: string[] }> = [];
    let pass = 0;
    let step = steps.next();
    while (!step.done) {
      pass++;
      offers.push({ pass, codes: step.value.fixes.map((f) => `${f.code}@${f.start}`) });
      step = steps.next(step.value.fixes.filter((f) => decide(f, pass)));
    }
    return { result: step.value, offers };
  }

  it('no answer applies everything, as processSource does', () => {
    const rules = [rule('BGS981', all(/foo/g), 'longer_name')];
    const steps = fixSteps('t.py', 'foo\nfoo\n', { rules, unsafeFixes: false });
    let step = steps.next();
    while (!step.done) step = steps.next();
    assert.deepEqual(step.value, processSource('t.py', 'foo\nfoo\n', { rules, unsafeFixes: false }));
  });

  it('a declined fix is not offered again after an accepted one before it grew the text', () => {
    // BGS982 turns `foo` into a longer name; BGS983 `bar` into `baz`. Accept every BGS982, decline BGS983.
    const rules = [rule('BGS982', all(/\bfoo\b/g), 'foo_foo_foo'), rule('BGS983', all(/bar/g), 'baz')];
    const { result, offers } = review('foo = bar\n', rules, (f) => f.code === 'BGS982');
    assert.equal(result.output, 'foo_foo_foo = bar\n');
    // BGS983's `bar`, at offset 14 instead of 6 once BGS982's fix is in, is not offered again in pass 2.
    assert.equal(offers.filter((o) => o.codes.some((c) => c.startsWith('BGS983'))).length, 1, JSON.stringify(offers));
    assert.equal(result.findings.find((f) => f.code === 'BGS983')?.fixStatus, 'skipped');
  });

  it('declining everything leaves the file as it was, every fix skipped', () => {
    const rules = [rule('BGS984', all(/foo/g), 'bar')];
    const { result, offers } = review('foo\nfoo\n', rules, () => false);
    assert.equal(result.changed, false);
    assert.equal(result.output, 'foo\nfoo\n');
    assert.deepEqual(result.findings.map((f) => f.fixStatus), ['skipped', 'skipped']);
    assert.deepEqual(offers.map((o) => o.codes), [['BGS984@0', 'BGS984@4']]);
  });

  it('carryOffset: edits before move an offset, an edit over it loses it, an insertion at it lands before', () => {
    assert.equal(carryOffset(10, [{ start: 0, end: 2, text: 'abcd' }]), 12);
    assert.equal(carryOffset(10, [{ start: 12, end: 14, text: '' }]), 10);
    assert.equal(carryOffset(10, [{ start: 8, end: 12, text: 'x' }]), undefined);
    assert.equal(carryOffset(10, [{ start: 10, end: 10, text: 'ab' }]), 12);
    assert.equal(carryOffset(10, [{ start: 10, end: 11, text: 'ab' }]), undefined);
  });
});
