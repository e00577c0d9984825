// The dirty-tree guard through the real binary, with real git repositories in temporary folders: --write
// refuses (exit 2, nothing written, the files named, the way out said) when a file it would change or create
// has uncommitted changes; --allow-dirty writes; outside git, or for files git ignores, it writes as before.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { repoRoot } from './helpers.js';

const bin = path.join(repoRoot, 'bin', 'bgsafe.js');
const example = path.join(repoRoot, 'fixtures', 'addons', 'example_addon');
const timerAddon = path.join(repoRoot, 'fixtures', 'addons', 'timer_tcp_server');

function bgsafe(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function git(args: string[], cwd: string): string {
  const r = spawnSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=bgsafe test', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A temporary git repository holding the given fixture add-ons, all committed. */
function repo(addons: string[] = [example]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-dirty-'));
  for (const a of addons) cpSync(a, path.join(dir, path.basename(a)), { recursive: true });
  git(['init', '-q', '-b', 'main'], dir);
  git(['add', '-A'], dir);
  git(['commit', '-q', '--allow-empty', '-m', 'add-ons'], dir);
  return dir;
}

const init = (dir: string): string => path.join(dir, 'example_addon', '__init__.py');

describe('dirty-tree guard (--write in a git work tree)', () => {
  it('a clean tree is written', () => {
    const dir = repo();
    const before = readFileSync(init(dir), 'utf8');
    const r = bgsafe(['--write', 'example_addon'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote example_addon\/__init__\.py/);
    assert.notEqual(readFileSync(init(dir), 'utf8'), before);
  });

  it('a modified file it would change: refused, exit 2, nothing written, the file named and the way out said', () => {
    const dir = repo();
    appendFileSync(init(dir), '# my uncommitted edit\n');
    const mine = readFileSync(init(dir));
    const r = bgsafe(['--write', 'example_addon'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /error\[write\]: --write refused, nothing was written: 1 file it would change has uncommitted changes/);
    assert.match(r.stderr, /commit or stash them first.*or run again with --allow-dirty/);
    assert.match(r.stderr, /^example_addon\/__init__\.py: error\[write\]: not written: uncommitted changes \(modified\)$/m);
    assert.match(r.stderr, /0 written/);
    assert.deepEqual(readFileSync(init(dir)), mine, 'the edit is kept as it was');
    assert.equal(git(['status', '--porcelain'], dir), ' M example_addon/__init__.py\n');
  });

  it('the refusal in --format json: the documented schema, the file among the errors', () => {
    const dir = repo();
    appendFileSync(init(dir), '# my uncommitted edit\n');
    const r = bgsafe(['--write', '--format', 'json', 'example_addon'], dir);
    assert.equal(r.code, 2, r.stderr);
    const report = JSON.parse(r.stdout) as { errors: unknown };
    const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schema', 'report.schema.json'), 'utf8'));
    const ajv = new (Ajv as unknown as typeof Ajv.default)({ allErrors: true });
    assert.ok(ajv.validate(schema, report), JSON.stringify(ajv.errors, null, 2));
    const errors = report.errors as Array<{ path: string; kind: string; message: string }>;
    assert.ok(errors.some((e) => e.path === 'example_addon/__init__.py' && e.kind === 'write' && /uncommitted changes \(modified\)/.test(e.message)), JSON.stringify(errors));
    assert.ok(errors.some((e) => /--allow-dirty/.test(e.message)));
  });

  it('one dirty file stops the whole write: the clean files are not written either', () => {
    const dir = repo([example, timerAddon]);
    appendFileSync(init(dir), '# my uncommitted edit\n');
    const timer = path.join(dir, 'timer_tcp_server', '__init__.py');
    const timerBefore = readFileSync(timer);
    const r = bgsafe(['--write', '.'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.deepEqual(readFileSync(timer), timerBefore);
    assert.ok(!existsSync(path.join(dir, 'timer_tcp_server', 'bgsafe_runtime.py')), 'no file created');
    assert.doesNotMatch(r.stderr, /timer_tcp_server.*error\[write\]/);
  });

  it('staged and untracked files count as uncommitted', () => {
    const dir = repo();
    appendFileSync(init(dir), '# staged edit\n');
    git(['add', 'example_addon/__init__.py'], dir);
    let r = bgsafe(['--write', 'example_addon'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /example_addon\/__init__\.py: error\[write\]: not written: uncommitted changes \(staged\)/);

    const dir2 = repo([]);
    cpSync(example, path.join(dir2, 'example_addon'), { recursive: true });
    r = bgsafe(['--write', 'example_addon'], dir2);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /example_addon\/__init__\.py: error\[write\]: not written: uncommitted changes \(untracked\)/);
  });

  it('a file it would create that git has as deleted counts too', () => {
    const dir = repo([timerAddon]);
    const runtime = path.join(dir, 'timer_tcp_server', 'bgsafe_runtime.py');
    writeFileSync(runtime, '# a runtime the user committed, then deleted\n');
    git(['add', '-A'], dir);
    git(['commit', '-q', '-m', 'runtime'], dir);
    rmSync(runtime);
    const r = bgsafe(['--write', 'timer_tcp_server'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /timer_tcp_server\/bgsafe_runtime\.py: error\[write\]: not written: uncommitted changes \(deleted\)/);
    assert.ok(!existsSync(runtime));
  });

  it('a dirty file that needs no change does not stop the write', () => {
    const dir = repo();
    appendFileSync(path.join(dir, 'example_addon', 'drawing.py'), '# edit in a file bgsafe leaves alone\n');
    const plain = bgsafe(['example_addon'], dir);
    assert.doesNotMatch(plain.stdout, /b\/example_addon\/drawing\.py/, 'precondition: drawing.py needs no change');
    const r = bgsafe(['--write', 'example_addon'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote example_addon\/__init__\.py/);
  });

  it('--allow-dirty writes over uncommitted changes', () => {
    const dir = repo();
    appendFileSync(init(dir), '# my uncommitted edit\n');
    const r = bgsafe(['--write', '--allow-dirty', 'example_addon'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote example_addon\/__init__\.py/);
    assert.match(readFileSync(init(dir), 'utf8'), /# my uncommitted edit/);
  });

  it('outside git, and for files git ignores, writes as before', () => {
    const plain = mkdtempSync(path.join(tmpdir(), 'bgsafe-nogit-'));
    assert.notEqual(spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: plain }).status, 0, 'precondition: the temporary folder is outside any git work tree');
    cpSync(example, path.join(plain, 'example_addon'), { recursive: true });
    let r = bgsafe(['--write', 'example_addon'], plain);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote example_addon\/__init__\.py/);

    const dir = repo([]);
    writeFileSync(path.join(dir, '.gitignore'), 'vendor/\n');
    git(['add', '-A'], dir);
    git(['commit', '-q', '-m', 'ignore'], dir);
    cpSync(example, path.join(dir, 'vendor', 'example_addon'), { recursive: true });
    r = bgsafe(['--write', 'vendor/example_addon'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote vendor\/example_addon\/__init__\.py/);
  });

  it('a .zip add-on: the archive is what git is asked about', () => {
    const dir = repo();
    const z = spawnSync('zip', ['-qr', 'example_addon.zip', 'example_addon'], { cwd: dir });
    assert.equal(z.status, 0);
    rmSync(path.join(dir, 'example_addon'), { recursive: true });
    // The archive is new (untracked): refused.
    let r = bgsafe(['--write', 'example_addon.zip'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^example_addon\.zip: error\[write\]: not written: uncommitted changes \(untracked\)$/m);
    git(['add', '-A'], dir);
    git(['commit', '-q', '-m', 'zip'], dir);
    r = bgsafe(['--write', 'example_addon.zip'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote example_addon\.zip\/example_addon\/__init__\.py/);
  });

  it('from a subfolder, and in a repository nested in another, each file is asked of its own repository', () => {
    const outer = repo([]);
    mkdirSync(path.join(outer, 'vendored'));
    const inner = path.join(outer, 'vendored', 'inner');
    mkdirSync(inner);
    cpSync(example, path.join(inner, 'example_addon'), { recursive: true });
    git(['init', '-q', '-b', 'main'], inner);
    git(['add', '-A'], inner);
    git(['commit', '-q', '-m', 'inner'], inner);
    // The outer repository sees the inner one as untracked; the inner one is clean: written.
    let r = bgsafe(['--write', 'inner/example_addon'], path.join(outer, 'vendored'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote inner\/example_addon\/__init__\.py/);
    git(['checkout', '--', '.'], inner);
    appendFileSync(path.join(inner, 'example_addon', '__init__.py'), '# edit\n');
    r = bgsafe(['--write', 'example_addon'], inner);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^example_addon\/__init__\.py: error\[write\]: not written: uncommitted changes \(modified\)$/m);
  });

  it('a repository git refuses to read (another owner) is not taken as outside git', (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to give the repository another owner');
      return;
    }
    const dir = repo();
    spawnSync('chown', ['-R', '65534:65534', dir]);
    chownSync(dir, 65534, 65534);
    const r = bgsafe(['--write', 'example_addon'], dir, { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_SYSTEM: '/dev/null' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /error\[write\]: --write refused, nothing was written: git cannot tell whether .* has uncommitted changes: fatal: detected dubious ownership/);
    assert.match(r.stderr, /--allow-dirty/);
  });

  it('no git on PATH: inside a repository refused, outside written', () => {
    const dir = repo();
    const noGit = { ...process.env, PATH: '/nonexistent' };
    let r = bgsafe(['--write', 'example_addon'], dir, noGit);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /error\[write\]: --write refused, nothing was written: cannot run git \(not on PATH\) to check .* for uncommitted changes; run again with --allow-dirty/);
    const plain = mkdtempSync(path.join(tmpdir(), 'bgsafe-nogit-'));
    cpSync(example, path.join(plain, 'example_addon'), { recursive: true });
    r = bgsafe(['--write', 'example_addon'], plain, noGit);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote example_addon\/__init__\.py/);
  });
});
