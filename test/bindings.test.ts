// Unit tests for src/syntax/bindings.ts: which identifiers bind their name, to what, and the names of a scope.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePython } from '../src/parse.js';
import { bindingOf, namesBoundIn, occurrencesIn } from '../src/syntax/bindings.js';
import type { SyntaxNode } from '../src/types.js';

const SOURCE = [
  'import a.b',
  'from m import x, y as z',
  'def f(p, q=1, *args, r: int = 2, **kw):',
  '    k = kc.keymaps',
  '    s, (t, *u) = pair',
  '    for i in items: pass',
  '    with open(p) as h: pass',
  '    if (w := g()): pass',
  '    v += 1',
  '    call(name=k.attr)',
  '    squares = [n * n for n in k]',
  '    lam = lambda e: e + k',
  '    def inner(): return k',
  '    global G',
  '',
].join('\n');

const root = parsePython(SOURCE).rootNode;
const fn = root.descendantsOfType('function_definition')[0];

/** The identifiers named `name`, in source order. */
function ids(name: string, scope: SyntaxNode = root): SyntaxNode[] {
  return scope.descendantsOfType('identifier').filter((n) => n.text === name);
}

describe('bindingOf', () => {
  it('binds assignment, loop, with, walrus and augmented targets, with their values', () => {
    assert.equal(bindingOf(ids('k')[0])?.value?.text, 'kc.keymaps');
    for (const name of ['s', 't', 'u']) assert.equal(bindingOf(ids(name)[0])?.value?.text, 'pair', name);
    assert.equal(bindingOf(ids('i')[0])?.value?.text, 'items');
    assert.equal(bindingOf(ids('h')[0])?.value?.text, 'open(p)');
    assert.equal(bindingOf(ids('w')[0])?.value?.text, 'g()');
    assert.equal(bindingOf(ids('v')[0])?.value?.text, '1');
  });
  it('binds parameters, definitions, imports and global names, without a value', () => {
    for (const name of ['p', 'q', 'args', 'r', 'f', 'inner', 'G', 'x', 'z', 'a']) {
      const b = bindingOf(ids(name)[0]);
      assert.ok(b, name);
      assert.equal(b.value, null, name);
    }
  });
  it('reads are not bindings: values, defaults, annotations, imported names behind `as`, modules', () => {
    assert.equal(bindingOf(ids('kc')[0]), null);
    assert.equal(bindingOf(ids('int')[0]), null);
    assert.equal(bindingOf(ids('y')[0]), null);
    assert.equal(bindingOf(ids('m')[0]), null);
    assert.equal(bindingOf(ids('b')[0]), null);
    assert.equal(bindingOf(ids('k')[1]), null);
  });
});

describe('occurrencesIn', () => {
  it('leaves out attribute names and keyword-argument names, in source order', () => {
    const names = occurrencesIn(fn).map((o) => o.name);
    assert.ok(!names.includes('keymaps') && !names.includes('attr') && !names.includes('name'));
    assert.deepEqual(names.slice(0, 4), ['f', 'p', 'q', 'args']);
  });
  it('with ownNamesOnly, leaves out names local to comprehensions, lambdas and inner functions', () => {
    const body = fn.childForFieldName('body')!;
    const all = occurrencesIn(body).map((o) => o.name);
    const own = occurrencesIn(body, { ownNamesOnly: true }).map((o) => o.name);
    for (const name of ['n', 'e']) assert.ok(all.includes(name) && !own.includes(name), name);
    assert.equal(own.filter((n) => n === 'k').length, all.filter((n) => n === 'k').length - 1);
    // An inner function's own name is left out too (its identifier sits in the inner definition).
    assert.ok(own.includes('squares') && own.includes('lam') && !own.includes('inner'));
  });
});

describe('namesBoundIn', () => {
  it('collects every name bound under a node', () => {
    const names = namesBoundIn(fn);
    for (const name of ['f', 'p', 'k', 's', 't', 'u', 'i', 'h', 'w', 'v', 'n', 'e', 'inner', 'G']) assert.ok(names.has(name), name);
    assert.ok(!names.has('kc') && !names.has('pair'));
  });
});
