// The add-on model on a small package written to a temporary folder: imports resolved across files
// (relative ones, `import pkg.m as m`, a subpackage), the call graph from register() through other files
// (plain calls, module.func(), Class.method(), self.method(), `mod.register()` over a list of modules),
// guards that make code unreachable headless, and where code runs headless (handlers, timers, threads).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clearAddonModels } from '../src/model/addon.js';
import { fileModel, type FileModel } from '../src/model/index.js';
import { parsePython } from '../src/parse.js';
import type { SyntaxNode } from '../src/types.js';

const FILES: Record<string, string> = {
  '__init__.py': [
    'import bpy',
    'from . import ops, ui',
    'from .core import setup as core_setup',
    'import pkg.core.paths as paths',
    '',
    'modules = (ops, ui)',
    '',
    'def register():',
    '    core_setup.prepare()',
    '    paths.Layout.ensure()',
    '    for mod in modules:',
    '        mod.register()',
    '    if not bpy.app.background:',
    '        core_setup.gui_only()',
    '',
    'def unregister():',
    '    for mod in reversed(modules):',
    '        mod.unregister()',
    '',
    'if __name__ == "__main__":',
    '    register()',
  ].join('\n'),
  'ops.py': [
    'import bpy',
    'import threading',
    'from .core.setup import helper',
    '',
    'def on_load(*args):',
    '    pass',
    '',
    'def tick():',
    '    return 1.0',
    '',
    'def worker():',
    '    pass',
    '',
    'class Runner:',
    '    def start(self):',
    '        self.begin()',
    '',
    '    def begin(self):',
    '        pass',
    '',
    'def register():',
    '    helper()',
    '    bpy.app.handlers.load_post.append(on_load)',
    '    bpy.app.timers.register(tick)',
    '    threading.Thread(target=worker).start()',
    '',
    'def unregister():',
    '    pass',
  ].join('\n'),
  'ui.py': ['def register():', '    pass', '', 'def unregister():', '    pass', '', 'def draw_menu(self, context):', '    pass'].join('\n'),
  'core/__init__.py': '',
  'core/setup.py': [
    'def prepare():',
    '    _inner()',
    '',
    'def _inner():',
    '    value = 1',
    '',
    'def gui_only():',
    '    shader = 1',
    '',
    'def helper():',
    '    pass',
    '',
    'def never():',
    '    pass',
  ].join('\n'),
  'core/paths.py': ['class Layout:', '    @classmethod', '    def ensure(cls):', '        cls.build()', '', '    @classmethod', '    def build(cls):', '        pass'].join('\n'),
};

let root = '';
const read = (rel: string): FileModel => {
  const abs = path.join(root, 'pkg', rel);
  const text = FILES[rel];
  return fileModel(abs, text, parsePython(text));
};
/** The first node whose text starts a line with `line` (trimmed). */
function nodeAt(m: FileModel, line: string): SyntaxNode {
  const text = FILES[path.relative(path.join(root, 'pkg'), m.absPath).split(path.sep).join('/')];
  const row = text.split('\n').findIndex((l) => l.trim() === line);
  assert.ok(row >= 0, `no line ${line}`);
  const col = text.split('\n')[row].search(/\S/);
  return m.index.tree.rootNode.descendantForPosition({ row, column: col });
}

