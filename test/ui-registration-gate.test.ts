// BGS009 resolves UI classes across an add-on's files (read from disk), which the fixture pairs cannot
// show: their path names no real file. These cases run the rule on the fixture add-on where it lies. And
// the rule's own lookups agree with the tree walks they replace: load time from the model's index with
// src/syntax/scope.ts, identifiers found through the text with an identifier query.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { processSource } from '../src/engine.js';
import { moduleIndex } from '../src/model/module.js';
import { parsePython, queryMatches } from '../src/parse.js';
import { enclosingFunction, functionsNamedLike, loadTimeContext, unloadTimeContext } from '../src/syntax/scope.js';
import type { SyntaxNode } from '../src/types.js';
import { uiRegistrationGate } from '../rules/ui-registration-gate/index.js';
import { callRunsAtLoad, loadFunctions } from '../rules/ui-registration-gate/load-time.js';
import { identifiersNamed, identifiersStartingWith } from '../rules/ui-registration-gate/occurrences.js';
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

const LOAD_TIME = `import bpy

def helper(): bpy.utils.register_class(A)
def helper(): bpy.utils.register_class(B)
def p_default(x=helper()): pass

if True:
    def cond(): bpy.utils.register_class(C)

class K:
    v = other()
    def register(cls): bpy.utils.register_class(D)

@deco(other2())
def decorated(): bpy.utils.register_class(E)

def other(): bpy.utils.register_class(E2)
def other2(): bpy.utils.register_class(F)

def register():
    class Inner:
        x = hidden()
    def local(): bpy.utils.register_class(G)
    def local(): bpy.utils.register_class(H)
    if x:
        def cond_local(): bpy.utils.register_class(I)
    local()
    cond_local()
    f = lambda: lam()
    @deco(dec_call())
    def nested(y=param_call()) -> ret_call():
        body_call()
    nested()
    helper()

def hidden(): bpy.utils.register_class(J)
def lam(): bpy.utils.register_class(K)
def dec_call(): bpy.utils.register_class(L)
def param_call(): bpy.utils.register_class(M)
def ret_call(): bpy.utils.register_class(N)
def body_call(): bpy.utils.register_class(O)
def register_ui(): bpy.utils.register_class(P); x = lambda: bpy.utils.register_class(Q)
def Unregister_x(): bpy.utils.register_class(R)
def __unregister(): later()
def later(): bpy.utils.register_class(S)
other2()
`;

/** What BGS009 decided with scope.ts before it read the model's index. */
function runsAtLoadByScope(node: SyntaxNode): boolean {
  const fn = enclosingFunction(node);
  if (!fn || fn.type === 'lambda') return false;
  if (loadTimeContext(node) === 'register' || unloadTimeContext(node) === 'unregister') return true;
  let root = node;
  while (root.parent) root = root.parent;
  return functionsNamedLike(root, /^_*register/i).has(fn.id) || functionsNamedLike(root, /^_*unregister/i).has(fn.id);
}

describe('BGS009 lookups', () => {
  it('decides which calls run while the add-on loads as scope.ts does', () => {
    const index = moduleIndex(parsePython(LOAD_TIME));
    const functions = loadFunctions(index);
    const got = index.calls.map((c) => `${c.node.startPosition.row + 1}:${callRunsAtLoad(functions, c)}`);
    const want = index.calls.map((c) => `${c.node.startPosition.row + 1}:${runsAtLoadByScope(c.node)}`);
    assert.deepEqual(got, want);
    assert.ok(got.filter((g) => g.endsWith('true')).length > 10);
  });

  it('finds the identifiers of a name through the text, as an identifier query does', () => {
    const text = 'classes = (A,)  # classes\nui_classes2 = "classes"\nmy_classes = classes + classés\nfor c in classes: f(c.classes)\n';
    const tree = parsePython(text);
    const byQuery = (name: string) => queryMatches('(identifier) @id', tree.rootNode).map((m) => m.id).filter((id) => id.text === name);
    for (const name of ['classes', 'classés', 'c', 'ui_classes2', 'missing']) {
      assert.deepEqual(identifiersNamed(text, name, () => tree).map((n) => n.startIndex), byQuery(name).map((n) => n.startIndex), name);
    }
    assert.deepEqual([...identifiersStartingWith(text, 'ui_classes', tree)], ['ui_classes2']);
  });
});
