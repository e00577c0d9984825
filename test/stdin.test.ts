// --stdin-filename PATH: the buffer from stdin, everything else (config, add-on, versions) from PATH; the diff,
// or with --write the fixed text, on stdout; nothing written to disk. Through the real binary.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers.js';
import { bin } from './pty.js';

const fixtures = path.join(repoRoot, 'fixtures', 'addons');

function tree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-stdin-'));
  for (const a of ['example_addon', 'timer_tcp_server']) cpSync(path.join(fixtures, a), path.join(dir, a), { recursive: true });
  return dir;
}

function bgsafe(args: string[], cwd: string, input?: string | Buffer) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, input: input ?? '', env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined } });
  return { code: r.status, stdout: r.stdout, out: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

const INIT = 'example_addon/__init__.py';
const GPU_LINE = "shader = gpu.shader.from_builtin('UNIFORM_COLOR')";

describe('--stdin-filename', () => {
  it('the buffer of a file as it is on disk: the same diff as `bgsafe PATH`, nothing written', () => {
    const dir = tree();
    const before = snapshot(dir);
    const buf = readFileSync(path.join(dir, INIT));
    const viaStdin = bgsafe(['--stdin-filename', INIT], dir, buf);
    const onDisk = bgsafe([INIT], dir);
    assert.equal(viaStdin.code, 0, viaStdin.stderr);
    assert.match(viaStdin.out, /^--- a\/example_addon\/__init__\.py\n\+\+\+ b\/example_addon\/__init__\.py\n/);
    assert.equal(viaStdin.out, onDisk.out);
    assert.deepEqual(snapshot(dir), before);
  });

  it('--write prints the fixed buffer, exactly what --write would write, and writes nothing', () => {
    const dir = tree();
    const other = tree();
    const before = snapshot(dir);
    const r = bgsafe(['--write', '--stdin-filename', INIT], dir, readFileSync(path.join(dir, INIT)));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(snapshot(dir), before, 'nothing written');
    assert.equal(bgsafe(['--write', INIT], other).code, 0);
    assert.equal(r.out, readFileSync(path.join(other, INIT), 'utf8'));
    assert.match(r.stderr, /1 file scanned, 1 would change \(2 fixes to apply\)/);
    // -q: stdout alone, stderr empty.
    const quiet = bgsafe(['-w', '-q', '--stdin-filename', INIT], dir, readFileSync(path.join(dir, INIT)));
    assert.equal(quiet.out, r.out);
    assert.equal(quiet.stderr, '');
  });

  it('the buffer, not the file: an unsaved edit is what is checked', () => {
    const dir = tree();
    const clean = 'import bpy\n\n\ndef register():\n    pass\n';
    writeFileSync(path.join(dir, 'example_addon', 'drawing.py'), clean);
    const buffer = `import bpy\nimport gpu\n\n${GPU_LINE}\n`;
    const r = bgsafe(['--stdin-filename', 'example_addon/drawing.py'], dir, buffer);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.out.includes(`-${GPU_LINE}\n+${GPU_LINE} if not bpy.app.background else None\n`), r.out);
    // Unchanged text comes back as it was with --write, whole.
    const same = bgsafe(['-w', '-q', '--stdin-filename', 'example_addon/drawing.py'], dir, clean);
    assert.equal(same.out, clean);
    assert.equal(readFileSync(path.join(dir, 'example_addon', 'drawing.py'), 'utf8'), clean);
  });

  it("PATH's pyproject.toml and its add-on's declared versions apply; a PATH that does not exist is fine", () => {
    const dir = tree();
    const buffer = `import bpy\nimport gpu\n\n${GPU_LINE}\n`;
    writeFileSync(path.join(dir, 'example_addon', 'pyproject.toml'), '[tool.bgsafe]\nignore = ["BGS001"]\n');
    const ignored = bgsafe(['--format', 'json', '--stdin-filename', 'example_addon/new_module.py'], dir, buffer);
    assert.equal(ignored.code, 0, ignored.stderr);
    const report = JSON.parse(ignored.out);
    assert.equal(report.summary.findings, 0, 'BGS001 ignored by the pyproject.toml beside PATH');
    assert.equal(report.files[0].path, 'example_addon/new_module.py');
    assert.ok(!existsSync(path.join(dir, 'example_addon', 'new_module.py')));
    // --no-config: the same buffer has its finding; the diff is named by PATH.
    const found = bgsafe(['--no-config', '--stdin-filename', 'example_addon/new_module.py'], dir, buffer);
    assert.match(found.out, /^--- a\/example_addon\/new_module\.py\n/);
    // The versions come from the add-on on disk, as for `bgsafe PATH`: here its bl_info says 4.2.
    mkdirSync(path.join(dir, 'later', 'fresh'), { recursive: true });
    const declared = 'bl_info = {"name": "x", "blender": (4, 2, 0)}\n';
    writeFileSync(path.join(dir, 'later', 'fresh', '__init__.py'), declared);
    const pkg = bgsafe(['--format', 'json', '--stdin-filename', 'later/fresh/__init__.py'], dir, `${declared}${buffer}`);
    assert.equal(pkg.code, 0, pkg.stderr);
    assert.equal(JSON.parse(pkg.out).addons[0].targetBlender.min, '4.2');
    assert.equal(JSON.parse(pkg.out).summary.findings, 1);
  });

  it('CRLF, a BOM and Latin-1 come back byte for byte outside the fix', () => {
    const dir = tree();
    const text = `import bpy\r\nimport gpu\r\n# caf\u00e9\r\n${GPU_LINE}\r\n`;
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    const r = bgsafe(['-w', '-q', '--stdin-filename', 'example_addon/drawing.py'], dir, bom);
    assert.equal(r.code, 0, r.stderr);
    const expected = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text.replace(GPU_LINE, `${GPU_LINE} if not bpy.app.background else None`), 'utf8')]);
    assert.ok(r.stdout.equals(expected), r.out);
    const latin1 = Buffer.from(text, 'latin1');
    const l = bgsafe(['-w', '-q', '--stdin-filename', 'example_addon/drawing.py'], dir, latin1);
    assert.ok(l.stdout.equals(Buffer.from(text.replace(GPU_LINE, `${GPU_LINE} if not bpy.app.background else None`), 'latin1')));
  });

  it('--check: exit 1 for a finding, 0 for a clean buffer, 0 with --write when all is fixed', () => {
    const dir = tree();
    const buffer = `import bpy\nimport gpu\n\n${GPU_LINE}\n`;
    assert.equal(bgsafe(['--check', '-q', '--stdin-filename', 'example_addon/drawing.py'], dir, buffer).code, 1);
    assert.equal(bgsafe(['--check', '-q', '--stdin-filename', 'example_addon/drawing.py'], dir, 'import bpy\n').code, 0);
    assert.equal(bgsafe(['--check', '-w', '-q', '--stdin-filename', 'example_addon/drawing.py'], dir, buffer).code, 0);
  });

  it('a fix that needs a new file: the dry run shows it, --write says it was not created', () => {
    const dir = tree();
    const before = snapshot(dir);
    const p = 'timer_tcp_server/__init__.py';
    const buf = readFileSync(path.join(dir, p));
    const dry = bgsafe(['--stdin-filename', p], dir, buf);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.out, /^--- \/dev\/null\n\+\+\+ b\/timer_tcp_server\/bgsafe_runtime\.py\n/m);
    const w = bgsafe(['-w', '--stdin-filename', p], dir, buf);
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stderr, /needs timer_tcp_server\/bgsafe_runtime\.py, which --stdin-filename does not create; run `bgsafe --write timer_tcp_server\/__init__\.py`/);
    assert.deepEqual(snapshot(dir), before);
  });

  it('usage errors (exit 2): other paths, --interactive, a folder, --write with --format json', () => {
    const dir = tree();
    for (const args of [
      ['--stdin-filename', INIT, 'example_addon'],
      ['--stdin-filename', INIT, '-i'],
      ['--stdin-filename', 'example_addon'],
      ['--stdin-filename', INIT, '--write', '--format', 'json'],
    ]) {
      const r = bgsafe(args, dir, 'import bpy\n');
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /stdin-filename/);
    }
  });
});

describe('--help', () => {
  it('documents --color, --progress / --no-progress, --interactive / -i and --stdin-filename', () => {
    const r = bgsafe(['--help'], repoRoot);
    assert.equal(r.code, 0);
    for (const flag of [/--color +colour the diff and text output: auto .*always, never/s, /--progress +show files done \/ total, rate and add-on on stderr.*--no-progress/s, /-i, --interactive +review each fix on the terminal.*implies --write/s, /--stdin-filename +read the file to check from stdin, as if it were PATH/s]) {
      assert.match(r.out, flag);
    }
  });
});
