// Unit tests for the add-on model's helpers for rules: the functions a set of functions reaches in one
// file, how many modules the add-on has, and the package model taking over the tree rules run on.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { parsePython } from '../src/parse.js';
import { addonModelFor, clearAddonModels } from '../src/model/addon.js';
import { fileModel, reachedInFile } from '../src/model/index.js';
import { moduleIndex } from '../src/model/module.js';

const SOURCE = [
  'class Helper:',
  '    @staticmethod',
  '    def setup():',
  '        deeper()',
  '',
  'def deeper():',
  '    pass',
  '',
  'def unrelated():',
  '    pass',
  '',
  'def register():',
  '    def inner():',
  '        pass',
  '    inner()',
  '    Helper.setup()',
  '    run = lambda: unrelated()',
  '',
].join('\n');

describe('reachedInFile', () => {
  it('follows nested functions, methods and plain calls of the file, not lambdas', () => {
    const tree = parsePython(SOURCE);
    const model = fileModel('/nonexistent/single.py', SOURCE, tree);
    const register = model.index.functions.get('register')!;
    assert.deepEqual([...reachedInFile(model, [register])].sort(), ['Helper.setup', 'deeper', 'register', 'register.inner']);
    assert.deepEqual([...reachedInFile(model, [])], []);
  });
});

describe('moduleCount and the tree of the file being checked', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-model-'));
  const pkg = path.join(dir, 'addon');
  mkdirSync(pkg);
  const init = 'from . import ops\n\ndef register():\n    ops.setup()\n';
  const ops = 'def setup():\n    pass\n';
  writeFileSync(path.join(pkg, '__init__.py'), init);
  writeFileSync(path.join(pkg, 'ops.py'), ops);
  writeFileSync(path.join(dir, 'script.py'), ops);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('counts the modules of the package, 1 for a file outside one', () => {
    clearAddonModels();
    assert.equal(fileModel(path.join(pkg, 'ops.py'), ops, parsePython(ops)).moduleCount, 2);
    assert.equal(fileModel(path.join(dir, 'script.py'), ops, parsePython(ops)).moduleCount, 1);
  });
  it('indexes the tree it is given when its text is the one on disk, else parses the file', () => {
    clearAddonModels();
    const tree = parsePython(ops);
    assert.equal(addonModelFor(path.join(pkg, 'ops.py'), { text: ops, tree }).index('addon.ops'), moduleIndex(tree));
    clearAddonModels();
    const edited = `${ops}# edited\n`;
    const other = parsePython(edited);
    const idx = addonModelFor(path.join(pkg, 'ops.py'), { text: edited, tree: other }).index('addon.ops');
    assert.notEqual(idx, moduleIndex(other));
    assert.deepEqual([...idx!.functions.keys()], ['setup']);
  });
});
