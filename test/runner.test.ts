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
