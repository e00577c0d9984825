// .pre-commit-hooks.yaml: it parses (and passes pre-commit's own manifest check where pre-commit is here),
// and each hook's entry, run through the real binary the way pre-commit runs it (the staged Python files
// appended), does what the hook says. With BGSAFE_PRECOMMIT_E2E=1 and pre-commit on PATH, pre-commit itself
// installs the hooks from this checkout and runs them (about two minutes: npm install, tree-sitter build).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers.js';
import { bin } from './pty.js';

const manifest = path.join(repoRoot, '.pre-commit-hooks.yaml');

interface Hook {
  id: string;
  name: string;
  entry: string;
  language: string;
  types?: string[];
  require_serial?: boolean;
}

/** The manifest as JSON, through PyYAML (python3-yaml); null where PyYAML is not installed. */
function loadManifest(): Hook[] | null {
  const r = spawnSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', manifest], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return JSON.parse(r.stdout) as Hook[];
}

const hasYaml = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;
const hasPreCommit = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' }).status === 0;

/** The hooks as written, read without PyYAML when it is not here: `- id:` starts a hook, `key: value` lines. */
function hooksFromText(): Hook[] {
  const hooks: Array<Record<string, string>> = [];
  for (const line of readFileSync(manifest, 'utf8').split('\n')) {
    const m = /^(- | {2})([a-z_]+): (.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '- ') hooks.push({});
    hooks[hooks.length - 1][m[2]] = m[3];
  }
  return hooks as unknown as Hook[];
}

function repo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-precommit-'));
  cpSync(path.join(repoRoot, 'fixtures', 'addons', 'example_addon'), path.join(dir, 'example_addon'), { recursive: true });
  for (const args of [['init', '-q'], ['add', '-A'], ['-c', 'user.email=t@example.org', '-c', 'user.name=t', 'commit', '-qm', 'add-on']]) spawnSync('git', args, { cwd: dir });
  return dir;
}

