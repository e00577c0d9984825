// Unit tests for src/syntax/scope.ts: when code runs (import, register, unregister) and guard detection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePython } from '../src/parse.js';
import {
  functionsNamedLike,
  isGuarded,
  loadTimeContext,
  mentionsBackground,
  unloadTimeContext,
} from '../src/syntax/scope.js';
import type { SyntaxNode } from '../src/types.js';

/** The first call node whose text starts with `prefix`. */
function callAt(root: SyntaxNode, prefix: string): SyntaxNode {
  const found = root.descendantsOfType('call').find((c) => c.text.startsWith(prefix));
  assert.ok(found, `no call ${prefix}`);
  return found;
}

const SOURCE = [
  'import bpy',
  'setup_at_import()',
  '',
  'def setup_at_import():',
  '    at_import()',
  '',
  'def helper():',
  '    in_helper()',
  '',
  'def remove_keys():',
  '    in_remove()',
  '',
  'def register_keymaps():',
  '    in_named()',
  '    shared()',
  '',
  'def shared():',
  '    in_shared()',
  '',
  'class OP(bpy.types.Operator):',
  '    def execute(self, context):',
  '        in_execute()',
  '',
  'def register():',
  '    helper()',
  '    cb = lambda: in_lambda()',
  '',
  'def unregister():',
  '    remove_keys()',
  '',
].join('\n');

describe('scope: when code runs', () => {
  const root = parsePython(SOURCE).rootNode;

  it('loadTimeContext: import, register() and what it reaches, else null', () => {
    assert.equal(loadTimeContext(callAt(root, 'setup_at_import')), 'import');
    assert.equal(loadTimeContext(callAt(root, 'at_import')), 'register');
    assert.equal(loadTimeContext(callAt(root, 'in_helper')), 'register');
    assert.equal(loadTimeContext(callAt(root, 'in_execute')), null);
    assert.equal(loadTimeContext(callAt(root, 'in_remove')), null);
    assert.equal(loadTimeContext(callAt(root, 'in_lambda')), null);
  });

  it('unloadTimeContext: unregister() and the functions it calls', () => {
    assert.equal(unloadTimeContext(callAt(root, 'in_remove')), 'unregister');
    assert.equal(unloadTimeContext(callAt(root, 'in_helper')), null);
    assert.equal(unloadTimeContext(callAt(root, 'setup_at_import')), null);
  });

  it('functionsNamedLike: module-level functions by name, and what they call', () => {
    const ids = functionsNamedLike(root, /keymap/);
    const defs = new Map(root.descendantsOfType('function_definition').map((f) => [f.childForFieldName('name')!.text, f.id]));
    assert.ok(ids.has(defs.get('register_keymaps')!));
    assert.ok(ids.has(defs.get('shared')!));
    assert.ok(!ids.has(defs.get('helper')!));
    assert.ok(!ids.has(defs.get('execute')!));
  });
});

describe('scope: isGuarded', () => {
  const guard = (src: string, call: string, words = /\bkc\b/): boolean =>
    isGuarded(callAt(parsePython(src).rootNode, call), (t) => words.test(t) || mentionsBackground(t));

  it('recognises if / early return / and / try / conditional expression', () => {
    assert.ok(guard('def f():\n    if kc:\n        use(kc)\n', 'use'));
    assert.ok(guard('def f():\n    if not kc:\n        return\n    use(kc)\n', 'use'));
    assert.ok(guard('def f():\n    kc and use(kc)\n', 'use'));
    assert.ok(guard('def f():\n    try:\n        use(kc)\n    except AttributeError:\n        pass\n', 'use'));
    assert.ok(guard('def f():\n    x = use(kc) if kc else None\n', 'use'));
    assert.ok(guard('def f():\n    if not bpy.app.background:\n        use(kc)\n', 'use'));
  });

  it('does not take an unrelated check, or the check itself, as a guard', () => {
    assert.ok(!guard('def f():\n    if other:\n        use(kc)\n', 'use'));
    assert.ok(!guard('def f():\n    if kc.keymaps.get("x"):\n        pass\n', 'kc.keymaps.get'));
    assert.ok(!guard('def f():\n    if not kc:\n        print("none")\n    use(kc)\n', 'use'));
  });
});
