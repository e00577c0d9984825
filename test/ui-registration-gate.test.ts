// BGS009 resolves UI classes across an add-on's files (read from disk), which the fixture pairs cannot
// show: their path names no real file. These cases run the rule on the fixture add-on where it lies.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { processSource } from '../src/engine.js';
import { uiRegistrationGate } from '../rules/ui-registration-gate.js';
import { repoRoot } from './helpers.js';

const addon = path.join(repoRoot, 'fixtures', 'addons', 'ui_panels_addon');
const opts = { rules: [uiRegistrationGate], unsafeFixes: false };

function run(file: string, as = file) {
  return processSource(as, readFileSync(path.join(addon, file), 'utf8'), opts);
}

describe('BGS009 ui-registration-gate across files', () => {
  it('gates classes imported from a sibling file, through the add-on\'s own base class', () => {
    const r = run('__init__.py', path.join(addon, '__init__.py'));
    assert.deepEqual(r.errors, []);
    assert.match(r.output, /classes = \(\n {4}TALLY_OT_add_item,\n {4}TALLY_OT_clear,\n\)\nui_classes = \(\n {4}TALLY_PT_main,\n {4}TALLY_PT_items,\n {4}TALLY_MT_add,\n\)/);
    assert.match(r.output, /if not bpy\.app\.background:\n {8}for cls in ui_classes:\n {12}bpy\.utils\.register_class\(cls\)\n {8}bpy\.types\.VIEW3D_MT_add\.append\(add_menu_entry\)/);
    assert.equal(processSource(path.join(addon, '__init__.py'), r.output, opts).output, r.output, 'a second run changes nothing');
  });

  it('splits a register_classes_factory tuple', () => {
    const r = run('lists.py', path.join(addon, 'lists.py'));
    assert.match(r.output, /classes = \(TallyItem,\)\nui_classes = \(TALLY_UL_items,\)/);
    assert.match(r.output, /register_classes_factory\(classes \+ ui_classes if not bpy\.app\.background else classes\)/);
  });

  it('leaves classes it cannot resolve alone (no file on disk)', () => {
    const r = run('__init__.py', 'not/on/disk/__init__.py');
    assert.equal(r.changed, false);
    assert.deepEqual(r.findings, []);
  });
});
