// Unit tests of the shared edit helpers: wrapping statements in a new `if` block (indent units, CRLF,
// multi-line strings, continuation lines, one-line bodies), guarding a value, adding an import.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import MagicString from 'magic-string';
import { parsePython, queryMatches, syntaxErrors } from '../src/parse.js';
import { applyEdits, editedSlice, ensureImport, guardValue, wrapStatements } from '../src/syntax/edits.js';
import { detectIndentUnit, detectNewline } from '../src/syntax/source.js';
import type { Edit, SyntaxNode, RuleContext } from '../src/types.js';
import { fileModel } from '../src/model/index.js';
import { DEFAULT_TARGET } from '../src/versions.js';

function context(source: string): RuleContext {
  const tree = parsePython(source);
  return {
    path: 'test.py',
    absPath: '/nonexistent/test.py',
    target: DEFAULT_TARGET,
    source,
    tree,
    indentUnit: detectIndentUnit(tree, source),
    newline: detectNewline(source),
    model: fileModel('/nonexistent/test.py', source, tree),
    matches: (q, node) => queryMatches(q, node ?? tree.rootNode),
    report: () => {},
  };
}

/** The statement (child of a block or the module) whose text starts with `prefix`. */
function statement(ctx: RuleContext, prefix: string): SyntaxNode {
  const visit = (n: SyntaxNode): SyntaxNode | null => {
    for (const c of n.namedChildren) {
      if ((n.type === 'block' || n.type === 'module') && c.text.startsWith(prefix)) return c;
      const found = visit(c);
      if (found) return found;
    }
    return null;
  };
  const s = visit(ctx.tree.rootNode);
  assert.ok(s, `no statement starting with ${prefix}`);
  return s;
}

function apply(source: string, edits: Edit[]): string {
  const ms = new MagicString(source);
  for (const e of edits) {
    if (e.start === e.end) ms.appendLeft(e.start, e.text);
    else ms.overwrite(e.start, e.end, e.text);
  }
  return ms.toString();
}

function wrap(source: string, first: string, last = first): string | null {
  const ctx = context(source);
  const edits = wrapStatements(ctx, statement(ctx, first), statement(ctx, last), 'not bpy.app.background');
  if (!edits) return null;
  const out = apply(source, edits);
  assert.deepEqual(syntaxErrors(parsePython(out)), [], `output does not parse:\n${out}`);
  return out;
}

describe('wrapStatements', () => {
  it('uses the file\'s indent unit: four spaces', () => {
    assert.equal(
      wrap('def f():\n    a()\n    b()\n', 'a()'),
      'def f():\n    if not bpy.app.background:\n        a()\n    b()\n',
    );
  });

  it('uses the file\'s indent unit: two spaces, nested blocks re-indented', () => {
    assert.equal(
      wrap('def f():\n  for x in y:\n    if x:\n      a(x)\n  b()\n', 'for x'),
      'def f():\n  if not bpy.app.background:\n    for x in y:\n      if x:\n        a(x)\n  b()\n',
    );
  });

  it('uses the file\'s indent unit: tabs', () => {
    assert.equal(
      wrap('def f():\n\tfor x in y:\n\t\ta(x)\n\tb()\n', 'for x'),
      'def f():\n\tif not bpy.app.background:\n\t\tfor x in y:\n\t\t\ta(x)\n\tb()\n',
    );
  });

  it('indents a tab-indented block with a tab even where the file mostly uses spaces', () => {
    const src = 'def f():\n    a()\n\ndef g():\n    b()\n\ndef h():\n\tc()\n';
    assert.equal(wrap(src, 'c()'), 'def f():\n    a()\n\ndef g():\n    b()\n\ndef h():\n\tif not bpy.app.background:\n\t\tc()\n');
  });

  it('keeps CRLF newlines', () => {
    assert.equal(
      wrap('def f():\r\n    a()\r\n    b()\r\n', 'a()', 'b()'),
      'def f():\r\n    if not bpy.app.background:\r\n        a()\r\n        b()\r\n',
    );
  });

  it('never re-indents the inside of a multi-line string', () => {
    const src = 'def f():\n    a("""\nline one\n    line two\n""")\n    s = \'\'\'x\n  y\'\'\'\n';
    assert.equal(
      wrap(src, 'a(', 's ='),
      'def f():\n    if not bpy.app.background:\n        a("""\nline one\n    line two\n""")\n        s = \'\'\'x\n  y\'\'\'\n',
    );
  });

  it('keeps comments, trailing comments and blank lines', () => {
    assert.equal(
      wrap('def f():\n    a()  # one\n\n    # between\n    b()  # two\n', 'a()', 'b()'),
      'def f():\n    if not bpy.app.background:\n        a()  # one\n\n        # between\n        b()  # two\n',
    );
  });

  it('indents backslash continuations and less-indented bracket continuations', () => {
    assert.equal(
      wrap('def f():\n    x = a + \\\n        b\n    g(1,\n  2)\n', 'x =', 'g('),
      'def f():\n    if not bpy.app.background:\n        x = a + \\\n            b\n        g(1,\n      2)\n',
    );
  });

  it('wraps module-level statements', () => {
    assert.equal(wrap('import bpy\na()\nb()\n', 'a()'), 'import bpy\nif not bpy.app.background:\n    a()\nb()\n');
  });

  it('opens a one-line body into a block', () => {
    assert.equal(
      wrap('def register(): gpu.x().bind()\n', 'gpu.x'),
      'def register():\n    if not bpy.app.background:\n        gpu.x().bind()\n',
    );
    assert.equal(
      wrap('class A:\n    def f(self): a(); b()  # c\n', 'a()', 'b()'),
      'class A:\n    def f(self):\n        if not bpy.app.background:\n            a(); b()  # c\n',
    );
    assert.equal(
      wrap('if x: a()\nelse: b()\n', 'b()'),
      'if x: a()\nelse:\n    if not bpy.app.background:\n        b()\n',
    );
  });

  it('returns null where the statement shares its line with code that stays outside', () => {
    assert.equal(wrap('a(); b()\n', 'b()'), null);
    assert.equal(wrap('a(); b()\n', 'a()'), null);
    assert.equal(wrap('def f(): a(); b()\n', 'b()'), null);
  });
});

