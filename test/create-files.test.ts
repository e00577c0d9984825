// Fix.createFiles: a fix that needs a new file beside the one it edits (a generated runtime module). The
// dry-run diff shows it as a new file that git apply creates; --write creates it once; an existing file of
// that name is never touched; a second run changes nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { formatDiff } from '../src/reporters/index.js';
import { run } from '../src/runner.js';
import type { Rule } from '../src/types.js';

const RUNTIME = '# generated helper\ndef helper():\n    return 1\n';

const needsHelper: Rule = {
  code: 'BGS990',
  slug: 'test-needs-helper',
  summary: 'test rule that needs a helper module',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: { whatItFinds: '', whyItBreaks: '', example: { before: '', after: '' }, fixSafety: '' },
  messages: { m: 'old_call' },
  prefilter: ['old_call'],
  check(ctx) {
    for (const m of ctx.matches('(call function: (identifier) @f (#eq? @f "old_call"))')) {
      ctx.report({
        messageId: 'm',
        node: m.f,
        fix: {
          safety: 'safe',
          description: 'use the helper',
          edits: [{ start: m.f.startIndex, end: m.f.endIndex, text: 'helper_mod.helper' }],
          createFiles: [{ path: 'helper_mod.py', text: RUNTIME }],
        },
      });
    }
  },
};

function addon(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-create-'));
  mkdirSync(path.join(dir, 'pkg'));
  writeFileSync(path.join(dir, 'pkg', '__init__.py'), 'from . import a, b\n');
  writeFileSync(path.join(dir, 'pkg', 'a.py'), 'x = old_call()\n');
  writeFileSync(path.join(dir, 'pkg', 'b.py'), 'y = old_call()\nz = old_call()\n');
  return dir;
}

describe('fixes that create files', () => {
  it('dry run: one new file in the diff, which git apply creates; nothing written', async () => {
    const dir = addon();
    const report = await run({ paths: ['pkg'], cwd: dir, rules: [needsHelper], config: false });
    const created = report.files.filter((f) => f.created);
    assert.deepEqual(created.map((f) => f.path), ['pkg/helper_mod.py']);
    assert.equal(report.summary.filesCreated, 1);
    assert.equal(existsSync(path.join(dir, 'pkg', 'helper_mod.py')), false);
    const diff = formatDiff(report);
    assert.match(diff, /^--- \/dev\/null\n\+\+\+ b\/pkg\/helper_mod\.py\n@@ -0,0 \+1,3 @@\n/m);
    const git = spawnSync('git', ['apply', '-'], { cwd: dir, input: diff, encoding: 'utf8' });
    assert.equal(git.status, 0, git.stderr);
    assert.equal(readFileSync(path.join(dir, 'pkg', 'helper_mod.py'), 'utf8'), RUNTIME);
  });

  it('--write creates it once, and a second run changes nothing', async () => {
    const dir = addon();
    const first = await run({ paths: ['pkg'], cwd: dir, rules: [needsHelper], config: false, write: true });
    assert.deepEqual(first.errors, []);
    assert.equal(first.summary.filesWritten, 3);
    assert.equal(readFileSync(path.join(dir, 'pkg', 'helper_mod.py'), 'utf8'), RUNTIME);
    assert.equal(readFileSync(path.join(dir, 'pkg', 'b.py'), 'utf8'), 'y = helper_mod.helper()\nz = helper_mod.helper()\n');
    const second = await run({ paths: ['pkg'], cwd: dir, rules: [needsHelper], config: false, write: true });
    assert.equal(second.summary.filesChanged, 0);
    assert.equal(second.summary.filesCreated, 0);
  });

  it('never touches an existing file of that name', async () => {
    const dir = addon();
    writeFileSync(path.join(dir, 'pkg', 'helper_mod.py'), '# mine\n');
    const report = await run({ paths: ['pkg'], cwd: dir, rules: [needsHelper], config: false, write: true });
    assert.equal(report.summary.filesCreated, 0);
    assert.equal(readFileSync(path.join(dir, 'pkg', 'helper_mod.py'), 'utf8'), '# mine\n');
  });
});
