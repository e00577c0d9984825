// The programmatic API: a large batch runs on worker threads and gives exactly what one thread gives.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PARALLEL_MIN_FILES } from '../src/pool.js';
import { formatDiff } from '../src/reporters/index.js';
import { run } from '../src/runner.js';
import { repoRoot } from './helpers.js';

describe('run()', () => {
  it('worker threads and one thread give the same report', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-runner-'));
    for (let i = 0; i < PARALLEL_MIN_FILES + 20; i++) {
      cpSync(path.join(repoRoot, 'fixtures', 'addons', 'example_addon'), path.join(dir, `addon_${i}`), { recursive: true });
    }
    writeFileSync(path.join(dir, 'broken.py'), 'import gpu\nx = (\n');
    const one = await run({ paths: ['.'], cwd: dir, jobs: 1 });
    const many = await run({ paths: ['.'], cwd: dir, jobs: 2 });
    assert.equal(one.summary.filesScanned, 2 * (PARALLEL_MIN_FILES + 20) + 1);
    assert.ok(one.summary.findings > 0);
    assert.deepEqual(many.summary, one.summary);
    assert.deepEqual(many.errors, one.errors);
    assert.equal(formatDiff(many), formatDiff(one));
    assert.deepEqual(
      many.files.map((f) => [f.path, f.findings.map((x) => `${x.code}:${x.start}:${x.fixStatus}`)]),
      one.files.map((f) => [f.path, f.findings.map((x) => `${x.code}:${x.start}:${x.fixStatus}`)]),
    );
  });
});

describe('a module or subpackage named alone belongs to the add-on around it', () => {
  it('takes the package as its add-on, and the versions its __init__.py declares (what pre-commit passes)', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const nodePath = await import('node:path');
    const root = mkdtempSync(nodePath.join(tmpdir(), 'bgsafe-module-alone-'));
    try {
      mkdirSync(nodePath.join(root, 'relay', 'ops'), { recursive: true });
      writeFileSync(nodePath.join(root, 'relay', '__init__.py'), 'bl_info = {"name": "Relay", "blender": (3, 4, 0)}\n');
      writeFileSync(nodePath.join(root, 'relay', 'ops', '__init__.py'), '');
      writeFileSync(nodePath.join(root, 'relay', 'ops', 'send.py'), 'import bpy\n');
      writeFileSync(nodePath.join(root, 'loose.py'), 'import bpy\n');
      for (const named of ['relay/ops/send.py', 'relay/ops', 'relay/ops/__init__.py']) {
        const r = await run({ paths: [named], cwd: root, config: false });
        assert.deepEqual(r.addons.map((a) => [a.name, a.root, a.targetBlender.min, a.targetBlender.source]), [['relay', 'relay', '3.4', 'bl_info']], named);
      }
      // --stdin-filename of a module not saved yet: the same add-on as a saved one.
      const { decodeSource } = await import('../src/read.js');
      const unsaved = await run({ paths: ['relay/ops/draft.py'], cwd: root, config: false, stdin: decodeSource(Buffer.from('import bpy\n')) });
      assert.deepEqual(unsaved.addons.map((a) => [a.name, a.root, a.targetBlender.min]), [['relay', 'relay', '3.4']]);
      const loose = await run({ paths: ['loose.py'], cwd: root, config: false });
      assert.deepEqual(loose.addons.map((a) => a.name), ['loose']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
