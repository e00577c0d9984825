// `bgsafe merge`, through the real binary: the merge of a batch's N shards is the unsharded report (over
// Debian's bundled add-ons with 1/3, 2/3, 3/3, and over the project's own add-ons with --write), every
// output format of the merge is what the unsharded run prints, the exit codes are the unsharded run's,
// and every input merge cannot use is exit 2 with the file and what is wrong.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { bgsafe, DEBIAN_ADDONS, fixtureBatch, NO_DEBIAN, schemaErrors, snapshot, sortedJson, sortedLines, tempDir, writeTree } from './batch-helpers.js';

const GPU = "import bpy, gpu\nshader = gpu.shader.from_builtin('UNIFORM_COLOR')\n";

/** Each shard's --format json report written to <cwd>/r<K>.json; returns the file names. */
function shardReports(cwd: string, paths: string[], count: number, extra: string[] = []): string[] {
  const names: string[] = [];
  for (let k = 1; k <= count; k++) {
    const r = bgsafe([...extra, '--shard', `${k}/${count}`, '--format', 'json', ...paths], cwd);
    assert.ok(r.code === 0 || r.code === 1 || r.code === 2, r.stderr);
    assert.equal(r.stderr, '', `shard ${k}: json mode prints nothing on stderr`);
    writeFileSync(path.join(cwd, `r${k}.json`), r.stdout);
    names.push(`r${k}.json`);
  }
  return names;
}

describe("merge over Debian's bundled add-ons", { skip: existsSync(DEBIAN_ADDONS) ? false : NO_DEBIAN, timeout: 900_000 }, () => {
  let cwd: string;
  let whole: string;
  let wholeDiff: { stdout: string; stderr: string };
  let names: string[];

  before(() => {
    cwd = tempDir('merge-debian');
    const w = bgsafe(['--format', 'json', DEBIAN_ADDONS], cwd);
    assert.equal(w.code, 0, w.stderr);
    whole = w.stdout;
    const d = bgsafe([DEBIAN_ADDONS], cwd);
    assert.equal(d.code, 0, d.stderr);
    wholeDiff = d;
    names = shardReports(cwd, [DEBIAN_ADDONS], 3);
  });

  it('shards 1/3, 2/3, 3/3 split the add-ons, each whole, among them', () => {
    const all = JSON.parse(whole);
    const shards = names.map((n) => JSON.parse(readFileSync(path.join(cwd, n), 'utf8')));
    assert.ok(all.addons.length > 50, 'Debian ships about 100 add-ons');
    const roots = shards.flatMap((s) => s.addons.map((a: { root: string }) => a.root)).sort();
    assert.deepEqual(roots, all.addons.map((a: { root: string }) => a.root).sort(), 'every add-on in exactly one shard');
    for (const [k, s] of shards.entries()) {
      assert.deepEqual([s.shard.index, s.shard.count], [k + 1, 3]);
      assert.equal(s.shard.batch, shards[0].shard.batch, 'one batch');
      assert.ok(s.addons.length > 0, `shard ${k + 1} is not empty`);
      for (const a of s.addons) {
        const inWhole = all.addons.find((b: { root: string }) => b.root === a.root);
        assert.deepEqual(a, inWhole, `add-on ${a.root} is analysed whole in its shard`);
      }
    }
    const sizes = shards.map((s) => s.addons.length);
    const filesEach = shards.map((s) => s.summary.filesScanned);
    process.stdout.write(`# add-ons per shard: ${sizes.join(', ')} of ${all.addons.length}; files: ${filesEach.join(', ')} of ${all.summary.filesScanned}\n`);
  });

  it('their merge is the unsharded --format json, byte for byte after sorting (and before)', () => {
    const m = bgsafe(['merge', '--format', 'json', ...names], cwd);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(m.stderr, '');
    assert.equal(sortedJson(m.stdout), sortedJson(whole));
    // The merge puts the batch in the order discovery walks it, so for one folder it is the very report.
    assert.equal(m.stdout, whole);
    assert.equal(schemaErrors(JSON.parse(m.stdout)), null);
  });

  it('in whatever order the shards are named', () => {
    const a = bgsafe(['merge', '--format', 'json', names[2], names[0], names[1]], cwd);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, whole);
  });

  it("the merge's summary and diff are the unsharded dry run's", () => {
    const s = bgsafe(['merge', ...names], cwd);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(sortedLines(s.stdout), sortedLines(wholeDiff.stderr), 'summary (stdout of merge, stderr of the run)');
    const d = bgsafe(['merge', '--format', 'diff', ...names], cwd);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout, wholeDiff.stdout, 'the diff');
    assert.equal(d.stderr, wholeDiff.stderr, 'and the summary on stderr');
  });
});

