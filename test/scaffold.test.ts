// `bgsafe scaffold service`: the two files it writes (valid Python, the add-on's name and relative path
// filled in, the launcher executable), its usage errors (exit code 2, one line, no stack trace), and the
// note when the add-on still uses bpy.app.timers without the runtime.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { scaffoldCommand, scaffoldService, ScaffoldUsageError } from '../src/scaffold/index.js';
import { repoRoot } from './helpers.js';

function work(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-scaffold-'));
  cpSync(path.join(repoRoot, 'fixtures', 'addons', 'timer_tcp_server'), path.join(dir, 'timer_tcp_server'), { recursive: true });
  return dir;
}

async function runCommand(args: Record<string, unknown>): Promise<{ code: number | undefined; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  const before = process.exitCode;
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    await scaffoldCommand.handler({ _: [], $0: 'bgsafe', kind: 'service', force: false, ...args } as never);
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
  const code = process.exitCode as number | undefined;
  process.exitCode = before;
  return { code, out: out.join(''), err: err.join('') };
}

describe('bgsafe scaffold service', () => {
  it('writes a launcher and a service script that compile, with the add-on filled in', () => {
    const dir = work();
    const r = scaffoldService({ addon: path.join(dir, 'timer_tcp_server'), out: path.join(dir, 'svc') });
    assert.equal(path.basename(r.launcher), 'timer_tcp_server_service.py');
    assert.equal(path.basename(r.script), 'timer_tcp_server_service_blender.py');
    const launcher = readFileSync(r.launcher, 'utf8');
    const script = readFileSync(r.script, 'utf8');
    assert.doesNotMatch(launcher + script, /__BGSAFE_[A-Z_]+__/);
    assert.match(launcher, /ADDON_PATH = os\.path\.join\(HERE, "\.\.\/timer_tcp_server"\)/);
    assert.match(script, /BGSAFE_SERVICE_ADDON", "timer_tcp_server"\)/);
    assert.ok(statSync(r.launcher).mode & 0o100, 'the launcher is executable');
    const compiled = spawnSync('python3', ['-m', 'py_compile', r.launcher, r.script], { encoding: 'utf8' });
    assert.equal(compiled.status, 0, compiled.stderr);
    assert.equal(r.notes.length, 1, 'the add-on still uses bpy.app.timers without the runtime: a note says so');
    assert.match(r.notes[0], /bgsafe --write/);
  });

  it('no note once the add-on has its runtime; a single-file add-on works too', () => {
    const dir = work();
    writeFileSync(path.join(dir, 'timer_tcp_server', 'bgsafe_runtime.py'), '# BGSAFE_RUNTIME_VERSION = 1\n');
    const src = readFileSync(path.join(dir, 'timer_tcp_server', '__init__.py'), 'utf8');
    writeFileSync(path.join(dir, 'timer_tcp_server', '__init__.py'), src.replace(/bpy\.app\.timers\.register\(/g, 'bgsafe_runtime.schedule('));
    assert.deepEqual(scaffoldService({ addon: path.join(dir, 'timer_tcp_server'), out: path.join(dir, 'a') }).notes, []);
    writeFileSync(path.join(dir, 'lone.py'), 'bl_info = {"name": "lone"}\ndef register(): pass\ndef unregister(): pass\n');
    const r = scaffoldService({ addon: path.join(dir, 'lone.py') });
    assert.equal(r.launcher, path.join(dir, 'lone_service.py'));
    assert.match(readFileSync(r.launcher, 'utf8'), /"lone\.py"/);
  });

  it('usage errors: exit 2 with one line; existing files need --force', async () => {
    const dir = work();
    mkdirSync(path.join(dir, 'not_addon'));
    assert.throws(() => scaffoldService({ addon: path.join(dir, 'missing') }), ScaffoldUsageError);
    assert.throws(() => scaffoldService({ addon: path.join(dir, 'not_addon') }), /needs an __init__\.py/);
    assert.throws(() => scaffoldService({ addon: path.join(dir, 'timer_tcp_server'), out: path.join(dir, 'timer_tcp_server', 'x') }), /inside the add-on/);
    writeFileSync(path.join(dir, 'bad-name.py'), '');
    assert.throws(() => scaffoldService({ addon: path.join(dir, 'bad-name.py') }), /not a Python module name/);

    const ok = await runCommand({ addon: path.join(dir, 'timer_tcp_server') });
    assert.equal(ok.code, 0);
    assert.match(ok.out, /wrote .*timer_tcp_server_service\.py/);
    const again = await runCommand({ addon: path.join(dir, 'timer_tcp_server') });
    assert.equal(again.code, 2);
    assert.match(again.err, /^bgsafe scaffold: .*exists already \(--force overwrites it\)\n$/);
    const forced = await runCommand({ addon: path.join(dir, 'timer_tcp_server'), force: true });
    assert.equal(forced.code, 0);
  });
});
