// The sweep over the add-ons Debian's `blender` package installs: real code nobody here wrote. It must
// never crash, every changed output must compile (Python's own compiler, not only tree-sitter), and a
// second run over the outputs must change nothing. Counts go to the test's diagnostics.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { processSource } from '../src/engine.js';
import { parsePython, syntaxErrors } from '../src/parse.js';
import { run } from '../src/runner.js';
import { selectRules } from '../src/config.js';
import { allRules } from '../rules/index.js';
import { declaredTarget } from '../src/versions.js';
import * as path from 'node:path';

const ADDON_DIRS = ['/usr/share/blender/scripts/addons', '/usr/share/blender/scripts/addons_contrib'].filter((d) => existsSync(d));

/** Compile each text with python3; returns the names of those that do not compile. */
function pythonRejects(files: Array<{ name: string; text: string }>): string[] {
  const script = [
    'import json, sys',
    'bad = []',
    'for f in json.load(sys.stdin):',
    '    try:',
    "        compile(f['text'], f['name'], 'exec')",
    '    except SyntaxError as e:',
    "        bad.append(f\"{f['name']}:{e.lineno}: {e.msg}\")",
    'print(json.dumps(bad))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(files), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe('sweep over Debian\'s bundled Blender add-ons', () => {
  it('no crash, every output compiles, a second run changes nothing', { skip: ADDON_DIRS.length === 0 ? 'no /usr/share/blender/scripts/addons: install Debian\'s blender (apt-get install -y --no-install-recommends blender)' : false, timeout: 600_000 }, async (t) => {
    const started = process.hrtime.bigint();
    // Every rule, also those off by default: the sweep is about never breaking code.
    const rules = selectRules(allRules, ['ALL'], undefined);
    const report = await run({ paths: ADDON_DIRS, rules: rules, select: ['ALL'], unsafeFixes: true, config: false });
    const sweepMs = Number(process.hrtime.bigint() - started) / 1e6;
    const changed = report.files.filter((f) => f.changed);
    const crashes = report.errors.filter((e) => e.kind === 'internal' || e.kind === 'not-converged' || e.kind === 'read');
    const parseErrors = report.errors.filter((e) => e.kind === 'parse');

    const brokenByTreeSitter = changed.filter((f) => syntaxErrors(parsePython(f.output)).length > 0).map((f) => f.path);
    const brokenByPython = pythonRejects(changed.map((f) => ({ name: f.path, text: f.output })));
    // The second run is for the same Blender versions as the first (each add-on's own).
    const roots = new Map(report.addons.map((a) => [a.name, path.resolve(a.root)]));
    const unstable = changed
      .filter((f) => processSource(f.path, f.output, { rules: rules, unsafeFixes: true, absPath: f.absPath, target: declaredTarget(roots.get(f.addon) ?? f.absPath) }).output !== f.output)
      .map((f) => f.path);

    t.diagnostic(`add-on folders: ${ADDON_DIRS.join(', ')}`);
    t.diagnostic(`files scanned: ${report.summary.filesScanned}; add-ons: ${report.addons.length}; wall time ${(sweepMs / 1000).toFixed(2)} s`);
    t.diagnostic(`findings: ${report.summary.findings} (${Object.entries(report.summary.findingsByRule).map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}); files that would change: ${changed.length}; fixes: ${report.summary.fixesApplied}`);
    t.diagnostic(`crashes: ${crashes.length}; inputs tree-sitter cannot parse: ${parseErrors.length}; broken outputs: ${new Set([...brokenByTreeSitter, ...brokenByPython]).size}; files that change on a second run: ${unstable.length}`);
    for (const e of [...crashes, ...parseErrors]) t.diagnostic(`  ${e.path}:${e.line ?? ''} ${e.kind}: ${e.message}`);

    assert.ok(report.summary.filesScanned > 500, `expected Debian's ~1000 add-on files, scanned ${report.summary.filesScanned}`);
    assert.deepEqual(crashes, []);
    assert.deepEqual(parseErrors, []);
    assert.deepEqual(brokenByTreeSitter, []);
    assert.deepEqual(brokenByPython, []);
    assert.deepEqual(unstable, []);
  });
});