describe('merge of the project\'s own add-ons', () => {
  let cwd: string;
  before(() => {
    cwd = fixtureBatch('merge-fixtures');
  });

  it('text, sarif and github of the merged shards are those of the unsharded run', () => {
    const names = shardReports(cwd, ['addons'], 4);
    for (const format of ['text', 'sarif', 'github', 'json']) {
      const whole = bgsafe(['--format', format, 'addons'], cwd);
      assert.equal(whole.code, 0, whole.stderr);
      const merged = bgsafe(['merge', '--format', format, ...names], cwd);
      assert.equal(merged.code, 0, merged.stderr);
      if (format === 'text' || format === 'github') assert.equal(sortedLines(merged.stdout), sortedLines(whole.stdout), format);
      else assert.equal(sortedJson(merged.stdout), sortedJson(whole.stdout), format);
      assert.equal(merged.stderr, whole.stderr, `${format}: the same summary on stderr, or none`);
    }
  });

  it('--shard with --write: the shards write what one --write writes, and their merged reports are its report', () => {
    const other = fixtureBatch('merge-fixtures-write');
    const one = bgsafe(['--write', '--format', 'json', 'addons'], other);
    assert.equal(one.code, 0, one.stderr);
    const before = snapshot(path.join(cwd, 'addons'));
    const names = shardReports(cwd, ['addons'], 3, ['--write']);
    assert.notDeepEqual(snapshot(path.join(cwd, 'addons')), before, 'the shards wrote fixes');
    assert.deepEqual(snapshot(path.join(cwd, 'addons')), snapshot(path.join(other, 'addons')), 'the same files, byte for byte');
    const merged = bgsafe(['merge', '--format', 'json', ...names], cwd);
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(sortedJson(merged.stdout), sortedJson(one.stdout));
    const report = JSON.parse(merged.stdout);
    assert.equal(report.mode, 'write');
    assert.ok(report.summary.filesWritten > 0 && report.summary.filesCreated > 0, 'fixes were written and files created');
    // After --write nothing is left to apply: merge --format diff prints nothing, as a --write run does.
    assert.equal(bgsafe(['merge', '--format', 'diff', '--quiet', ...names], cwd).stdout, '');
  });

  it('reports of runs over separate folders merge into the report of one run over both', () => {
    const dir = tempDir('merge-separate');
    writeTree(dir, { 'a/one.py': GPU, 'a/two/__init__.py': GPU, 'b/three.py': 'import bpy\n', 'b/four.py': GPU });
    const both = bgsafe(['--format', 'json', 'a', 'b'], dir);
    writeFileSync(path.join(dir, 'a.json'), bgsafe(['--format', 'json', 'a'], dir).stdout);
    writeFileSync(path.join(dir, 'b.json'), bgsafe(['--format', 'json', 'b'], dir).stdout);
    const m = bgsafe(['merge', '--format', 'json', 'b.json', 'a.json'], dir);
    assert.equal(m.code, 0, m.stderr);
    assert.equal(m.stdout, both.stdout);
  });
});

