// Every fixture pair under fixtures/<code>-<slug>/: <case>.input.py must become <case>.output.py, or stay
// byte-identical where there is no output file. Every output must re-parse without a syntax error, and a
// second run over it must change nothing. A <case>.findings file, where present, lists the expected
// findings as `line:column messageId` lines. Cases named *.unsafe.input.py run with --unsafe-fixes.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { processSource } from '../src/engine.js';
import { decodeSource } from '../src/files.js';
import { parsePython, syntaxErrors } from '../src/parse.js';
import { allRules } from '../rules/index.js';
import { repoRoot } from './helpers.js';

const fixturesDir = path.join(repoRoot, 'fixtures');
const ruleDirs = readdirSync(fixturesDir).filter((d) => /^BGS\d{3}-/.test(d)).sort();

describe('fixtures', () => {
  it('every rule has a fixture folder and every fixture folder a rule', () => {
    const expected = allRules.map((t) => `${t.code}-${t.slug}`).sort();
    assert.deepEqual(ruleDirs, expected);
  });

  for (const dir of ruleDirs) {
    const code = dir.slice(0, 6);
    const rule = allRules.find((t) => t.code === code);
    const cases = readdirSync(path.join(fixturesDir, dir)).filter((f) => f.endsWith('.input.py')).sort();
    describe(dir, () => {
      it('has at least one rewrite case (unless it only reports) and one must-not-change case', () => {
        const withOutput = cases.filter((c) => existsSync(path.join(fixturesDir, dir, c.replace('.input.py', '.output.py'))));
        if (rule?.fixKind !== 'report-only') assert.ok(withOutput.length > 0, 'no case with an .output.py');
        else {
          const reported = cases.filter((c) => {
            const f = path.join(fixturesDir, dir, c.replace('.input.py', '.findings'));
            return existsSync(f) && readFileSync(f, 'utf8').trim().length > 0;
          });
          assert.ok(reported.length > 0, 'a report-only rule needs a case with a non-empty .findings file');
        }
        assert.ok(withOutput.length < cases.length, 'no must-not-change case');
      });
      for (const c of cases) {
        it(c.replace('.input.py', ''), () => {
          assert.ok(rule, `no rule ${code}`);
          const base = path.join(fixturesDir, dir, c.replace('.input.py', ''));
          const input = decodeSource(readFileSync(`${base}.input.py`));
          const expectedFile = `${base}.output.py`;
          const expected = existsSync(expectedFile) ? decodeSource(readFileSync(expectedFile)).text : input.text;
          const opts = { rules: [rule], unsafeFixes: c.endsWith('.unsafe.input.py') };
          const first = processSource(c, input.text, opts);
          assert.deepEqual(first.errors, [], 'engine errors');
          assert.equal(first.output, expected);
          assert.deepEqual(syntaxErrors(parsePython(first.output)), [], 'output does not re-parse cleanly');
          const second = processSource(c, first.output, opts);
          assert.equal(second.output, first.output, 'a second run changed the output');
          if (existsSync(`${base}.findings`)) {
            const want = readFileSync(`${base}.findings`, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
            const got = first.findings.map((f) => `${f.startPos.line}:${f.startPos.column} ${f.messageId}`);
            assert.deepEqual(got, want);
          }
          if (existsSync(expectedFile)) {
            assert.ok(first.findings.length > 0, 'a rewrite case must report a finding');
          }
        });
      }
    });
  }
});
