// The CLI through the real binary, as a user or a script meets it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, statSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { repoRoot } from './helpers.js';

const bin = path.join(repoRoot, 'bin', 'bgsafe.js');
const example = path.join(repoRoot, 'fixtures', 'addons', 'example_addon');

function bgsafe(args: string[], cwd: string, input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-cli-'));
  cpSync(example, path.join(dir, 'example_addon'), { recursive: true });
  return dir;
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.git') walk(p);
      } else out[path.relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

const GPU_LINE = "shader = gpu.shader.from_builtin('UNIFORM_COLOR')";

describe('cli', () => {
  it('dry run prints a diff that git apply turns into exactly what --write writes', () => {
    const a = tempCopy();
    const b = tempCopy();
    const before = snapshot(a);
    const dry = bgsafe(['example_addon'], a);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^--- a\/example_addon\/__init__\.py\n\+\+\+ b\/example_addon\/__init__\.py\n@@ /m);
    assert.deepEqual(snapshot(a), before, 'a dry run writes nothing');
    assert.match(dry.stderr, /files? scanned, 1 would change/);
    const git = spawnSync('git', ['apply', '-'], { cwd: a, input: dry.stdout, encoding: 'utf8' });
    assert.equal(git.status, 0, git.stderr);
    const patch = spawnSync('patch', ['-p1', '--dry-run'], { cwd: b, input: dry.stdout, encoding: 'utf8' });
    if (patch.error === undefined) assert.equal(patch.status, 0, patch.stderr);
    const written = bgsafe(['--write', 'example_addon'], b);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(written.stdout, '', '--write prints no diff');
    assert.match(written.stderr, /1 written/);
    assert.deepEqual(snapshot(a), snapshot(b));
    assert.notDeepEqual(snapshot(b), before);
  });

  it('--check exits 1 before the fix and 0 after --write', () => {
    const dir = tempCopy();
    assert.equal(bgsafe(['--check', 'example_addon'], dir).code, 1);
    assert.equal(bgsafe(['--write', 'example_addon'], dir).code, 0);
    const after = bgsafe(['--check', 'example_addon'], dir);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(after.stdout, '', 'nothing left to change');
  });

  it('--format json matches the documented schema', () => {
    const dir = tempCopy();
    writeFileSync(path.join(dir, 'broken.py'), 'import gpu\nx = (\n');
    const r = bgsafe(['--format', 'json', 'example_addon', 'broken.py', 'missing_dir'], dir);
    assert.equal(r.code, 2);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const report: any = JSON.parse(r.stdout);
    const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schema', 'report.schema.json'), 'utf8'));
    const ajv = new (Ajv as unknown as typeof Ajv.default)({ allErrors: true });
    const valid = ajv.validate(schema, structuredClone(report));
    assert.ok(valid, JSON.stringify(ajv.errors, null, 2));
    assert.equal(report.version, 1);
    assert.ok(report.findings.length >= 2);
    assert.deepEqual(new Set(report.findings.map((f: { code: string }) => f.code)), new Set(['BGS001', 'BGS002']));
    assert.ok(report.errors.some((e: { kind: string; path: string }) => e.kind === 'path' && e.path === 'missing_dir'));
    assert.ok(report.errors.some((e: { kind: string; line: number }) => e.kind === 'parse' && e.line === 2));
    assert.equal(r.stderr, '', 'json mode keeps stderr for nothing but crashes');
  });

  it('--format sarif: SARIF 2.1.0 whose fixes, applied, give what --write writes', () => {
    const dir = tempCopy();
    const r = bgsafe(['--format', 'sarif', 'example_addon'], dir);
    assert.equal(r.code, 0, r.stderr);
    const sarif = JSON.parse(r.stdout);
    assert.equal(sarif.version, '2.1.0');
    const run = sarif.runs[0];
    const ids = run.tool.driver.rules.map((x: { id: string }) => x.id);
    assert.ok(ids.includes('BGS001') && ids.includes('BGS002'));
    assert.ok(run.results.length >= 2);
    const file = path.join(dir, 'example_addon', '__init__.py');
    let text = readFileSync(file, 'utf8');
    const replacements: Array<{ deletedRegion: { charOffset: number; charLength: number }; insertedContent: { text: string } }> = [];
    for (const res of run.results) {
      assert.equal(ids[res.ruleIndex], res.ruleId);
      assert.equal(res.locations[0].physicalLocation.artifactLocation.uri, 'example_addon/__init__.py');
      assert.ok(res.locations[0].physicalLocation.region.startLine >= 1);
      replacements.push(...res.fixes[0].artifactChanges[0].replacements);
    }
    for (const x of replacements.sort((a, b) => b.deletedRegion.charOffset - a.deletedRegion.charOffset)) {
      text = text.slice(0, x.deletedRegion.charOffset) + x.insertedContent.text + text.slice(x.deletedRegion.charOffset + x.deletedRegion.charLength);
    }
    assert.equal(bgsafe(['--write', 'example_addon'], dir).code, 0);
    assert.equal(text, readFileSync(file, 'utf8'));
  });

  it('--format text prints one line per finding with [*] for applied fixes', () => {
    const dir = tempCopy();
    const r = bgsafe(['--format', 'text', 'example_addon'], dir);
    assert.equal(r.code, 0);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.length >= 2);
    for (const l of lines) assert.match(l, /^example_addon\/__init__\.py:\d+:\d+: BGS00[12] .+ \[\*\]$/);
  });

  it('a missing path exits 2 with a clear message and the other paths are still processed', () => {
    const dir = tempCopy();
    const r = bgsafe(['no_such_addon', 'example_addon'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no_such_addon: error\[path\]: path not found/);
    assert.match(r.stdout, /\+\+\+ b\/example_addon\/__init__\.py/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it('checks a .zip add-on: findings and a diff; --write rewrites the archive', () => {
    const dir = tempCopy();
    const zipped = spawnSync('python3', ['-c', [
      'import os, zipfile',
      "with zipfile.ZipFile('example_addon.zip', 'w', zipfile.ZIP_DEFLATED) as z:",
      "    for root, _, files in os.walk('example_addon'):",
      '        for f in files: z.write(os.path.join(root, f))',
    ].join('\n')], { cwd: dir, encoding: 'utf8' });
    assert.equal(zipped.status, 0, zipped.stderr);
    const before = readFileSync(path.join(dir, 'example_addon.zip'));
    const dry = bgsafe(['example_addon.zip'], dir);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^\+\+\+ b\/example_addon\.zip\/example_addon\/__init__\.py$/m);
    assert.match(dry.stderr, /add-on example_addon \(example_addon\.zip\): 2 files, 1 would change, 2 findings/);
    assert.equal(bgsafe(['--check', 'example_addon.zip'], dir).code, 1);
    assert.deepEqual(readFileSync(path.join(dir, 'example_addon.zip')), before, 'a dry run leaves the archive untouched');
    const write = bgsafe(['--write', 'example_addon.zip'], dir);
    assert.equal(write.code, 0, write.stderr);
    assert.match(write.stderr, /wrote example_addon\.zip\/example_addon\/__init__\.py \(2 fixes\)/);
    assert.notDeepEqual(readFileSync(path.join(dir, 'example_addon.zip')), before, 'the archive is rewritten (test/zip-write.test.ts measures how)');
  });

  it('usage errors exit 2 without a stack trace', () => {
    for (const args of [['--no-such-flag'], ['--select', 'NOPE', '.'], ['--format', 'xml', '.'], ['explain', 'BGS999']]) {
      const r = bgsafe(args, repoRoot);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^bgsafe: /);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });

  it('--write keeps the file mode, CRLF, BOM and every byte outside the fix', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-cli-'));
    const file = path.join(dir, 'tool.py');
    const body = '# caf\u00e9\r\nimport bpy\r\nimport gpu\r\n\r\n\t# tab comment\r\n' + `${GPU_LINE}  # keep me\r\n`;
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body, 'utf8')]));
    chmodSync(file, 0o751);
    const r = bgsafe(['--write', 'tool.py'], dir);
    assert.equal(r.code, 0, r.stderr);
    const out = readFileSync(file);
    assert.deepEqual([...out.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(out.subarray(3).toString('utf8'), body.replace(GPU_LINE, `${GPU_LINE} if not bpy.app.background else None`));
    assert.equal(statSync(file).mode & 0o777, 0o751);
    assert.deepEqual(readdirSync(dir), ['tool.py'], 'no temporary file left');
  });

  it('keeps a Latin-1 file byte-exact', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-cli-'));
    const file = path.join(dir, 'old.py');
    const head = Buffer.from('# -*- coding: latin-1 -*-\n# caf', 'latin1');
    const rest = Buffer.from(`\nimport bpy, gpu\n${GPU_LINE}\n`, 'latin1');
    writeFileSync(file, Buffer.concat([head, Buffer.from([0xe9]), rest]));
    assert.equal(bgsafe(['--write', 'old.py'], dir).code, 0);
    const want = Buffer.concat([head, Buffer.from([0xe9]), Buffer.from(`\nimport bpy, gpu\n${GPU_LINE} if not bpy.app.background else None\n`, 'latin1')]);
    assert.deepEqual(readFileSync(file), want);
  });

  it('suppression comments silence findings and unused ones are listed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-cli-'));
    writeFileSync(path.join(dir, 'a.py'), `import bpy, gpu\n${GPU_LINE}  # bgsafe: ignore[BGS001]\nx = 1  # bgsafe: ignore\n`);
    const r = bgsafe(['--check', 'a.py'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /a\.py:3:8: unused `# bgsafe: ignore`/);
  });

  it('reads [tool.bgsafe] from the nearest pyproject.toml; flags win', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-cli-'));
    mkdirSync(path.join(dir, 'pkg', 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.bgsafe]\nignore = ["BGS001"]\nexclude = ["skipped_*.py"]\n');
    writeFileSync(path.join(dir, 'pkg', 'sub', 'a.py'), `import bpy, gpu\n${GPU_LINE}\n`);
    writeFileSync(path.join(dir, 'pkg', 'sub', 'skipped_b.py'), `import bpy, gpu\n${GPU_LINE}\n`);
    const viaConfig = bgsafe(['--check', 'pkg'], dir);
    assert.equal(viaConfig.code, 0, viaConfig.stderr);
    assert.match(viaConfig.stderr, /1 file scanned/);
    const flagsWin = bgsafe(['--check', '--ignore', 'BGS002', 'pkg'], dir);
    assert.equal(flagsWin.code, 1);
    const noConfig = bgsafe(['--check', '--no-config', 'pkg'], dir);
    assert.match(noConfig.stderr, /2 files scanned/);
    writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.bgsafe]\nselect = ["BGS001"\n');
    const bad = bgsafe(['pkg'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /pyproject\.toml:3:1: error\[config\]: invalid TOML/);
  });

  it('skips .git, __pycache__, virtualenvs and node_modules, and groups a batch by add-on', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-cli-'));
    cpSync(example, path.join(dir, 'addons', 'one'), { recursive: true });
    writeFileSync(path.join(dir, 'addons', 'two.py'), `import bpy, gpu\n${GPU_LINE}\n`);
    for (const skipped of ['.git', '__pycache__', 'node_modules', 'env']) {
      mkdirSync(path.join(dir, 'addons', 'one', skipped), { recursive: true });
      writeFileSync(path.join(dir, 'addons', 'one', skipped, 'x.py'), `import gpu\n${GPU_LINE}\n`);
    }
    writeFileSync(path.join(dir, 'addons', 'one', 'env', 'pyvenv.cfg'), 'home = /usr\n');
    const r = bgsafe(['addons'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /3 files scanned, 2 would change/);
    assert.match(r.stderr, /add-on one \(addons\/one\): 2 files, 1 would change/);
    assert.match(r.stderr, /add-on two \(addons\/two\.py\): 1 file, 1 would change/);
  });

  it('a reader that closes stdout early (| head) ends the run quietly', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-cli-'));
    for (let i = 0; i < 1500; i++) writeFileSync(path.join(dir, `m${i}.py`), `import bpy, gpu\n${GPU_LINE}\n`);
    const r = spawnSync('bash', ['-c', `node ${JSON.stringify(bin)} . 2>err.txt | head -c 20 >/dev/null; echo "\${PIPESTATUS[0]}"`], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.stdout.trim(), '0');
    const err = readFileSync(path.join(dir, 'err.txt'), 'utf8');
    assert.doesNotMatch(err, /EPIPE|\n\s+at /);
  });

  it('lists the rules and explains one', () => {
    const rules = bgsafe(['rules'], repoRoot);
    assert.equal(rules.code, 0);
    assert.match(rules.stdout, /BGS001\s+gpu-in-background\s+safe fix/);
    assert.match(rules.stdout, /BGS002\s+keymap-without-guard\s+safe fix/);
    const explain = bgsafe(['explain', 'BGS001'], repoRoot);
    assert.equal(explain.code, 0);
    assert.match(explain.stdout, /## Why it breaks\n.*GPU functions for drawing are not available in background mode/s);
    const help = bgsafe(['--help'], repoRoot);
    for (const word of ['--write', '--check', '--format', '--select', '--ignore', '--unsafe-fixes', 'Exit codes', 'bgsafe: ignore', 'tool.bgsafe']) {
      assert.ok(help.stdout.includes(word), `help mentions ${word}`);
    }
  });
});
