// Docs come from the rules' metadata: the README's table must match it, and every rule must carry
// complete docs (what it finds, the measured error, an example, its fix safety).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ruleTable } from '../src/rules-doc.js';
import { allRules } from '../rules/index.js';
import { repoRoot } from './helpers.js';

describe('docs', () => {
  it('README rule table is current (run `npm run docs`)', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const m = /<!-- rules:start -->\n([\s\S]*?)<!-- rules:end -->/.exec(readme);
    assert.ok(m, 'README has the rules markers');
    assert.equal(m[1], ruleTable(allRules));
  });

  for (const t of allRules) {
    it(`${t.code} has complete metadata`, () => {
      assert.match(t.code, /^BGS\d{3}$/);
      assert.match(t.slug, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      for (const [k, v] of Object.entries({ summary: t.summary, ...t.docs, before: t.docs.example.before, after: t.docs.example.after })) {
        if (k === 'example') continue;
        assert.ok(typeof v === 'string' && v.trim().length > 10, `${k} is filled in`);
      }
      assert.ok(t.prefilter.length > 0 && t.prefilter.every((s) => s.length > 0), 'prefilter substrings');
      assert.ok(Object.keys(t.messages).length > 0, 'messages');
      assert.match(t.docs.whyItBreaks, /\d\.\d/, 'names the Blender versions measured');
    });
  }
  it('codes are unique and in order', () => {
    const codes = allRules.map((t) => t.code);
    assert.deepEqual(codes, [...new Set(codes)].sort());
  });
});
