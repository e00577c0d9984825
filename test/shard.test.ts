// --shard K/N through the real binary: each add-on lands in the shard the documented rule gives it (checked
// with the docs' own shell one-liner), whole; the shards partition the batch; the assignment is the same
// however the path is spelled, wherever the tree is, whatever else the batch holds; errors go to one shard.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { bgsafe, documentedShard, schemaErrors, tempDir, writeTree } from './batch-helpers.js';

const GPU = "import bpy, gpu\nshader = gpu.shader.from_builtin('UNIFORM_COLOR')\n";

/** A holder folder of add-ons of every kind: packages (several files), modules, a .zip. */
function batch(root: string): string[] {
  const files: Record<string, string> = {};
  const keys: string[] = [];
  for (let i = 0; i < 14; i++) {
    const name = `pkg_${i}`;
    keys.push(name);
    files[`${name}/__init__.py`] = i % 3 === 0 ? GPU : 'import bpy\n';
    files[`${name}/ops.py`] = 'import bpy\n';
    files[`${name}/sub/deep.py`] = i % 2 === 0 ? GPU : 'x = 1\n';
  }
  for (let i = 0; i < 8; i++) {
    keys.push(`mod_${i}.py`);
    files[`mod_${i}.py`] = i % 2 === 0 ? GPU : 'import bpy\n';
  }
  writeTree(root, files);
  return keys;
}

interface Report {
  shard?: { index: number; count: number; batch: string };
  addons: Array<{ name: string; root: string; files: number }>;
  files: Array<{ path: string; addon: string }>;
  errors: Array<{ path: string; kind: string; message: string }>;
}

/** The documented fingerprint of a batch from its unsharded report: SHA-256 of the add-on roots, sorted, one a line. */
function batchOf(whole: Report): string {
  const roots = whole.addons.map((a) => a.root).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(roots.join('\n'), 'utf8').digest('hex').slice(0, 16);
}

function shardRun(cwd: string, paths: string[], k: number, n: number, extra: string[] = []): Report {
  const r = bgsafe([...extra, '--shard', `${k}/${n}`, '--format', 'json', ...paths], cwd);
  assert.ok(r.code === 0 || r.code === 2, r.stderr);
  return JSON.parse(r.stdout);
}

/** Each shard's add-on keys (basename of the root), shard by shard. */
function assignment(cwd: string, paths: string[], n: number): string[][] {
  return Array.from({ length: n }, (_, k) => shardRun(cwd, paths, k + 1, n).addons.map((a) => path.posix.basename(a.root)).sort());
}

