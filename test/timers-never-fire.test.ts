// BGS011 beyond the single-file fixtures: where the runtime module goes (package root, subpackage, single
// file, a name already taken), that every file of an add-on asks for the same runtime file, that --write
// creates it once and never touches an existing one, and the runtime's pump semantics (run in python3 with a
// stand-in `bpy`, so no Blender is needed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { processSource } from '../src/engine.js';
import { run } from '../src/runner.js';
import { EMBED_BEGIN, embeddedRuntimeText, RUNTIME_FILE_NAME, runtimeModuleText, runtimePlacement, writeRuntimeInto } from '../src/syntax/timers-never-fire-runtime.js';
import { parsePython, syntaxErrors } from '../src/parse.js';
import { modalStartHeadless } from '../rules/modal-start-headless.js';
import { asyncioBlocksRegister } from '../rules/asyncio-blocks-register.js';
import { timersNeverFire } from '../rules/timers-never-fire.js';
import { repoRoot } from './helpers.js';

const SERVICE = 'import bpy\nimport socket\n\n\ndef poll_socket():\n    return 0.05\n\n\ndef register():\n    bpy.app.timers.register(poll_socket)\n';

function addonTree(): { root: string; pkg: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'bgsafe-bgs011-unit-'));
  const pkg = path.join(root, 'remote');
  mkdirSync(path.join(pkg, 'net'), { recursive: true });
  writeFileSync(path.join(pkg, '__init__.py'), `bl_info = {"name": "remote"}\n${SERVICE}`);
  writeFileSync(path.join(pkg, 'net', '__init__.py'), '');
  writeFileSync(path.join(pkg, 'net', 'server.py'), SERVICE.replace('poll_socket', 'serve_clients').replace('poll_socket', 'serve_clients'));
  writeFileSync(path.join(root, 'single.py'), `bl_info = {"name": "single"}\n${SERVICE}`);
  return { root, pkg };
}

