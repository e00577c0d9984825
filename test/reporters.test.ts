// The reporters table is the one place formats are defined: every row must print something for a real
// report, the CLI must offer exactly its keys, and what the CLI prints must be what the row's Reporter
// returns (so no format is special-cased in cli.ts again).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { FORMATS, reporters, type ReportContext } from '../src/reporters/index.js';
import { formatDiff, formatJson, formatText, toSarif } from '../src/index.js';
import { run, type RunReport } from '../src/runner.js';
import { VERSION } from '../src/version.js';
import { allRules } from '../rules/index.js';
import { repoRoot } from './helpers.js';

const bin = path.join(repoRoot, 'bin', 'bgsafe.js');
// One fixable finding (BGS001) is enough for every format to have something to say.
const SOURCE = "import bpy, gpu\nshader = gpu.shader.from_builtin('UNIFORM_COLOR')\n";

function bgsafe(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('reporters', () => {
  let dir: string;
  let report: RunReport;
  const dryRun: ReportContext = { write: false, check: false, toolVersion: VERSION, rules: allRules };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-reporters-'));
    writeFileSync(path.join(dir, 'tool.py'), SOURCE);
    report = await run({ paths: ['tool.py'], cwd: dir, write: false });
    assert.equal(report.summary.findings, 1, 'the sample has one finding');
  });

  it('every format in the table prints something for a report with a finding', () => {
    assert.deepEqual(FORMATS, Object.keys(reporters));
    for (const format of FORMATS) {
      assert.ok(reporters[format].stdout(report, dryRun).length > 0, format);
    }
  });

  it('each reporter prints what its exported printer prints', () => {
    assert.equal(reporters.diff.stdout(report, dryRun), formatDiff(report));
    assert.equal(reporters.text.stdout(report, dryRun), formatText(report));
    assert.equal(reporters.json.stdout(report, dryRun), formatJson(report, dryRun, VERSION));
    assert.equal(reporters.sarif.stdout(report, dryRun), `${JSON.stringify(toSarif(report, allRules, VERSION), null, 2)}\n`);
  });

  it('the diff reporter prints nothing after --write: the changes are already on disk', () => {
    assert.equal(reporters.diff.stdout(report, { ...dryRun, write: true }), '');
  });

  it("--format's choices are the table's keys", () => {
    const r = bgsafe(['--format', 'no-such-format', 'tool.py'], dir);
    assert.equal(r.code, 2);
    const m = /Choices: (.*)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.deepEqual(m[1].split(', ').map((c) => JSON.parse(c)), Object.keys(reporters));
  });

  it("the CLI prints each format's Reporter output, and a summary on stderr only when it says so", () => {
    for (const format of FORMATS) {
      const r = bgsafe(['--format', format, 'tool.py'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, reporters[format].stdout(report, dryRun), format);
      if (reporters[format].summaryToStderr) assert.match(r.stderr, /^bgsafe: 1 file scanned/, format);
      else assert.equal(r.stderr, '', format);
    }
  });
});