describe('the add-on model', () => {
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'bgsafe-model-'));
    for (const [rel, text] of Object.entries(FILES)) {
      const file = path.join(root, 'pkg', rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    clearAddonModels();
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('names modules by their dotted path and resolves relative and absolute imports', () => {
    const init = read('__init__.py');
    assert.equal(init.module, 'pkg');
    assert.equal(read('core/setup.py').module, 'pkg.core.setup');
    const r1 = init.addon.resolve('pkg', ['core_setup', 'prepare'], null);
    assert.equal(r1?.kind === 'function' && `${r1.module}:${r1.def.qualname}`, 'pkg.core.setup:prepare');
    const r2 = init.addon.resolve('pkg', ['paths', 'Layout', 'ensure'], null);
    assert.equal(r2?.kind === 'function' && `${r2.module}:${r2.def.qualname}`, 'pkg.core.paths:Layout.ensure');
    const r3 = init.addon.resolve('pkg', ['ops'], null);
    assert.deepEqual(r3, { kind: 'module', module: 'pkg.ops' });
    const r4 = read('ops.py').addon.resolve('pkg.ops', ['helper'], null);
    assert.equal(r4?.kind === 'function' && `${r4.module}:${r4.def.qualname}`, 'pkg.core.setup:helper');
  });

  it('reaches functions of other files from register(), with the chain that leads there', () => {
    const setup = read('core/setup.py');
    const lt = setup.loadTimes(nodeAt(setup, 'value = 1'));
    assert.deepEqual(lt.map((l) => l.kind), ['register']);
    assert.deepEqual(lt[0].reach?.entry, { module: 'pkg', qualname: 'register' });
    assert.deepEqual(lt[0].reach?.via.map((s) => s.qualname), ['register', 'prepare']);
    assert.match(setup.describe(lt[0]), /in `_inner\(\)` \(called from `register\(\)` in `pkg\/__init__\.py`\)/);
    assert.deepEqual(setup.loadTimes(nodeAt(setup, 'pass')).map((l) => l.kind), ['register'], 'helper() is called from ops.register()');
  });

  it('follows Class.method() and cls.method() across files', () => {
    const paths = read('core/paths.py');
    assert.deepEqual(paths.loadTimes(nodeAt(paths, 'cls.build()')).map((l) => l.kind), ['register']);
    const build = paths.loadTimes(nodeAt(paths, 'pass'));
    assert.deepEqual(build.map((l) => l.reach?.via.map((s) => s.qualname)), [['register', 'Layout.ensure']]);
  });

  it('takes `mod.register()` over a tuple of modules as each imported module\'s register()', () => {
    const init = read('__init__.py');
    const call = init.index.calls.find((c) => c.path?.join('.') === 'mod.register');
    assert.ok(call, 'the loop call is indexed');
    assert.deepEqual(init.addon.callees('pkg', call).map((c) => `${c.module}:${c.def.qualname}`).sort(), ['pkg.ops:register', 'pkg.ui:register']);
    const ui = read('ui.py');
    assert.deepEqual(ui.loadTimes(nodeAt(ui, 'pass')).map((l) => l.kind), ['register']);
    const rows = FILES['ui.py'].split('\n');
    const inDraw = ui.index.tree.rootNode.descendantForPosition({ row: rows.indexOf('def draw_menu(self, context):') + 1, column: 4 });
    assert.deepEqual(ui.loadTimes(inDraw), [], 'a menu draw function runs in the UI, not at load');
  });

  it('marks code reached only through a background check as guarded, and leaves it out headless', () => {
    const setup = read('core/setup.py');
    const node = nodeAt(setup, 'shader = 1');
    assert.deepEqual(setup.loadTimes(node).map((l) => [l.kind, l.reach?.guarded]), [['register', true]]);
    assert.deepEqual(setup.loadTimes(node, { headless: true }), []);
  });

  it('says nothing for code no entry point reaches, lambdas and __main__ blocks', () => {
    const setup = read('core/setup.py');
    const text = FILES['core/setup.py'].split('\n');
    const row = text.lastIndexOf('    pass');
    assert.deepEqual(setup.loadTimes(setup.index.tree.rootNode.descendantForPosition({ row, column: 4 })), []);
    const init = read('__init__.py');
    assert.deepEqual(init.loadTimes(nodeAt(init, 'register()')), []);
  });

  it('answers where code runs headless: handlers, timers, threads, and self.method()', () => {
    const ops = read('ops.py');
    const at = (line: string): string | undefined => ops.headlessWhere(nodeAt(ops, line))?.where;
    const rows = FILES['ops.py'].split('\n');
    const inside = (def: string): SyntaxNode => {
      const row = rows.indexOf(def) + 1;
      return ops.index.tree.rootNode.descendantForPosition({ row, column: rows[row].search(/\S/) });
    };
    assert.equal(ops.headlessWhere(inside('def on_load(*args):'))?.where, 'in the `load_post` handler `on_load()`');
    assert.equal(ops.headlessWhere(inside('def tick():'))?.kind, 'timer');
    assert.equal(ops.headlessWhere(inside('def worker():'))?.kind, 'thread');
    assert.equal(at('self.begin()'), undefined, 'Runner.start is never called');
  });
});
