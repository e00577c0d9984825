// The fix loop with small made-up rules: deferral of overlapping fixes, the pass cap, dropping a
// fix that breaks the syntax, the prefilter, suppressions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PASSES, processSource } from '../src/engine.js';
import type { Rule, RuleContext } from '../src/types.js';

function rule(code: string, prefilter: string[], check: (ctx: RuleContext) => void, safety: 'safe' | 'unsafe' = 'safe'): Rule {
  return {
    code,
    slug: `test-${code.toLowerCase()}`,
    summary: 'test rule',
    fixKind: safety,
    defaultEnabled: true,
    docs: { whatItFinds: '', whyItBreaks: '', example: { before: '', after: '' }, fixSafety: '' },
    messages: { m: 'found {what}' },
    prefilter,
    check,
  };
}

/** Upper-cases every identifier `foo` (the fix of one finding also covers the line's other `foo`s). */
const upper = rule('BGS901', ['foo'], (ctx) => {
  for (const m of ctx.matches('((identifier) @id (#eq? @id "foo"))')) {
    const n = m.id;
    ctx.report({ messageId: 'm', data: { what: n.text }, node: n, fix: { safety: 'safe', description: 'upper', edits: [{ start: n.startIndex, end: n.endIndex, text: 'FOO' }] } });
  }
});

