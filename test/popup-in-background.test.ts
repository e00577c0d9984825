// BGS005's and BGS008's documented examples are what the rules really do.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { processSource } from '../src/engine.js';
import { invokeFileOperator } from '../rules/invoke-file-operator.js';
import { popupInBackground } from '../rules/popup-in-background/index.js';

const head = 'import bpy\n\n\n';

describe('popup-in-background / invoke-file-operator examples', () => {
  it('BGS005: the example before becomes the example after', () => {
    const r = processSource('x.py', head + popupInBackground.docs.example.before, { rules: [popupInBackground], unsafeFixes: false });
    assert.equal(r.output, head + popupInBackground.docs.example.after);
    assert.deepEqual(r.findings.map((f) => f.messageId), ['popup']);
  });

  it('BGS008: the example before is reported, the hand-made after is not', () => {
    const opts = { rules: [invokeFileOperator], unsafeFixes: false };
    const before = processSource('x.py', head + invokeFileOperator.docs.example.before, opts);
    assert.deepEqual(before.findings.map((f) => [f.messageId, f.fixStatus]), [['saveNoPath', 'none']]);
    const after = processSource('x.py', head + invokeFileOperator.docs.example.after, opts);
    assert.deepEqual(after.findings, []);
  });
});
