// The scaffolded service launcher in real Blender (Debian's 3.4, $BLENDER4, $BLENDER5):
//   1. Blender's Python keeps its own prefix when the launcher is run from a virtualenv (its python3, its bin
//      first on PATH, VIRTUAL_ENV set) or with a pyenv-like installation's bin first on PATH: an add-on that
//      imports a package found only in the system's Python (picked here: the first of a few candidates that
//      Blender imports from /usr with a clean environment) is enabled and the service gets ready. Control:
//      the same run with --keep-python-env (the environment passed on unchanged, as the launcher did
//      before) fails to enable it, so the environments built here really are hostile;
//   2. readiness: `service: ready: <add-on>` and --ready-file (JSON: add-on, Blender's pid, seconds, the
//      start operators); the file is gone after SIGTERM, exit code 0, unregister() ran;
//   3. start operators: called in order with their properties; one returning {'CANCELLED'}, an unknown one
//      and one whose poll() fails each stop the service with exit code 1, a line naming the operator and
//      what it returned or raised, unregister() run, and no ready file.
// Every wait is bounded; every process runs in its own process group, killed at the end.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { scaffoldService } from '../src/scaffold/service.js';
import { exited, killGroup, serviceBlenders } from './service-helpers.js';

const blenders = serviceBlenders();
const CLEAN_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
// Packages that a Debian system Python may hold in /usr/lib/python3/dist-packages (numpy is one of
// Blender's on trixie and sid, not on bookworm).
const CANDIDATES = ['numpy', 'requests', 'yaml', 'pygments', 'distro', 'jwt', 'six', 'certifi', 'idna', 'urllib3', 'apt_pkg'];

interface Probe {
  version: string;
  prefix: string;
  found: Record<string, string>;
}

/** Blender's Python with a clean environment: its X.Y, prefix, and which candidates import from where.
 *  It also lays out `pyenvLike`, a pyenv-like installation of Blender's own Python (the layout of
 *  ~/.pyenv/versions/<v>): bin/python<X.Y>, and lib/python<X.Y> with a copy of os.py (the landmark Python
 *  looks for) and links to the rest of the standard library. Made from inside Blender, so that a chroot's
 *  Blender gets its own interpreter and library while the files are real on this side too. */
