// Proof for every rule in real Blender. Each fixture add-on with a manifest
// fixtures/addons/<name>.e2e.json is copied to a temporary folder and:
//   1. `bgsafe verify` gives the manifest's `before` result ("fail" naming `rule`, "crash", or "pass");
//   2. `bgsafe --write` (with the manifest's `select`) rewrites it;
//   3. `bgsafe verify` passes, and a second `bgsafe --check` finds nothing to change.
// A manifest may name a `script` (fixtures/addons/<name>.e2e.py, run by verify's --script after enabling)
// and `outputs`: files the script must have written into $BGSAFE_E2E_OUT after the fix.
// Manifest: { "rule": "BGS004" | null, "before": Result | { "3.4"?: Result, "4.3"?: Result, "5.2"?: Result },
//             "select"?: ["BGS009"], "script"?: true, "outputs"?: ["shot.png"], "timeout"?: 60,
//             "unchanged"?: true, "source"?: "BGS001-…/case.input/pkg" }  (unchanged: the proof is that the
//             selected rule leaves this add-on alone; source: the add-on is a fixture case's package, under
//             fixtures/, proven as it is instead of kept twice)
// Result is "fail" | "crash" | "pass": what `verify` gives before the fix; per version where versions differ
// (a version left out of the map has the result of the closest earlier one). After the fix every version passes.
// Every case runs on Debian's Blender (3.4.1), on $BLENDER4 (a Blender 4.x; .ci/run sets it to
// ../shared/tools/blender-4, 4.3.2) and on $BLENDER5 (../shared/tools/blender-5, 5.2.2 LTS).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { findBlender } from '../src/verify/blender.js';
import { verifyAddons } from '../src/verify/verify.js';
import { repoRoot } from './helpers.js';

type Result = 'fail' | 'crash' | 'pass';
type Version = '3.4' | '4.3' | '5.2';

interface Manifest {
  rule: string | null;
  before: Result | Partial<Record<Version, Result>>;
  unchanged?: boolean;
  select?: string[];
  script?: boolean;
  outputs?: string[];
  timeout?: number;
  source?: string;
}

const addonsDir = path.join(repoRoot, 'fixtures', 'addons');
const manifests = readdirSync(addonsDir).filter((f) => f.endsWith('.e2e.json')).sort();

let noBlender: string | false = false;
try {
  findBlender(undefined);
} catch (e) {
  noBlender = `no Blender (${(e as Error).message.split('\n')[0]}); install Debian's blender (apt-get install -y --no-install-recommends blender) or set $BLENDER`;
}

const bin = path.join(repoRoot, 'bin', 'bgsafe.js');

const blenders: Array<{ label: string; version: Version; path?: string; skip: string | false }> = [
  { label: 'Blender 3.4 (Debian)', version: '3.4', path: undefined, skip: noBlender },
  { label: 'Blender 4.3 ($BLENDER4)', version: '4.3', path: process.env.BLENDER4, skip: process.env.BLENDER4 ? false : 'set $BLENDER4 to a Blender 4.x (.ci/run sets it to ../shared/tools/blender-4)' },
  { label: 'Blender 5.2 ($BLENDER5)', version: '5.2', path: process.env.BLENDER5, skip: process.env.BLENDER5 ? false : 'set $BLENDER5 to a Blender 5.x (.ci/run sets it to ../shared/tools/blender-5)' },
];

const VERSIONS: Version[] = ['3.4', '4.3', '5.2'];

/** What the manifest expects `verify` to give before the fix on this version: its own entry, else the
 *  closest earlier version's. */
function expectedBefore(m: Manifest, version: Version): Result {
  if (typeof m.before === 'string') return m.before;
  const earlier = VERSIONS.slice(0, VERSIONS.indexOf(version) + 1).reverse();
  const found = earlier.map((v) => (m.before as Partial<Record<Version, Result>>)[v]).find((r) => r !== undefined);
  assert.ok(found, `the manifest's "before" gives a result for ${version} or an earlier version`);
  return found;
}

describe('every rule proven in real Blender (fixtures/addons/*.e2e.json)', { concurrency: 2 }, () => {
  for (const file of manifests) for (const blender of blenders) {
    const name = file.replace(/\.e2e\.json$/, '');
    it(`${name} on ${blender.label}`, { skip: blender.skip, timeout: 600_000 }, async (t) => {
      const m = JSON.parse(readFileSync(path.join(addonsDir, file), 'utf8')) as Manifest;
      const expectBefore = expectedBefore(m, blender.version);
      const work = mkdtempSync(path.join(tmpdir(), `bgsafe-e2e-${name}-`));
      const addon = path.join(work, name);
      cpSync(m.source ? path.join(repoRoot, 'fixtures', m.source) : path.join(addonsDir, name), addon, { recursive: true });
      const out = path.join(work, 'out');
      mkdirSync(out);
      const script = m.script ? path.join(addonsDir, `${name}.e2e.py`) : undefined;
      const env = { ...process.env, BGSAFE_E2E_OUT: out };
      const opts = { timeout: m.timeout ?? 60, script, env, jobs: 1, blender: blender.path };

      const before = await verifyAddons([addon], opts);
      const b = before.addons[0];
      const failures = b.failures.map((f) => `${f.kind} ${f.step}: ${f.message}${f.rule ? ` [${f.rule.code}]` : ''}`);
      t.diagnostic(`before: ${b.status}; ${failures.join(' | ') || 'no failure'}`);
      if (expectBefore === 'pass') assert.equal(b.status, 'pass', failures.join('\n'));
      else {
        assert.equal(b.status, 'fail');
        if (expectBefore === 'crash') assert.ok(b.failures.some((f) => f.kind === 'crash'), failures.join('\n'));
        if (m.rule) assert.ok(b.failures.some((f) => f.rule?.code === m.rule), `a failure names ${m.rule}:\n${failures.join('\n')}`);
      }

      const select = m.select ? ['--select', m.select.join(',')] : [];
      const write = spawnSync(process.execPath, [bin, '--write', ...select, addon], { encoding: 'utf8' });
      assert.equal(write.status, 0, write.stderr);
      // The rewrite comes from the rule named (or, for hygiene rules, the one selected), whatever Blender did before.
      const rule = m.rule ?? m.select?.[0];
      if (m.unchanged) assert.match(write.stderr, /, 0 written \(0 fixes\), 0 findings/, write.stderr);
      else if (rule) assert.match(write.stderr, new RegExp(`findings by rule: .*${rule}`), write.stderr);

      const after = await verifyAddons([addon], opts);
      const a = after.addons[0];
      assert.equal(a.status, 'pass', a.failures.map((f) => `${f.kind} ${f.step}: ${f.message}\n${f.traceback ?? ''}`).join('\n'));
      for (const o of m.outputs ?? []) assert.ok(existsSync(path.join(out, o)), `the script wrote ${o} headless`);

      const again = spawnSync(process.execPath, [bin, '--check', ...select, addon], { encoding: 'utf8' });
      assert.equal(again.status, 0, `a second run would change something:\n${again.stdout}${again.stderr}`);
    });
  }
});