describe('merge exit codes are those of the unsharded run', () => {
  const cases: Record<string, Record<string, string>> = {
    clean: { 'addons/quiet/__init__.py': 'import bpy\n', 'addons/calm.py': 'import bpy\n' },
    findings: { 'addons/shader/__init__.py': GPU, 'addons/calm.py': 'import bpy\n', 'addons/other.py': GPU },
    'a file that does not parse': { 'addons/broken.py': 'import gpu\nx = (\n', 'addons/shader.py': GPU, 'addons/calm.py': 'import bpy\n' },
    'a broken pyproject.toml in an add-on': { 'addons/conf/__init__.py': GPU, 'addons/conf/pyproject.toml': '[tool.bgsafe]\nselect = 3\n', 'addons/calm.py': 'import bpy\n' },
    'a path that does not exist': { 'addons/calm.py': 'import bpy\n' },
  };
  for (const [name, files] of Object.entries(cases)) {
    it(name, () => {
      const dir = tempDir('merge-exit');
      writeTree(dir, files);
      const paths = name === 'a path that does not exist' ? ['addons', 'no_such_folder'] : ['addons'];
      for (const check of [[], ['--check']]) {
        const whole = bgsafe([...check, '--format', 'json', ...paths], dir);
        const names = shardReports(dir, paths, 3, check);
        const m = bgsafe(['merge', ...check, '--format', 'json', ...names], dir);
        assert.equal(m.code, whole.code, `${check.join(' ') || 'no --check'}: merge exits ${m.code}, the run ${whole.code}\n${m.stderr}`);
        assert.equal(sortedJson(m.stdout), sortedJson(whole.stdout), 'and the reports are equal: each error is in one shard only');
        const s = bgsafe(['merge', ...check, ...names], dir);
        assert.equal(s.code, whole.code, 'the same exit code with the summary');
      }
      if (name === 'findings') assert.equal(bgsafe(['--check', '--format', 'json', 'addons'], dir).code, 1, 'the case has something to report');
      if (name !== 'clean' && name !== 'findings') assert.equal(bgsafe(['--format', 'json', ...paths], dir).code, 2, 'the case has an error');
    });
  }

  it('after --write, --check exits 1 only for a finding left unfixed', () => {
    for (const [files, expected] of [
      [{ 'addons/shader.py': GPU }, 0],
      [{ 'addons/shader.py': GPU, 'addons/ctx.py': 'import bpy\n\ndef register():\n    bpy.context.scene.frame_start = 1\n' }, 1],
    ] as const) {
      const a = tempDir('merge-write-check');
      const b = tempDir('merge-write-check');
      writeTree(a, files);
      writeTree(b, files);
      const whole = bgsafe(['--write', '--check', '--format', 'json', 'addons'], b);
      assert.equal(whole.code, expected, whole.stderr);
      const names = shardReports(a, ['addons'], 2, ['--write', '--check']);
      assert.equal(bgsafe(['merge', '--check', ...names], a).code, expected);
      assert.equal(bgsafe(['merge', ...names], a).code, 0, 'without --check: 0');
    }
  });
});