describe('BGS011 runtime placement', () => {
  it('package root, subpackage, single file, and a path not on disk', () => {
    const { root, pkg } = addonTree();
    assert.deepEqual(runtimePlacement(path.join(pkg, '__init__.py')), {
      kind: 'package', importLine: 'from . import bgsafe_runtime', createPath: 'bgsafe_runtime.py', packageDir: pkg, exists: false,
    });
    const sub = runtimePlacement(path.join(pkg, 'net', 'server.py'));
    assert.equal(sub.kind, 'package');
    if (sub.kind === 'package') {
      assert.equal(sub.importLine, 'from .. import bgsafe_runtime');
      assert.equal(sub.createPath, '../bgsafe_runtime.py');
    }
    assert.deepEqual(runtimePlacement(path.join(root, 'single.py')), { kind: 'not-a-package' });
    // Entries of a .zip add-on: a module at the archive's root is a single file; one in a folder, a package's.
    writeFileSync(path.join(root, 'bundle.zip'), 'PK');
    assert.deepEqual(runtimePlacement(path.join(root, 'bundle.zip', 'single.py')), { kind: 'not-a-package' });
    assert.equal(runtimePlacement(path.join(root, 'bundle.zip', 'remote', '__init__.py')).kind, 'package');
    assert.equal(runtimePlacement('no/such/file.py').kind, 'package');
  });

  it('an existing runtime is reused; a foreign bgsafe_runtime.py is reported, never replaced', () => {
    const { pkg } = addonTree();
    assert.equal(writeRuntimeInto(pkg).created, true);
    assert.equal(writeRuntimeInto(pkg).created, false);
    const p = runtimePlacement(path.join(pkg, '__init__.py'));
    assert.equal(p.kind === 'package' && p.exists, true);
    const r = processSource(path.join(pkg, '__init__.py'), readFileSync(path.join(pkg, '__init__.py'), 'utf8'), { rules: [timersNeverFire], unsafeFixes: false });
    assert.equal(r.changed, true);
    assert.deepEqual(r.createFiles, [], 'the runtime exists: no file to create');

    writeFileSync(path.join(pkg, RUNTIME_FILE_NAME), '# somebody else\n');
    const f = path.join(pkg, '__init__.py');
    const taken = processSource(f, readFileSync(f, 'utf8'), { rules: [timersNeverFire], unsafeFixes: false });
    assert.equal(taken.changed, false);
    assert.deepEqual(taken.findings.map((x) => x.messageId), ['nameTaken']);
  });

  it('a single-file add-on gets the runtime embedded, once; a script is reported only', () => {
    const { root } = addonTree();
    const f = path.join(root, 'single.py');
    const input = readFileSync(f, 'utf8');
    const rules = [timersNeverFire, modalStartHeadless, asyncioBlocksRegister];
    const r = processSource(f, input, { rules, unsafeFixes: false, absPath: f });
    assert.equal(r.changed, true);
    assert.deepEqual(r.createFiles, [], 'no file beside a single-file add-on');
    assert.deepEqual(r.findings.map((x) => `${x.startPos.line}:${x.startPos.column} ${x.messageId} ${x.fixStatus}`), ['11:5 serviceTimer applied']);
    assert.equal(r.output.split(EMBED_BEGIN).length, 2, 'one block');
    assert.ok(r.output.includes(embeddedRuntimeText('\n')));
    assert.match(r.output, /^import socket\n\n\n# >>> bgsafe runtime >>>$/m, 'after the imports');
    assert.match(r.output, /^ {4}bgsafe_runtime\.schedule\(poll_socket\)$/m);
    assert.deepEqual(syntaxErrors(parsePython(r.output)), []);
    const again = processSource(f, r.output, { rules, unsafeFixes: false, absPath: f });
    assert.equal(again.changed, false, 'a second run adds no second block');
    assert.deepEqual(again.findings, []);

    // A script is not an add-on: nothing would drive the runtime there.
    const script = path.join(root, 'render_job.py');
    writeFileSync(script, SERVICE.replace('def register():', 'if True:'));
    const s = processSource(script, readFileSync(script, 'utf8'), { rules: [timersNeverFire], unsafeFixes: false, absPath: script });
    assert.equal(s.changed, false);
    assert.deepEqual(s.findings.map((x) => x.messageId), ['notAnAddon']);
    assert.match(s.findings[0].message, /drive the work from the script's own loop/);
  });

  it('CRLF files get a CRLF block; an unused block is deleted back to the original bytes', () => {
    const { root } = addonTree();
    const f = path.join(root, 'single.py');
    const crlf = readFileSync(f, 'utf8').replace(/\n/g, '\r\n');
    writeFileSync(f, crlf);
    const r = processSource(f, crlf, { rules: [timersNeverFire], unsafeFixes: false, absPath: f });
    assert.ok(r.output.includes(embeddedRuntimeText('\r\n')));
    assert.equal(/[^\r]\n/.test(r.output), false, 'every line break is CRLF');
    // Undo the call by hand: the block is now unused, and the next run deletes it.
    const reverted = r.output.replace('bgsafe_runtime.schedule(poll_socket)', 'poll_socket()');
    const cleaned = processSource(f, reverted, { rules: [timersNeverFire], unsafeFixes: false, absPath: f });
    assert.deepEqual(cleaned.findings.map((x) => `${x.messageId} ${x.fixStatus}`), ['unusedRuntime applied']);
    assert.equal(cleaned.output, crlf.replace('bpy.app.timers.register(poll_socket)', 'poll_socket()'));
    // With no import to follow, the block goes first and leaves as cleanly.
    const bare = 'bl_info = {"name": "bare"}\n\n\ndef poll_socket():\n    return 0.05\n\n\ndef register():\n    bpy.app.timers.register(poll_socket)\n';
    writeFileSync(f, bare);
    const b = processSource(f, bare, { rules: [timersNeverFire], unsafeFixes: false, absPath: f });
    assert.ok(b.output.startsWith(`${embeddedRuntimeText('\n')}\n\n\nbl_info`), b.output.slice(0, 80));
    const back = processSource(f, b.output.replace('bgsafe_runtime.schedule(poll_socket)', 'poll_socket()'), { rules: [timersNeverFire], unsafeFixes: false, absPath: f });
    assert.equal(back.output, bare.replace('bpy.app.timers.register(poll_socket)', 'poll_socket()'));
  });

  it('a package whose __init__ carries the block (a single file made a package) imports it, creates no file', () => {
    const { root } = addonTree();
    const single = path.join(root, 'single.py');
    const fixed = processSource(single, readFileSync(single, 'utf8'), { rules: [timersNeverFire], unsafeFixes: false, absPath: single }).output;
    const pkg = path.join(root, 'single_pkg');
    mkdirSync(pkg);
    writeFileSync(path.join(pkg, '__init__.py'), fixed);
    writeFileSync(path.join(pkg, 'worker.py'), SERVICE.replace('poll_socket', 'poll_queue').replace('poll_socket', 'poll_queue'));
    const w = path.join(pkg, 'worker.py');
    const r = processSource(w, readFileSync(w, 'utf8'), { rules: [timersNeverFire], unsafeFixes: false, absPath: w });
    assert.match(r.output, /^from \. import bgsafe_runtime$/m);
    assert.deepEqual(r.createFiles, []);
    const init = path.join(pkg, '__init__.py');
    assert.equal(processSource(init, fixed, { rules: [timersNeverFire], unsafeFixes: false, absPath: init }).changed, false);
  });
});

describe('BGS011 through the runner', () => {
  it('every file of the add-on asks for one runtime; --write creates it once; a second run changes nothing', async () => {
    const { pkg } = addonTree();
    const dry = await run({ paths: [pkg], write: false, select: ['BGS011'], config: false });
    assert.deepEqual(dry.errors, []);
    const created = dry.files.filter((f) => f.created);
    assert.deepEqual(created.map((f) => path.basename(f.absPath)), [RUNTIME_FILE_NAME]);
    assert.equal(created[0].output, runtimeModuleText());
    assert.equal(dry.files.filter((f) => f.changed && !f.created).length, 2);

    const wrote = await run({ paths: [pkg], write: true, select: ['BGS011'], config: false });
    assert.deepEqual(wrote.errors, []);
    assert.equal(readFileSync(path.join(pkg, RUNTIME_FILE_NAME), 'utf8'), runtimeModuleText());
    assert.match(readFileSync(path.join(pkg, 'net', 'server.py'), 'utf8'), /^from \.\. import bgsafe_runtime$/m);
    assert.match(readFileSync(path.join(pkg, '__init__.py'), 'utf8'), /^from \. import bgsafe_runtime$/m);
    const again = await run({ paths: [pkg], write: false, select: ['BGS011'], config: false });
    assert.equal(again.summary.filesChanged, 0);
    assert.equal(again.summary.findings, 0);
  });
});

describe('bgsafe_runtime pump (python3, stand-in bpy)', () => {
  const python3 = spawnSync('python3', ['--version']).status === 0;
  it('honours intervals, None, errors, identity, double registration, GUI delegation, asyncio, stop', { skip: python3 ? false : 'no python3' }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-runtime-'));
    writeFileSync(path.join(dir, 'bgsafe_runtime.py'), runtimeModuleText());
    writeFileSync(
      path.join(dir, 'bpy.py'),
      [
        'class _Handlers:', '    load_pre = []', '    @staticmethod', '    def persistent(f):', '        return f',
        'class _Timers:', '    calls = []',
        '    def register(self, f, first_interval=0, persistent=False): self.calls.append(("register", f, first_interval, persistent))',
        '    def unregister(self, f): self.calls.append(("unregister", f))',
        '    def is_registered(self, f): return True',
        'class app:', '    background = True', '    timers = _Timers()', '    handlers = _Handlers()', '',
      ].join('\n'),
    );
    const script = String.raw`
import asyncio, time, bpy, bgsafe_runtime as rt
calls = []
def every(): calls.append("every"); return 0.0 if len(calls) < 3 else None
rt.schedule(every)
assert rt.pump() is None or True
rt.pump(); rt.pump()
assert calls == ["every"] * 3, calls
assert not rt.is_scheduled(every)
def boom(): raise RuntimeError("x")
rt.schedule(boom); rt.pump(); assert not rt.is_scheduled(boom)
def f(): return None
rt.schedule(f); rt.schedule(f); rt.unschedule(f); assert rt.is_scheduled(f); rt.unschedule(f)
try:
    rt.unschedule(f); raise SystemExit("no ValueError")
except ValueError as e:
    assert str(e) == "Error: function is not registered"
later = []
rt.schedule(lambda: later.append(1), first_interval=10)
assert 9 < rt.pump() <= 10
rt.shutdown()
async def co():
    await asyncio.sleep(0)
    return 42
task = rt.run_coroutine(co())
for _ in range(10):
    rt.pump(); time.sleep(0.011)
assert task.done() and task.result() == 42
time.sleep(0.011); rt.pump()
assert rt.pump() is None, "the stepper stops when no task is left"
rt.schedule(rt.request_stop, first_interval=0.05)
t0 = time.monotonic(); rt.serve_forever(handle_signals=False)
assert rt.stop_requested() and time.monotonic() - t0 < 2
bpy.app.background = False
g = lambda: None
rt.schedule(g, first_interval=2, persistent=True); rt.unschedule(g)
assert bpy.app.timers.calls == [("register", g, 2, True), ("unregister", g)], bpy.app.timers.calls
print("ok")
`;
    const r = spawnSync('python3', ['-c', script], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /ok/);
  });

  it('the template in python/ is what the rule generates', () => {
    assert.equal(runtimeModuleText(), readFileSync(path.join(repoRoot, 'python', 'bgsafe_runtime.py'), 'utf8'));
    assert.ok(existsSync(path.join(repoRoot, 'python', 'service_launcher.py')));
  });
});