describe('engine', () => {
  it('applies fixes and fills message templates', () => {
    const r = processSource('t.py', 'foo = 1\nbar(foo)\n', { rules: [upper], unsafeFixes: false });
    assert.equal(r.output, 'FOO = 1\nbar(FOO)\n');
    assert.equal(r.findings.length, 2);
    assert.equal(r.findings[0].message, 'found foo');
    assert.deepEqual(r.findings[0].startPos, { line: 1, column: 1 });
    assert.deepEqual(r.findings[1].startPos, { line: 2, column: 5 });
    assert.ok(r.findings.every((f) => f.fixStatus === 'applied'));
    assert.equal(r.fixesApplied, 2);
  });

  it('defers overlapping fixes to a later pass', () => {
    // Each finding's fix wraps the whole line in parentheses-free markers; two findings on one line overlap.
    const wrapLine = rule('BGS902', ['x'], (ctx) => {
      for (const m of ctx.matches('((identifier) @id (#eq? @id "x"))')) {
        const stmt = m.id.parent!;
        ctx.report({ messageId: 'm', node: m.id, fix: { safety: 'safe', description: 'rename', edits: [{ start: stmt.startIndex, end: stmt.endIndex, text: stmt.text.replace('x', 'y') }] } });
      }
    });
    const r = processSource('t.py', 'print(x, x)\n', { rules: [wrapLine], unsafeFixes: false });
    // Both occurrences sit in one call; the second fix waits for pass 2.
    assert.equal(r.output, 'print(y, y)\n');
    assert.equal(r.passes >= 2, true);
    assert.deepEqual(r.errors, []);
  });

  it('gives up after the pass cap and leaves the file as it was', () => {
    const grow = rule('BGS903', ['a'], (ctx) => {
      const n = ctx.tree.rootNode.descendantsOfType('identifier')[0];
      ctx.report({ messageId: 'm', node: n, fix: { safety: 'safe', description: 'grow', edits: [{ start: n.endIndex, end: n.endIndex, text: 'a' }] } });
    });
    const r = processSource('t.py', 'a = 1\n', { rules: [grow], unsafeFixes: false });
    assert.equal(r.output, 'a = 1\n');
    assert.equal(r.changed, false);
    assert.equal(r.passes, MAX_PASSES);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].kind, 'not-converged');
    assert.equal(r.findings[0].fixStatus, 'skipped');
  });

  it('drops a fix that would break the syntax and names the rule', () => {
    const breaker = rule('BGS904', ['b'], (ctx) => {
      for (const m of ctx.matches('((identifier) @id (#eq? @id "b"))')) {
        ctx.report({ messageId: 'm', node: m.id, fix: { safety: 'safe', description: 'break', edits: [{ start: m.id.startIndex, end: m.id.endIndex, text: 'b(' }] } });
      }
    });
    const r = processSource('t.py', 'foo = b\n', { rules: [breaker, upper], unsafeFixes: false });
    assert.equal(r.output, 'FOO = b\n', 'the other rule still applies');
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].kind, 'internal');
    assert.equal(r.errors[0].code, 'BGS904');
    assert.equal(r.findings.find((f) => f.code === 'BGS904')?.fixStatus, 'skipped');
  });

  it("runs a rule only where its prefilterText accepts the text too", () => {
    let runs = 0;
    const sharp: Rule = { ...rule('BGS902', ['foo'], () => void runs++), prefilterText: (t) => /foo\(/.test(t) };
    processSource('a.py', 'foo = 1\n', { rules: [sharp], unsafeFixes: false });
    assert.equal(runs, 0, 'the substring is there, the call is not: not run');
    processSource('b.py', 'foo(1)\n', { rules: [sharp], unsafeFixes: false });
    assert.equal(runs, 1);
  });

  it('does not parse a file that no prefilter matches', () => {
    let called = false;
    const spy = rule('BGS905', ['needle'], () => {
      called = true;
    });
    const r = processSource('t.py', 'x = (\n', { rules: [spy], unsafeFixes: false });
    assert.equal(called, false);
    assert.deepEqual(r.errors, [], 'an unparsed file reports no syntax error');
  });

  it('applies unsafe fixes only when asked', () => {
    const unsafe = rule('BGS906', ['foo'], (ctx) => {
      for (const m of ctx.matches('((identifier) @id (#eq? @id "foo"))')) {
        ctx.report({ messageId: 'm', node: m.id, fix: { safety: 'unsafe', description: 'u', edits: [{ start: m.id.startIndex, end: m.id.endIndex, text: 'FOO' }] } });
      }
    }, 'unsafe');
    const off = processSource('t.py', 'foo\n', { rules: [unsafe], unsafeFixes: false });
    assert.equal(off.output, 'foo\n');
    assert.equal(off.findings[0].fixStatus, 'available');
    const on = processSource('t.py', 'foo\n', { rules: [unsafe], unsafeFixes: true });
    assert.equal(on.output, 'FOO\n');
  });

  it('honours suppression comments and reports unused ones', () => {
    const src = 'foo = 1  # bgsafe: ignore[BGS901]\nfoo = 2  # bgsafe: ignore\nx = 3  # bgsafe: ignore[BGS901]\ny = 4  # bgsafe: ignore\nfoo = 5  # bgsafe: ignore[BGS999]\n';
    const r = processSource('t.py', src, { rules: [upper], unsafeFixes: false, knownCodes: new Set(['BGS901']) });
    assert.equal(r.output, src.replace('foo = 5', 'FOO = 5'));
    assert.deepEqual(r.findings.map((f) => f.startPos.line), [5]);
    assert.deepEqual(
      r.unusedSuppressions.map((u) => `${u.line}: ${u.message}`),
      ['3: unused suppression for BGS901', '4: unused `# bgsafe: ignore` (nothing to silence on this line)', '5: unknown rule code in suppression: BGS999'],
    );
  });

  it('reports findings but applies no fix in a file with a syntax error', () => {
    const r = processSource('t.py', 'foo = 1\ndef (:\n', { rules: [upper], unsafeFixes: false });
    assert.equal(r.output, 'foo = 1\ndef (:\n');
    assert.equal(r.findings.length, 1);
    assert.equal(r.findings[0].fixStatus, 'skipped');
    assert.equal(r.errors[0].kind, 'parse');
    assert.equal(r.errors[0].line, 2);
  });

  it('keeps every byte outside the edits: CRLF, tabs, comments, non-ASCII text', () => {
    const src = '# -*- coding: utf-8 -*-\r\n\tfoo = "é中"  # café\r\n\r\n'.replace('\tfoo', 'if 1:\r\n\tfoo');
    const r = processSource('t.py', src, { rules: [upper], unsafeFixes: false });
    assert.equal(r.output, src.replace('foo', 'FOO'));
  });
});