describe('merge inputs it cannot use: exit 2, the file and what is wrong', () => {
  let dir: string;
  let good: string[];
  before(() => {
    dir = tempDir('merge-bad');
    writeTree(dir, { 'addons/a.py': GPU, 'addons/b.py': GPU, 'addons/c/__init__.py': GPU, 'addons/d.py': 'import bpy\n' });
    good = shardReports(dir, ['addons'], 3);
    writeFileSync(path.join(dir, 'plain.json'), bgsafe(['--format', 'json', 'addons'], dir).stdout);
    assert.ok(JSON.parse(readFileSync(path.join(dir, 'plain.json'), 'utf8')).findings.length > 0);
  });

  const write = (name: string, text: string): string => {
    writeFileSync(path.join(dir, name), text);
    return name;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const edited = (name: string, edit: (r: Record<string, any>) => void, base = 'plain.json'): string => {
    const r = JSON.parse(readFileSync(path.join(dir, base), 'utf8'));
    edit(r);
    return write(name, JSON.stringify(r));
  };
  const expectBad = (args: string[], message: RegExp): void => {
    const r = bgsafe(['merge', ...args], dir);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', 'nothing on stdout');
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  };

  it('a file that is not there, a folder, an empty file, not JSON', () => {
    expectBad(['r1.json', 'r2.json', 'r3.json', 'gone.json'], /^bgsafe merge: gone\.json: cannot read: no such file\n$/);
    expectBad(['addons'], /^bgsafe merge: addons: cannot read: a folder, not a report file\n$/);
    expectBad([write('empty.json', ''), 'r1.json'], /^bgsafe merge: empty\.json: empty file \(did the bgsafe run that should have written it fail\?\)\n$/);
    expectBad([write('cut.json', readFileSync(path.join(dir, 'r1.json'), 'utf8').slice(0, 200))], /^bgsafe merge: cut\.json: not JSON: /);
  });

  it('not a bgsafe JSON report: SARIF, another tool, another report version', () => {
    write('r.sarif', bgsafe(['--format', 'sarif', 'addons'], dir).stdout);
    expectBad(['r.sarif'], /^bgsafe merge: r\.sarif: a SARIF file; merge takes the reports of `bgsafe --format json`\n$/);
    expectBad([write('other.json', '{"tool": {"name": "ruff"}}')], /other\.json: not a bgsafe JSON report \(no "tool": \{"name": "bgsafe"\}\)/);
    expectBad([write('list.json', '[]')], /list\.json: not a bgsafe JSON report: the top level is not an object/);
    expectBad([edited('v2.json', (r) => (r.version = 2))], /v2\.json: report format version 2; this bgsafe reads version 1/);
  });

  it('a report that breaks the schema says where', () => {
    expectBad([edited('line0.json', (r) => (r.findings[0].range.start.line = 0))], /line0\.json: not a valid bgsafe report: findings\[0\]\.range\.start\.line: must be at least 1, not 0/);
    expectBad([edited('nofiles.json', (r) => delete r.files)], /nofiles\.json: not a valid bgsafe report: the report: "files" is missing/);
    expectBad([edited('status.json', (r) => (r.findings[0].fixStatus = 'done'))], /status\.json: .*findings\[0\]\.fixStatus: must be one of "applied", "available", "none", "skipped", not string "done"/);
    expectBad([edited('extra.json', (r) => (r.files[0].colour = 'red'))], /extra\.json: .*files\[0\]: unexpected field "colour"/);
    expectBad([edited('fix.json', (r) => (r.findings[0].fix = 'safe'))], /fix\.json: .*findings\[0\]\.fix: must be null or object, not string "safe"/);
  });

  it('reports that do not fit together', () => {
    expectBad(['r1.json', 'r3.json'], /^bgsafe merge: shard 2\/3 missing: the merge of a --shard batch needs all 3 reports/);
    expectBad(['r1.json', 'r2.json', 'r3.json', write('r1again.json', readFileSync(path.join(dir, 'r1.json'), 'utf8'))], /r1again\.json: shard 1\/3 again \(also r1\.json\)/);
    expectBad(['r1.json', 'r2.json', 'r3.json', 'plain.json'], /plain\.json: not a shard, but r1\.json is shard 1\/3/);
    expectBad(['r1.json', 'r2.json', 'r3.json', edited('n4.json', (r) => (r.shard = { ...r.shard, index: 4, count: 4 }), 'r1.json')], /n4\.json: shard 4\/4, but r1\.json is shard 1\/3: merge the shards of one batch/);
    expectBad(['plain.json', write('plain2.json', readFileSync(path.join(dir, 'plain.json'), 'utf8'))], /plain2\.json: addons\/.* is also in plain\.json: the reports overlap/);
    expectBad(['r1.json', 'r2.json', edited('ver.json', (r) => { r.tool.version = '9.9.9'; r.shard.index = 3; }, 'r1.json')], /ver\.json: made by bgsafe 9\.9\.9, r1\.json by \d+\.\d+\.\d+: merge the reports of one bgsafe version/);
    expectBad(['r1.json', 'r2.json', edited('mode.json', (r) => { r.mode = 'write'; r.shard.index = 3; }, 'r1.json')], /mode\.json: a write report, r1\.json a dry-run report/);
    // Shard 3/3 of another batch: the same folder with one more add-on (another checkout, say).
    writeTree(dir, { 'later/newer.py': GPU });
    const other = bgsafe(['--shard', '3/3', '--format', 'json', 'addons', 'later/newer.py'], dir);
    expectBad(['r1.json', 'r2.json', write('other3.json', other.stdout)], /^bgsafe merge: other3\.json: a shard of another batch than r1\.json \(its add-ons differ: run every shard from the same folder, on the same paths, of the same checkout\)\n$/);
    const elsewhere = bgsafe(['--shard', '3/3', '--format', 'json', '.'], path.join(dir, 'addons'));
    expectBad(['r1.json', 'r2.json', write('cwd3.json', elsewhere.stdout)], /cwd3\.json: a shard of another batch than r1\.json/);
    // The good ones still merge.
    assert.equal(bgsafe(['merge', ...good], dir).code, 0);
  });
});
