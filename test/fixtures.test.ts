// Every fixture pair under fixtures/<code>-<slug>/: <case>.input.py must become <case>.output.py, or stay
// byte-identical where there is no output file. Every output must re-parse without a syntax error, and a
// second run over it must change nothing. A <case>.findings file, where present, lists the expected
// findings as `line:column messageId` lines. Cases named *.unsafe.input.py run with --unsafe-fixes.
// A case that spans an add-on's files is a folder: <case>.input/ holds the add-on (packages, relative
// imports), <case>.output/ the files that must change, as they must become (every other file must stay
// byte-identical); it runs through run() with --write on a copy, then again to prove nothing changes.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { processSource } from '../src/engine.js';
import { declaredTarget } from '../src/versions.js';
import { run } from '../src/runner.js';
import { decodeSource } from '../src/files.js';
import { parsePython, syntaxErrors } from '../src/parse.js';
import { allRules } from '../rules/index.js';
import { repoRoot } from './helpers.js';
import { embeddedRuntimeText, runtimeModuleText } from '../src/syntax/timers-never-fire-runtime.js';
import type { Rule } from '../src/types.js';

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
    const addonCases = readdirSync(path.join(fixturesDir, dir)).filter((f) => f.endsWith('.input')).sort();
    describe(dir, () => {
      for (const c of addonCases) {
        it(`${c.replace(/\.input$/, '')} (across the add-on's files)`, async () => {
          assert.ok(rule, `no rule ${code}`);
          await checkAddonCase(rule, path.join(fixturesDir, dir, c.replace(/\.input$/, '')), c.includes('.unsafe.'));
        });
      }
      it('has at least one rewrite case (unless it only reports) and one must-not-change case', () => {
        const withOutput = cases.filter((c) => existsSync(path.join(fixturesDir, dir, c.replace('.input.py', '.output.py'))));
        // A rule about package add-ons only (BGS020) has its rewrites in `<case>.output/` folders.
        const addonsWithOutput = addonCases.filter((c) => existsSync(path.join(fixturesDir, dir, c.replace(/\.input$/, '.output'))));
        if (rule?.fixKind !== 'report-only') assert.ok(withOutput.length + addonsWithOutput.length > 0, 'no case with an .output.py');
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
          // The Blender versions the case is for come from its own bl_info, as for a single-file add-on.
          const target = declaredTarget(`${base}.input.py`);
          const opts = { rules: [rule], unsafeFixes: c.endsWith('.unsafe.input.py'), target };
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

/** Every file below `dir`, relative to it, with forward slashes. */
function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), rel ? `${rel}/${e.name}` : e.name);
      else out.push(rel ? `${rel}/${e.name}` : e.name);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** Expected outputs name bgsafe's runtime instead of holding a copy of it, so that they follow
 *  python/bgsafe_runtime.py: a file that is exactly `__BGSAFE_RUNTIME_SOURCE__` is the runtime module, and a
 *  line `__BGSAFE_RUNTIME_BLOCK__` is the block embedded into a single-file add-on. */
function expandRuntime(text: string): string {
  if (text.trim() === '__BGSAFE_RUNTIME_SOURCE__') return runtimeModuleText();
  return text.replace(/^__BGSAFE_RUNTIME_BLOCK__$/m, () => embeddedRuntimeText(text.includes('\r\n') ? '\r\n' : '\n'));
}

async function checkAddonCase(rule: Rule, base: string, unsafeFixes: boolean): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-fixture-'));
  try {
    cpSync(`${base}.input`, work, { recursive: true });
    const opts = { paths: ['.'], cwd: work, rules: [rule], unsafeFixes, config: false, write: true };
    const first = await run(opts);
    assert.deepEqual(first.errors, [], 'engine errors');
    assert.ok(first.summary.findings > 0, 'an add-on case must report a finding');
    const inputs = filesBelow(`${base}.input`);
    const outputs = existsSync(`${base}.output`) ? filesBelow(`${base}.output`) : [];
    assert.deepEqual(filesBelow(work), [...new Set([...inputs, ...outputs])].sort(), 'files created or lost');
    for (const f of filesBelow(work)) {
      const want = expandRuntime(readFileSync(path.join(outputs.includes(f) ? `${base}.output` : `${base}.input`, f), 'utf8'));
      const got = readFileSync(path.join(work, f), 'utf8');
      assert.equal(got, want, `${f} differs from the expected output`);
      if (f.endsWith('.py')) assert.deepEqual(syntaxErrors(parsePython(got)), [], `${f} does not re-parse cleanly`);
    }
    if (existsSync(`${base}.findings`)) {
      const want = readFileSync(`${base}.findings`, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
      const got = first.files.flatMap((f) => f.findings.map((x) => `${f.path}:${x.startPos.line}:${x.startPos.column} ${x.messageId}`));
      assert.deepEqual(got, want);
    }
    const second = await run(opts);
    assert.equal(second.summary.filesChanged, 0, 'a second run changed files');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