describe('guardValue', () => {
  const guard = (src: string): string => {
    const ctx = context(src);
    const value = statement(ctx, 'x').firstNamedChild!.childForFieldName('right')!;
    return apply(src, guardValue(value, 'not bpy.app.background'));
  };
  it('appends the condition to a call', () => {
    assert.equal(guard('x = gpu.f(1)\n'), 'x = gpu.f(1) if not bpy.app.background else None\n');
  });
  it('parenthesises a value that binds looser than a conditional expression', () => {
    assert.equal(guard('x = a if c else gpu.f()\n'), 'x = (a if c else gpu.f()) if not bpy.app.background else None\n');
    assert.equal(guard('x = lambda: gpu.f()\n'), 'x = (lambda: gpu.f()) if not bpy.app.background else None\n');
  });
  it('leaves a trailing comment after the value', () => {
    assert.equal(guard('x = gpu.f(  # c\n    1)  # d\n'), 'x = gpu.f(  # c\n    1) if not bpy.app.background else None  # d\n');
  });
});

describe('ensureImport', () => {
  const add = (src: string, before?: number): string => {
    const ctx = context(src);
    const edit = ensureImport(ctx, 'bpy', before);
    return edit ? apply(src, [edit]) : src;
  };
  it('does nothing where the module is imported', () => {
    assert.equal(add('import bpy\nx = 1\n'), 'import bpy\nx = 1\n');
    assert.equal(add('import os, bpy.utils\n'), 'import os, bpy.utils\n');
  });
  it('adds it after the first run of imports, also after bl_info', () => {
    assert.equal(add('import gpu\nfrom os import path\n\nx = 1\nimport re\n'), 'import gpu\nfrom os import path\nimport bpy\n\nx = 1\nimport re\n');
    assert.equal(add('bl_info = {\n    "name": "x",\n}\n\nimport gpu\n\nx = 1\n'), 'bl_info = {\n    "name": "x",\n}\n\nimport gpu\nimport bpy\n\nx = 1\n');
  });
  it('adds it after the docstring and __future__ imports, or before the first statement', () => {
    assert.equal(add('"""Doc."""\n\nx = 1\n'), '"""Doc."""\nimport bpy\n\nx = 1\n');
    assert.equal(add('"""Doc."""\nfrom __future__ import annotations\nx = 1\n'), '"""Doc."""\nfrom __future__ import annotations\nimport bpy\nx = 1\n');
    assert.equal(add('# comment\nx = 1\n'), '# comment\nimport bpy\nx = 1\n');
  });
  it('keeps CRLF', () => {
    assert.equal(add('import gpu\r\nx = 1\r\n'), 'import gpu\r\nimport bpy\r\nx = 1\r\n');
  });
  it('lands before the first use given as `before`', () => {
    const src = 'x = 1\nimport gpu\n';
    assert.equal(add(src, 0), 'import bpy\nx = 1\nimport gpu\n');
  });
});

describe('applyEdits', () => {
  it('gives the same text whatever order the edits come in', () => {
    const src = 'call(x)\n';
    // Replace `x`, insert right after it, and insert right before it.
    const edits: Edit[] = [
      { start: 6, end: 6, text: ', y' },
      { start: 5, end: 6, text: 'z' },
      { start: 5, end: 5, text: 'w, ' },
    ];
    const want = 'call(w, z, y)\n';
    assert.equal(applyEdits(src, edits), want);
    assert.equal(applyEdits(src, [...edits].reverse()), want);
    assert.equal(editedSlice('# head\ncall(x)\n', 7, 14, edits.map((e) => ({ ...e, start: e.start + 7, end: e.end + 7 }))), 'call(w, z, y)');
  });
  it('keeps two inserts at one offset in their order', () => {
    assert.equal(applyEdits('ab', [{ start: 1, end: 1, text: '1' }, { start: 1, end: 1, text: '2' }]), 'a12b');
  });
});
