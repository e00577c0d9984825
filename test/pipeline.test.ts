// The pipeline's seams: which module loads which (a worker loads no runner, the pool no engine), how the
// pool cuts a batch (whole add-ons, files in order), the fix loop's pauses, and what the report keeps.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyseFile } from '../src/analyse.js';
import { fixSteps, processSource } from '../src/fixes.js';
import { unitsOf, type PoolJob } from '../src/pool.js';
import { run } from '../src/runner.js';
import { allRules } from '../rules/index.js';
import { repoRoot } from './helpers.js';
import { DEFAULT_TARGET } from '../src/versions.js';

/** The local modules a source file imports (type-only imports left out: they load nothing). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(repoRoot, 'src', file), 'utf8');
  return [...text.matchAll(/^import (?!type )[^;]*?from '(\.{1,2}\/[^']+)';/gm)].map((m) => m[1]);
}

const GPU = "import bpy, gpu\nshader = gpu.shader.from_builtin('UNIFORM_COLOR')\n";

describe('pipeline', () => {
  it('the pool loads only the protocol, a worker only what analysing a file needs', () => {
    assert.deepEqual(importsOf('pool.ts'), []);
    assert.deepEqual(importsOf('worker.ts').sort(), ['../rules/index.js', './analyse.js']);
    for (const m of ['analyse.ts', 'fixes.ts', 'read.ts', 'findings.ts', 'parse.ts']) {
      for (const dep of importsOf(m)) assert.ok(!/runner|pool|write|report|plan/.test(dep), `${m} imports ${dep}`);
    }
  });

  it('the pool sends whole add-ons, largest first, their files in order and in small messages', () => {
    const jobs: PoolJob[] = [];
    const add = (group: string, size: number): void => {
      const index = jobs.length;
      jobs.push({ index, group, size, task: { absPath: `/x/${index}.py`, display: `${index}.py`, ruleCodes: [], unsafe: false, target: DEFAULT_TARGET } });
    };
    add('small', 10);
    for (let i = 0; i < 20; i++) add('big', 1000);
    add('small', 10);
    add('one', 5000);
    const units = unitsOf(jobs);
    assert.deepEqual(units.map((u) => u.size), [20_000, 5000, 20]);
    const indexes = units.map((u) => u.messages.flatMap((m) => m.tasks.map((t) => t.index)));
    assert.deepEqual(indexes, [[...Array(20).keys()].map((i) => i + 1), [22], [0, 21]]);
    for (const u of units) for (const m of u.messages) assert.ok(m.tasks.length <= 8);
  });

  it('the fix loop pauses between passes, and gives what processSource gives', () => {
    // Two fixes at one place: the second waits for a second pass.
    const rule = { ...allRules[0], code: 'BGS991', slug: 'x', prefilter: ['foo'], messages: { m: 'm' }, fixKind: 'safe' as const };
    rule.check = (ctx) => {
      const at = ctx.source.indexOf('foo');
      if (at >= 0) ctx.report({ messageId: 'm', start: at, end: at + 3, fix: { safety: 'safe', description: 'd', edits: [{ start: at, end: at + 3, text: 'bar' }] } });
    };
    const source = 'foo\nfoo\n';
    const options = { rules: [rule], unsafeFixes: false };
    const steps = fixSteps('a.py', source, options);
    let pauses = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) pauses++;
    assert.equal(step.value.output, 'bar\nbar\n');
    assert.ok(pauses >= 2, `paused ${pauses} times`);
    assert.deepEqual(step.value, processSource('a.py', source, options));
  });

  it('an analysis sends back no text nobody prints', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-pipeline-'));
    const rules = allRules.filter((r) => r.defaultEnabled);
    const known = new Set(allRules.map((r) => r.code));
    const analyse = async (name: string, text: string) => {
      writeFileSync(path.join(dir, name), text);
      return analyseFile({ absPath: path.join(dir, name), display: name, ruleCodes: rules.map((r) => r.code), unsafe: false, target: DEFAULT_TARGET }, rules, known);
    };
    const quiet = await analyse('quiet.py', 'import bpy\nx = 1\n');
    assert.equal(quiet.decoded?.text, '');
    assert.equal(quiet.result?.output, '');
    const fixed = await analyse('fixed.py', GPU);
    assert.equal(fixed.decoded?.text, GPU);
    assert.notEqual(fixed.result?.output, '');
  });

  it("the report holds no text for a file with no change and no finding, and every other file's texts", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-pipeline-'));
    writeFileSync(path.join(dir, 'quiet.py'), 'import bpy\nx = 1\n');
    writeFileSync(path.join(dir, 'fixed.py'), GPU);
    writeFileSync(path.join(dir, 'unfixed.py'), `${GPU}x = (\n`);
    const report = await run({ paths: ['.'], cwd: dir, config: false });
    const byPath = new Map(report.files.map((f) => [f.path, f]));
    assert.deepEqual([byPath.get('quiet.py')?.original, byPath.get('quiet.py')?.output], ['', '']);
    assert.equal(byPath.get('fixed.py')?.original, GPU);
    assert.ok(byPath.get('fixed.py')?.changed);
    const unfixed = byPath.get('unfixed.py')!;
    assert.ok(!unfixed.changed && unfixed.findings.length > 0);
    assert.equal(unfixed.original, `${GPU}x = (\n`);
    assert.equal(unfixed.output, unfixed.original);
  });
});