describe('--shard K/N', () => {
  it('puts each add-on, whole, in the shard the documented rule gives (the sha256sum one-liner of --help)', () => {
    const dir = tempDir('shard-rule');
    const keys = batch(path.join(dir, 'addons'));
    // A .zip add-on named beside the folder: its key is its file name.
    const zip = spawnSync('python3', ['-c', 'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z:\n    z.writestr("tool/__init__.py", sys.argv[2])\n    z.writestr("tool/ops.py", "import bpy\\n")', path.join(dir, 'tool.zip'), GPU]);
    assert.equal(zip.status, 0, String(zip.stderr));
    keys.push('tool.zip');
    const paths = ['addons', 'tool.zip'];
    const whole: Report = JSON.parse(bgsafe(['--format', 'json', ...paths], dir).stdout);
    assert.equal(whole.addons.length, keys.length);
    for (const n of [1, 3, 5]) {
      const seen = new Map<string, number>();
      const files: string[] = [];
      for (let k = 1; k <= n; k++) {
        const r = shardRun(dir, paths, k, n);
        assert.deepEqual({ ...r.shard, batch: undefined }, { index: k, count: n, batch: undefined });
        assert.equal(r.shard!.batch, batchOf(whole), 'every shard has the fingerprint of the whole batch');
        assert.equal(schemaErrors(r), null);
        for (const a of r.addons) {
          const key = path.posix.basename(a.root);
          assert.equal(seen.get(key), undefined, `${key} in two shards`);
          seen.set(key, k);
          assert.equal(k, documentedShard(key, n), `${key}: shard ${k}/${n}, the rule says ${documentedShard(key, n)}`);
          assert.equal(a.files, whole.addons.find((b) => b.root === a.root)!.files, `${key} whole`);
        }
        for (const f of r.files) {
          const a = r.addons.find((x) => x.name === f.addon)!;
          assert.ok(f.path === a.root || f.path.startsWith(`${a.root}/`), `${f.path} belongs to an add-on of its shard`);
          files.push(f.path);
        }
      }
      assert.deepEqual([...seen.keys()].sort(), [...keys].sort(), `N=${n}: every add-on in a shard`);
      assert.deepEqual(files.sort(), whole.files.map((f) => f.path).sort(), `N=${n}: every file once`);
    }
  });

  it('is the same however the path is spelled, wherever the tree is, from any folder', () => {
    const dir = tempDir('shard-spell');
    batch(path.join(dir, 'addons'));
    const n = 3;
    const expected = assignment(dir, ['addons'], n);
    assert.ok(expected.every((s) => s.length > 0), 'no empty shard in this batch');
    assert.deepEqual(assignment(dir, ['./addons/'], n), expected, './addons/');
    assert.deepEqual(assignment(dir, [path.join(dir, 'addons')], n), expected, 'absolute');
    assert.deepEqual(assignment(path.join(dir, 'addons'), ['.'], n), expected, '. inside it');
    assert.deepEqual(assignment(path.join(dir, 'addons', 'pkg_0'), ['..'], n), expected, '.. from an add-on');
    symlinkSync(path.join(dir, 'addons'), path.join(dir, 'linked'));
    assert.deepEqual(assignment(dir, ['linked'], n), expected, 'through a symbolic link');
    // Another machine: the same add-ons at another place, in a folder of another name.
    const elsewhere = tempDir('shard-elsewhere');
    cpSync(path.join(dir, 'addons'), path.join(elsewhere, 'deep', 'vendored'), { recursive: true });
    assert.deepEqual(assignment(elsewhere, ['deep/vendored'], n), expected, 'copied elsewhere');
    // Each add-on named on its own (as `addons/*/` expands) lands where it does in the folder.
    // (and an add-on named through its __init__.py lands there too).
    const each = ['pkg_0', 'pkg_1', 'pkg_2/__init__.py', 'mod_0.py', 'mod_1.py'].map((x) => `addons/${x}`);
    const named = assignment(dir, each, n);
    for (const [k, keys] of named.entries()) for (const key of keys) assert.ok(expected[k].includes(key), `${key} named on its own`);
  });

  it('does not move an add-on when others are added or removed', () => {
    const dir = tempDir('shard-stable');
    batch(path.join(dir, 'addons'));
    const n = 4;
    const before = assignment(dir, ['addons'], n);
    writeTree(path.join(dir, 'addons'), { 'new_one/__init__.py': GPU, 'new_two.py': GPU });
    renameSync(path.join(dir, 'addons', 'pkg_3'), path.join(dir, 'gone_pkg_3'));
    const after = assignment(dir, ['addons'], n);
    for (let k = 0; k < n; k++) {
      const kept = before[k].filter((key) => key !== 'pkg_3');
      assert.deepEqual(after[k].filter((key) => !key.startsWith('new_')), kept, `shard ${k + 1} keeps its add-ons`);
    }
  });

  it('keys are Unicode NFC: a name spelled decomposed (as macOS does) lands where the composed one does', () => {
    const nfc = 'caf\u00e9_tools';
    const nfd = nfc.normalize('NFD');
    assert.notEqual(nfc, nfd);
    const a = tempDir('shard-nfc');
    const b = tempDir('shard-nfd');
    writeTree(path.join(a, 'addons'), { [`${nfc}/__init__.py`]: GPU });
    writeTree(path.join(b, 'addons'), { [`${nfd}/__init__.py`]: GPU });
    // Find an N where the two spellings' raw bytes would hash to different shards: NFC must still agree.
    const n = [2, 3, 5, 7, 11, 13].find((x) => documentedShard(nfc, x) !== documentedShard(nfd, x))!;
    assert.ok(n, 'some N separates the raw spellings');
    const where = (cwd: string): number[] => Array.from({ length: n }, (_, k) => k + 1).filter((k) => shardRun(cwd, ['addons'], k, n).addons.length > 0);
    assert.deepEqual(where(a), [documentedShard(nfc, n)]);
    assert.deepEqual(where(b), [documentedShard(nfc, n)]);
  });

  it('errors go to one shard: a missing path and a pyproject.toml above the add-ons to shard 1, one inside an add-on to its shard', () => {
    const dir = tempDir('shard-errors');
    batch(path.join(dir, 'addons'));
    writeFileSync(path.join(dir, 'addons', 'pkg_5', 'pyproject.toml'), '[tool.bgsafe]\nselect = 3\n');
    const n = 3;
    const owner = documentedShard('pkg_5', n);
    for (let k = 1; k <= n; k++) {
      const r = shardRun(dir, ['addons', 'no_such_dir'], k, n);
      const kinds = r.errors.map((e) => `${e.kind} ${e.path}`);
      assert.equal(kinds.includes('path no_such_dir'), k === 1, `shard ${k}: ${kinds}`);
      assert.equal(kinds.includes('config addons/pkg_5/pyproject.toml'), k === owner, `shard ${k}: ${kinds}`);
    }
    const top = tempDir('shard-errors-top');
    batch(path.join(top, 'addons'));
    writeFileSync(path.join(top, 'addons', 'pyproject.toml'), '[tool.bgsafe]\nselect = 3\n');
    for (let k = 1; k <= n; k++) {
      const r = shardRun(top, ['addons'], k, n);
      assert.equal(r.errors.filter((e) => e.path === 'addons/pyproject.toml').length, k === 1 ? 1 : 0, `shard ${k}`);
      assert.ok(r.errors.filter((e) => e.kind === 'config').length === r.errors.length, 'every file under it is "not processed"');
      assert.equal(r.errors.length - (k === 1 ? 1 : 0), r.files.length, `shard ${k}: one error per file of its own`);
    }
  });

  it('a shard with no add-on is an empty report that exits 0', () => {
    const dir = tempDir('shard-empty');
    writeTree(dir, { 'addons/only/__init__.py': GPU });
    const n = 8;
    const home = documentedShard('only', n);
    for (let k = 1; k <= n; k++) {
      const r = bgsafe(['--shard', `${k}/${n}`, '--format', 'json', 'addons'], dir);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout);
      assert.equal(report.summary.filesScanned, k === home ? 1 : 0);
      assert.equal(schemaErrors(report), null);
    }
    const text = bgsafe(['--shard', `${(home % n) + 1}/${n}`, 'addons'], dir);
    assert.equal(text.code, 0);
    assert.match(text.stderr, /^bgsafe: 0 files scanned/);
  });

  it('a report without --shard has no shard field', () => {
    const dir = tempDir('shard-none');
    writeTree(dir, { 'addons/a.py': GPU });
    assert.equal('shard' in JSON.parse(bgsafe(['--format', 'json', 'addons'], dir).stdout), false);
  });

  it('--shard with --write writes exactly the files of its add-ons', () => {
    const dir = tempDir('shard-write');
    batch(path.join(dir, 'addons'));
    const n = 3;
    const r = bgsafe(['--write', '--shard', `2/${n}`, '--format', 'json', 'addons'], dir);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    const written = report.files.filter((f: { written: boolean }) => f.written).map((f: { path: string }) => f.path);
    assert.ok(written.length > 0, 'shard 2 had fixes to write');
    // What is left to fix is exactly the other shards' findings.
    const rest = JSON.parse(bgsafe(['--format', 'json', 'addons'], dir).stdout);
    for (const f of rest.findings) assert.notEqual(documentedShard(f.path.split('/')[1], n), 2, `${f.path} was fixed by shard 2`);
    assert.ok(rest.findings.length > 0, 'the other shards still have theirs');
  });

  it('a bad K/N is a usage error (exit 2) that says what is expected', () => {
    const dir = tempDir('shard-usage');
    mkdirSync(path.join(dir, 'addons'));
    for (const [spec, message] of [
      ['0/3', /--shard 0\/3: K must be between 1 and N \(3\); shards are numbered from 1/],
      ['4/3', /--shard 4\/3: K must be between 1 and N \(3\)/],
      ['1/0', /--shard 1\/0: N must be at least 1/],
      ['2', /--shard: expected K\/N, e.g. --shard 2\/3 \(shard 2 of 3\), got "2"/],
      ['a/b', /--shard: expected K\/N/],
      ['-1/3', /--shard: expected K\/N, e.g. --shard 2\/3 \(shard 2 of 3\), got "-1\/3"/],
      ['', /--shard: expected K\/N/],
    ] as const) {
      const r = bgsafe([`--shard=${spec}`, 'addons'], dir);
      assert.equal(r.code, 2, spec);
      assert.match(r.stderr, message, spec);
      assert.equal(r.stdout, '');
    }
  });

  it('--help states the rule', () => {
    const r = bgsafe(['--help'], tempDir('shard-help'));
    assert.equal(r.code, 0);
    const help = r.stdout.replace(/\s+/g, ' ');
    assert.match(help, /--shard .*1 \+ \(the first 4 bytes of SHA-256 of its key, big-endian\) mod N/);
    assert.match(help, /relative to the folder named that holds it/);
    assert.match(help, /Unicode NFC/);
    assert.match(help, /bgsafe merge/);
  });
});