function probeBlender(blender: string, work: string, pyenvLike: string): Probe {
  const script = path.join(work, 'probe.py');
  writeFileSync(
    script,
    [
      'import importlib, json, os, shutil, sys',
      'found = {}',
      `for name in ${JSON.stringify(CANDIDATES)}:`,
      '    try:',
      '        found[name] = importlib.import_module(name).__file__ or ""',
      '    except Exception:',
      '        pass',
      'v = "%d.%d" % sys.version_info[:2]',
      `prefix = ${JSON.stringify(pyenvLike)}`,
      'stdlib = os.path.dirname(os.__file__)',
      'lib = os.path.join(prefix, "lib", "python" + v)',
      'os.makedirs(lib)',
      'for entry in os.listdir(stdlib):',
      '    if entry == "os.py":',
      '        shutil.copy2(os.path.join(stdlib, entry), os.path.join(lib, entry))',
      '    elif entry not in ("site-packages", "dist-packages"):',
      '        os.symlink(os.path.join(stdlib, entry), os.path.join(lib, entry))',
      'os.makedirs(os.path.join(prefix, "bin"))',
      'for name, target in (("python" + v, "/usr/bin/python" + v), ("python3", "/usr/bin/python3")):',
      '    with open(os.path.join(prefix, "bin", name), "w") as f:',
      '        f.write("#!/bin/sh\\nexec %s \\"$@\\"\\n" % target)',
      '    os.chmod(os.path.join(prefix, "bin", name), 0o755)',
      'print("BGSAFE_PROBE " + json.dumps({"version": v, "prefix": sys.prefix, "found": found}), flush=True)',
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { PATH: CLEAN_PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };
  const r = spawnSync(blender, ['--background', '--factory-startup', '--python', script], { env, encoding: 'utf8', timeout: 120_000, cwd: work });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('BGSAFE_PROBE '));
  assert.ok(line, `the probe did not run in ${blender}: ${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice('BGSAFE_PROBE '.length)) as Probe;
}

interface ServiceRun {
  code: number | string | null;
  log: string;
  /** The ready file's JSON, read when it appeared; null when it never did. */
  ready: Record<string, unknown> | null;
  /** Whether the ready file still existed once the launcher had exited. */
  readyLeft: boolean;
  /** Whether the ready file's pid was a live process when the file was read. */
  pidAlive: boolean;
}

/** Start `command args` (a launcher); once the ready file appears, read it and send SIGTERM. */
async function runService(command: string, args: string[], env: NodeJS.ProcessEnv, readyFile: string, ms = 120_000): Promise<ServiceRun> {
  let log = '';
  const p = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout!.on('data', (d) => (log += d));
  p.stderr!.on('data', (d) => (log += d));
  let ready: Record<string, unknown> | null = null;
  let pidAlive = false;
  try {
    const end = Date.now() + ms;
    while (Date.now() < end && p.exitCode === null && p.signalCode === null) {
      if (ready === null && existsSync(readyFile)) {
        ready = JSON.parse(readFileSync(readyFile, 'utf8')) as Record<string, unknown>;
        try {
          process.kill(ready.pid as number, 0);
          pidAlive = true;
        } catch {
          // no such process
        }
        p.kill('SIGTERM');
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const code = await exited(p, ready ? 15_000 : Math.max(1000, end - Date.now()));
    return { code, log, ready, readyLeft: existsSync(readyFile), pidAlive };
  } finally {
    killGroup(p);
  }
}

function writeFile(p: string, text: string, mode?: number): void {
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  if (mode !== undefined) chmodSync(p, mode);
}

/** A virtualenv made by the system's python3 (a hand-made pyvenv.cfg where `-m venv` is missing), with a
 *  python<X.Y> for Blender's Python (inside a chroot the link resolves to the chroot's interpreter). */
function makeVenv(dir: string, version: string): void {
  const made = spawnSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', dir], { encoding: 'utf8' });
  if (made.status !== 0) {
    writeFile(path.join(dir, 'pyvenv.cfg'), 'home = /usr/bin\ninclude-system-site-packages = false\n');
    mkdirSync(path.join(dir, 'bin'), { recursive: true });
    symlinkSync('/usr/bin/python3', path.join(dir, 'bin', 'python3'));
  }
  if (!existsSync(path.join(dir, 'bin', `python${version}`))) symlinkSync(`/usr/bin/python${version}`, path.join(dir, 'bin', `python${version}`));
}

const STARTER = `bl_info = {"name": "bgsafe test starter", "blender": (3, 0, 0), "category": "Development"}
import json
import os

import bpy


def note(line):
    with open(os.environ["BGSAFE_TEST_OUT"], "a") as f:
        f.write(line + "\\n")


class STARTER_OT_start(bpy.types.Operator):
    bl_idname = "starter.start"
    bl_label = "Start the test service"
    port: bpy.props.IntProperty(default=1)
    host: bpy.props.StringProperty(default="")
    verbose: bpy.props.BoolProperty(default=False)

    def execute(self, context):
        note("start port=%d host=%s verbose=%s" % (self.port, json.dumps(self.host), self.verbose))
        return {"FINISHED"}


class STARTER_OT_refuse(bpy.types.Operator):
    bl_idname = "starter.refuse"
    bl_label = "Refuse to start"

    def execute(self, context):
        note("refuse")
        return {"CANCELLED"}


class STARTER_OT_headed(bpy.types.Operator):
    bl_idname = "starter.headed"
    bl_label = "Start only with a window"

    @classmethod
    def poll(cls, context):
        return not bpy.app.background

    def execute(self, context):
        note("headed")
        return {"FINISHED"}


CLASSES = (STARTER_OT_start, STARTER_OT_refuse, STARTER_OT_headed)


def register():
    for c in CLASSES:
        bpy.utils.register_class(c)


def unregister():
    note("unregistered")
    for c in reversed(CLASSES):
        bpy.utils.unregister_class(c)
`;

describe('the service launcher in real headless Blender', { concurrency: 1 }, () => {
  for (const b of blenders) {
    it(`Blender's Python keeps its prefix under a virtualenv or pyenv-like PATH: ${b.label}`, { skip: b.skip, timeout: 600_000 }, async (t) => {
      if (b.skip) {
        console.log(`skipped: ${b.skip}`);
        return;
      }
      const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-launcher-env-'));
      try {
        const pyenv = path.join(work, 'pyenv', 'versions', 'like-blenders');
        const probe = probeBlender(b.path!, work, pyenv);
        const pkg = CANDIDATES.find((n) => probe.found[n]?.startsWith('/usr/'));
        t.diagnostic(`Blender's Python ${probe.version}, prefix ${probe.prefix}; system-only package: ${pkg} (${pkg && probe.found[pkg]})`);
        if (!pkg) {
          const why = `no package of the system's Python imports in this Blender (tried ${CANDIDATES.join(', ')})`;
          console.log(`skipped: ${why}`);
          t.skip(why);
          return;
        }
        const addon = path.join(work, 'src', 'sysonly_probe');
        writeFile(
          path.join(addon, '__init__.py'),
          `bl_info = {"name": "system package probe", "blender": (3, 0, 0), "category": "Development"}\nimport json\nimport os\nimport sys\n\nimport ${pkg}\n\n\ndef register():\n    with open(os.environ["BGSAFE_TEST_OUT"], "w") as f:\n        json.dump({"prefix": sys.prefix, "executable": sys.executable, "module": ${pkg}.__file__}, f)\n\n\ndef unregister():\n    pass\n`,
        );
        const r = scaffoldService({ addon, out: path.join(work, 'service') });
        const venv = path.join(work, 'venv');
        makeVenv(venv, probe.version);
        const scenarios = [
          { name: 'virtualenv', python: path.join(venv, 'bin', 'python3'), env: { PATH: `${venv}/bin:${process.env.PATH}`, VIRTUAL_ENV: venv }, prefix: venv },
          { name: 'pyenv-like', python: path.join(pyenv, 'bin', 'python3'), env: { PATH: `${pyenv}/bin:${process.env.PATH}` }, prefix: pyenv },
        ];
        for (const s of scenarios) {
          for (const keep of [true, false]) {
            const out = path.join(work, `${s.name}-${keep}.json`);
            const readyFile = path.join(work, `${s.name}-${keep}.ready`);
            const env: NodeJS.ProcessEnv = { ...process.env, ...s.env, BLENDER: b.path!, BGSAFE_TEST_OUT: out };
            delete env.BGSAFE_KEEP_PYTHON_ENV;
            const args = [r.launcher, '--ready-file', readyFile, ...(keep ? ['--keep-python-env'] : [])];
            const run = await runService(s.python, args, env, readyFile);
            const seen = existsSync(out) ? readFileSync(out, 'utf8') : '(not enabled)';
            t.diagnostic(`${s.name}${keep ? ' --keep-python-env' : ''}: exit ${run.code}; ready ${run.ready !== null}; ${seen}`);
            if (keep) {
              // Control: the environment as it is makes Blender's Python adopt the folder's prefix.
              assert.equal(run.ready, null, `control (${s.name}, environment unchanged): the add-on was enabled after all:\n${run.log}`);
              assert.notEqual(run.code, 0, run.log);
              assert.match(run.log, new RegExp(`ModuleNotFoundError: No module named '${pkg}'`));
              assert.match(run.log, /service: the add-on 'sysonly_probe' could not be enabled/);
              assert.equal(run.readyLeft, false);
            } else {
              assert.ok(run.ready, `${s.name}: the service never got ready; output:\n${run.log}`);
              assert.equal(run.code, 0, run.log);
              const info = JSON.parse(seen) as { prefix: string; module: string; executable: string };
              assert.ok(info.module.startsWith('/usr/'), `${pkg} imported from ${info.module}`);
              assert.ok(!info.prefix.startsWith(s.prefix), `sys.prefix ${info.prefix}`);
              assert.ok(!info.executable.startsWith(s.prefix), `sys.executable ${info.executable}`);
              assert.match(run.log, new RegExp(`Blender runs without the caller's Python environment: .*${s.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/bin \\(a `));
            }
          }
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });

    it(`readiness and start operators: ${b.label}`, { skip: b.skip, timeout: 600_000 }, async (t) => {
      if (b.skip) {
        console.log(`skipped: ${b.skip}`);
        return;
      }
      const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-launcher-start-'));
      try {
        const addon = path.join(work, 'src', 'starter');
        writeFile(path.join(addon, '__init__.py'), STARTER);
        const launch = async (name: string, start: Parameters<typeof scaffoldService>[0]['start']) => {
          const r = scaffoldService({ addon, out: path.join(work, name), start });
          const out = path.join(work, `${name}.out`);
          const readyFile = path.join(work, `${name}.ready`);
          const t0 = Date.now();
          const run = await runService('python3', [r.launcher, '--ready-file', readyFile], { ...process.env, BLENDER: b.path!, BGSAFE_TEST_OUT: out }, readyFile);
          const notes = existsSync(out) ? readFileSync(out, 'utf8') : '';
          t.diagnostic(`${name}: exit ${run.code} after ${((Date.now() - t0) / 1000).toFixed(2)} s; ready ${JSON.stringify(run.ready)}; add-on: ${JSON.stringify(notes)}`);
          return { ...run, notes, elapsed: (Date.now() - t0) / 1000 };
        };

        // Two start operators, in order, with their properties (quotes and a backslash in a string).
        const host = `local"h'ost\\x`;
        const ok = await launch('ok', [
          { idname: 'starter.start', properties: { port: 9876, host, verbose: true } },
          { idname: 'starter.start', properties: { port: 2 } },
        ]);
        assert.ok(ok.ready, `never ready:\n${ok.log}`);
        assert.equal(ok.code, 0, `SIGTERM after ready: ${ok.log}`);
        assert.equal(ok.ready.addon, 'starter');
        assert.equal(typeof ok.ready.pid, 'number');
        assert.ok(ok.pidAlive, `Blender's pid ${ok.ready.pid} was not a live process when the ready file was read`);
        assert.notEqual(ok.ready.pid, ok.ready.launcher_pid);
        assert.ok((ok.ready.seconds as number) > 0 && (ok.ready.seconds as number) <= ok.elapsed, `seconds ${ok.ready.seconds}`);
        assert.deepEqual(
          (ok.ready.started as Array<{ idname: string; properties: unknown }>).map((s) => [s.idname, s.properties]),
          [['starter.start', { port: 9876, host, verbose: true }], ['starter.start', { port: 2 }]],
        );
        assert.equal(ok.notes, `start port=9876 host=${JSON.stringify(host)} verbose=True\nstart port=2 host="" verbose=False\nunregistered\n`);
        assert.match(ok.log, /service: ready: starter \(\d+\.\d\d s after launch\)/);
        assert.match(ok.log, /service: started bpy\.ops\.starter\.start\(host=.*, port=9876, verbose=True\) -> \{'FINISHED'\}/);
        assert.equal(ok.readyLeft, false, 'the ready file is removed when the service stops');

        // Failing starts: exit 1, the reason, unregister() ran, never a ready file.
        const failures: Array<[string, Parameters<typeof scaffoldService>[0]['start'], RegExp, string]> = [
          [
            'refuse',
            [{ idname: 'starter.refuse', properties: {} }],
            /service: start operator bpy\.ops\.starter\.refuse\(\) returned \{'CANCELLED'\} \(expected \{'FINISHED'\} or \{'RUNNING_MODAL'\}\); stopping starter/,
            'refuse\nunregistered\n',
          ],
          [
            'unknown',
            [{ idname: 'starter.start', properties: {} }, { idname: 'nosuch.op', properties: { port: 1 } }],
            /service: start operator bpy\.ops\.nosuch\.op\(port=1\) failed: AttributeError: Calling operator "bpy\.ops\.nosuch\.op" error, could not be found; stopping starter/,
            'start port=1 host="" verbose=False\nunregistered\n',
          ],
          [
            'poll',
            [{ idname: 'starter.headed', properties: {} }],
            /service: start operator bpy\.ops\.starter\.headed\(\) failed: RuntimeError: Operator bpy\.ops\.starter\.headed\.poll\(\) failed, context is incorrect; stopping starter/,
            'unregistered\n',
          ],
        ];
        for (const [name, start, message, notes] of failures) {
          const run = await launch(name, start);
          assert.equal(run.ready, null, `${name}: a ready file was written:\n${run.log}`);
          assert.equal(run.code, 1, `${name}: exit code ${run.code}:\n${run.log}`);
          assert.match(run.log, message);
          assert.match(run.log, /service: starter stopped before it was ready \(Blender's exit code 1\)/);
          assert.doesNotMatch(run.log, /service: ready:/);
          assert.equal(run.notes, notes, `${name}: what the add-on did`);
          assert.equal(run.readyLeft, false);
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