/** A hook's entry as pre-commit runs it: its words, then the file names; `bgsafe` is this checkout's binary. */
function runEntry(hook: Hook, files: string[], cwd: string) {
  const [cmd, ...args] = hook.entry.split(/\s+/);
  assert.equal(cmd, 'bgsafe');
  const r = spawnSync(process.execPath, [bin, ...args, ...files], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FILES = ['example_addon/__init__.py', 'example_addon/drawing.py'];

describe('.pre-commit-hooks.yaml', () => {
  it('parses: a bgsafe check hook and a bgsafe-fix hook, node, Python files', { skip: hasYaml ? false : 'PyYAML (python3-yaml) is not installed' }, () => {
    const hooks = loadManifest()!;
    assert.ok(Array.isArray(hooks));
    assert.deepEqual(hooks.map((h) => h.id), ['bgsafe', 'bgsafe-fix']);
    for (const h of hooks) {
      for (const key of ['id', 'name', 'entry', 'language'] as const) assert.equal(typeof h[key], 'string', `${h.id}.${key}`);
      assert.equal(h.language, 'node');
      assert.deepEqual(h.types, ['python']);
      assert.match(h.entry, /^bgsafe /);
    }
    assert.equal(hooks[1].require_serial, true, 'fixes of one add-on may create one file: not in parallel');
    assert.deepEqual(hooksFromText().map((h) => [h.id, h.entry]), hooks.map((h) => [h.id, h.entry]));
  });

  it("passes pre-commit's own manifest check", { skip: hasPreCommit ? false : 'pre-commit is not installed' }, () => {
    const r = spawnSync('pre-commit', ['validate-manifest', manifest], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // It does check: a hook without an entry fails.
    const bad = path.join(mkdtempSync(path.join(tmpdir(), 'bgsafe-manifest-')), '.pre-commit-hooks.yaml');
    writeFileSync(bad, '- id: bgsafe\n  name: bgsafe\n  language: node\n');
    assert.equal(spawnSync('pre-commit', ['validate-manifest', bad], { encoding: 'utf8' }).status, 1);
  });

  it('bgsafe: fails (exit 1) listing the findings, changes nothing; passes once fixed', () => {
    const [check, fix] = hasYaml ? loadManifest()! : hooksFromText();
    const dir = repo();
    const r = runEntry(check, FILES, dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^example_addon\/__init__\.py:22:10: BGS001 .*\[\*\]$/m);
    assert.match(r.stdout, /^example_addon\/__init__\.py:42:10: BGS002 /m);
    assert.equal(spawnSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' }).stdout, '');
    const fixed = runEntry(fix, FILES, dir);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal(runEntry(check, FILES, dir).code, 0);
  });

  it('bgsafe-fix: writes the fixes (pre-commit then fails the commit on the changed files); exit 0 when none is left', () => {
    const [, fix] = hasYaml ? loadManifest()! : hooksFromText();
    const dir = repo();
    const r = runEntry(fix, FILES, dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /wrote example_addon\/__init__\.py \(2 fixes\)/);
    assert.equal(spawnSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' }).stdout, ' M example_addon/__init__.py\n');
    // A second run has nothing to do.
    const again = runEntry(fix, FILES, dir);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /0 written/);
  });

  it('bgsafe-fix: exit 1 while a finding is left without an applied fix (an unsafe one, not opted in)', () => {
    const [, fix] = hasYaml ? loadManifest()! : hooksFromText();
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-precommit-'));
    // The fixture's own pyproject.toml opts in to BGS003's unsafe fix; without it the fix is only offered.
    const src = path.join(repoRoot, 'fixtures', 'addons', 'restricted_context_register', '__init__.py');
    mkdirSync(path.join(dir, 'scene_setup'));
    cpSync(src, path.join(dir, 'scene_setup', '__init__.py'));
    const r = runEntry(fix, ['scene_setup/__init__.py'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /BGS003 .*\[unsafe fix: --unsafe-fixes\]/);
    assert.equal(readFileSync(path.join(dir, 'scene_setup', '__init__.py'), 'utf8'), readFileSync(src, 'utf8'));
  });

  it('npm pack prints only the tarball name, which is what pre-commit installs from (.npmrc)', () => {
    // Measured with npm 11.19.1 and pre-commit 3.0.4: without foreground-scripts=false, `npm pack` prints the
    // prepare script's banner on stdout, pre-commit takes it as the file name, and installing the hooks fails.
    assert.match(readFileSync(path.join(repoRoot, '.npmrc'), 'utf8'), /^foreground-scripts=false$/m);
  });

  it(
    'pre-commit installs the hooks from this checkout (its HEAD) and runs them',
    { skip: hasPreCommit && process.env.BGSAFE_PRECOMMIT_E2E === '1' ? false : 'set BGSAFE_PRECOMMIT_E2E=1 with pre-commit installed (two to four minutes)', timeout: 1_200_000 },
    () => {
      const dir = repo();
      const rev = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).stdout.trim();
      writeFileSync(path.join(dir, '.pre-commit-config.yaml'), `repos:\n  - repo: ${repoRoot}\n    rev: ${rev}\n    hooks:\n      - id: bgsafe\n      - id: bgsafe-fix\n`);
      const env = { ...process.env, PRE_COMMIT_HOME: mkdtempSync(path.join(tmpdir(), 'bgsafe-precommit-home-')) };
      const first = spawnSync('pre-commit', ['run', '--files', ...FILES], { cwd: dir, encoding: 'utf8', env });
      assert.equal(first.status, 1, first.stdout + first.stderr);
      assert.match(first.stdout, /bgsafe \(check\)\.+Failed/);
      assert.match(first.stdout, /example_addon\/__init__\.py:22:10: BGS001/);
      assert.match(first.stdout, /bgsafe \(fix\)\.+Failed\n- hook id: bgsafe-fix\n- files were modified by this hook/);
      assert.match(readFileSync(path.join(dir, 'example_addon', '__init__.py'), 'utf8'), /if not bpy\.app\.background else None/);
      const again = spawnSync('pre-commit', ['run', '--files', ...FILES], { cwd: dir, encoding: 'utf8', env });
      assert.equal(again.status, 0, again.stdout + again.stderr);
      assert.match(again.stdout, /bgsafe \(check\)\.+Passed\nbgsafe \(fix\)\.+Passed/);
    },
  );
});
