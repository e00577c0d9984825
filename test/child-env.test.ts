// src/child-env.ts: which PATH folders and variables Blender's environment leaves out (virtualenvs, conda,
// shims, other Python installations; VIRTUAL_ENV, PYTHONEXECUTABLE), which it keeps (system folders, plain
// folders, PYTHONPATH/PYTHONHOME), BGSAFE_KEEP_PYTHON_ENV=1; and that the launcher template's Python copy of
// the rules (python/service_launcher.py, blender_environment) gives the same answer on the same folders.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { blenderChildEnv, pythonEnvironmentKind } from '../src/child-env.js';
import { repoRoot } from './helpers.js';

const root = mkdtempSync(path.join(tmpdir(), 'bgsafe-child-env-'));
after(() => rmSync(root, { recursive: true, force: true }));

function file(p: string, text = '', mode = 0o755): string {
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}

// The folders, made once: each the bin of one kind of Python environment, and some that are none.
const venv = path.join(root, 'venv');
file(path.join(venv, 'pyvenv.cfg'), 'home = /usr/bin\ninclude-system-site-packages = false\n', 0o644);
mkdirSync(path.join(venv, 'bin'), { recursive: true });
symlinkSync('/usr/bin/python3', path.join(venv, 'bin', 'python3'));
symlinkSync('python3', path.join(venv, 'bin', 'python3.11'));
const conda = path.join(root, 'conda');
mkdirSync(path.join(conda, 'conda-meta'), { recursive: true });
file(path.join(conda, 'bin', 'python3.12'), '\x7fELF');
const shims = path.join(root, 'pyenv', 'shims');
file(path.join(shims, 'python3.11'), '#!/usr/bin/env bash\nexec pyenv exec "$0" "$@"\n');
const install = path.join(root, 'opt-python');
file(path.join(install, 'bin', 'python3.11'), '\x7fELF');
file(path.join(install, 'lib', 'python3.11', 'os.py'), '', 0o644);
// Not environments: tools without a python, a python wrapper with no prefix or venv around it, a "shims"
// folder whose python is a binary, a venv's bin that holds no python at all.
const tools = path.join(root, 'tools');
file(path.join(tools, 'ffmpeg'), '#!/bin/sh\n');
const wrapper = path.join(root, 'wrapper', 'bin');
file(path.join(wrapper, 'python3'), '#!/bin/sh\nexec /usr/bin/python3 "$@"\n');
const binaryShims = path.join(root, 'other', 'shims');
file(path.join(binaryShims, 'python3'), '\x7fELF');
const emptyVenv = path.join(root, 'empty-venv');
file(path.join(emptyVenv, 'pyvenv.cfg'), '', 0o644);
file(path.join(emptyVenv, 'bin', 'tool'), '');

const PATH = [venv + '/bin', conda + '/bin', shims, install + '/bin', tools, wrapper, binaryShims, emptyVenv + '/bin', '/usr/bin', '/bin', '', '/no/such/folder'].join(':');

describe('child-env: Blender without the caller\'s Python environments', () => {
  it('names each kind of Python environment and leaves other folders alone', () => {
    assert.equal(pythonEnvironmentKind(path.join(venv, 'bin')), 'a virtualenv');
    assert.equal(pythonEnvironmentKind(path.join(conda, 'bin')), 'a conda environment');
    assert.equal(pythonEnvironmentKind(shims), 'a folder of Python shims');
    assert.equal(pythonEnvironmentKind(path.join(install, 'bin')), `a Python installation in ${install}`);
    for (const d of [tools, wrapper, binaryShims, path.join(emptyVenv, 'bin'), '/usr/bin', '/bin', '/no/such/folder']) {
      assert.equal(pythonEnvironmentKind(d), undefined, d);
    }
  });

  it('leaves those folders out of PATH (order kept), unsets VIRTUAL_ENV and PYTHONEXECUTABLE, keeps the rest', () => {
    const env = { PATH, VIRTUAL_ENV: venv, PYTHONEXECUTABLE: venv + '/bin/python3', PYTHONPATH: '/x', PYTHONHOME: '/y', HOME: '/h', CONDA_PREFIX: conda };
    const r = blenderChildEnv(env);
    assert.equal(r.env.PATH, [tools, wrapper, binaryShims, emptyVenv + '/bin', '/usr/bin', '/bin', '', '/no/such/folder'].join(':'));
    assert.equal(r.env.VIRTUAL_ENV, undefined);
    assert.equal(r.env.PYTHONEXECUTABLE, undefined);
    assert.equal('VIRTUAL_ENV' in r.env, false);
    assert.deepEqual([r.env.PYTHONPATH, r.env.PYTHONHOME, r.env.HOME, r.env.CONDA_PREFIX], ['/x', '/y', '/h', conda]);
    assert.deepEqual(r.leftOut, [
      `${venv}/bin (a virtualenv)`,
      `${conda}/bin (a conda environment)`,
      `${shims} (a folder of Python shims)`,
      `${install}/bin (a Python installation in ${install})`,
      '$VIRTUAL_ENV',
      '$PYTHONEXECUTABLE',
    ]);
    assert.equal(env.PATH, PATH, 'the caller\'s environment is not changed');
    assert.equal(env.VIRTUAL_ENV, venv);
  });

  it('a PATH without Python environments is passed on as it is; BGSAFE_KEEP_PYTHON_ENV=1 keeps everything', () => {
    const clean = blenderChildEnv({ PATH: '/usr/bin:/bin', A: 'b' });
    assert.deepEqual(clean, { env: { PATH: '/usr/bin:/bin', A: 'b' }, leftOut: [] });
    const kept = blenderChildEnv({ PATH, VIRTUAL_ENV: venv, BGSAFE_KEEP_PYTHON_ENV: '1' });
    assert.deepEqual(kept, { env: { PATH, VIRTUAL_ENV: venv, BGSAFE_KEEP_PYTHON_ENV: '1' }, leftOut: [] });
    assert.deepEqual(blenderChildEnv({}).env, {});
  });

  it('the launcher template (python/service_launcher.py) applies the same rules', { skip: spawnSync('python3', ['--version']).status !== 0 && 'no python3' }, () => {
    const env = { PATH, VIRTUAL_ENV: venv, PYTHONEXECUTABLE: 'x', PYTHONPATH: '/x' };
    const code = [
      'import importlib.util, json, sys',
      'spec = importlib.util.spec_from_file_location("launcher", sys.argv[1])',
      'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
      'env, left_out = m.blender_environment(json.loads(sys.argv[2]))',
      'print(json.dumps({"env": env, "leftOut": left_out}))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', code, path.join(repoRoot, 'python', 'service_launcher.py'), JSON.stringify(env)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), blenderChildEnv(env));
  });
});
