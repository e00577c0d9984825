// BGS020 by target range: keys that break only as an extension (Blender 4.2+) are left alone when every
// supported version is older; keys that break in every install are fixed whatever the range.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { addonPreferencesKey } from '../rules/addon-preferences-key.js';
import { run } from '../src/runner.js';
import { parseTargetSpec } from '../src/versions.js';
import { repoRoot } from './helpers.js';

const cases = path.join(repoRoot, 'fixtures', 'BGS020-addon-preferences-key');

async function findingsFor(caseName: string, spec: string): Promise<string[]> {
  const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-bgs020-'));
  try {
    cpSync(path.join(cases, `${caseName}.input`), work, { recursive: true });
    const report = await run({ paths: ['.'], cwd: work, rules: [addonPreferencesKey], config: false, targetBlender: parseTargetSpec(spec, 'flag') });
    assert.deepEqual(report.errors, []);
    return report.files.flatMap((f) => f.findings.map((x) => `${f.path}:${x.startPos.line} ${x.messageId}`));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe('BGS020 addon-preferences-key by target range', () => {
  it('3.0 to 4.1: no extensions, so split(".")[0] and hard-coded names are right; __name__ is still wrong', async () => {
    assert.deepEqual(await findingsFor('studio_tools_package', '3.0-4.1'), [
      'studio_tools/ops/__init__.py:7 deeperPackage',
      'studio_tools/ops/render.py:12 ownName',
      'studio_tools/panels/render/sidebar.py:12 deeperPackage',
    ]);
    assert.deepEqual(await findingsFor('render_farm_extension', '3.0-4.1'), ['render_farm/jobs/queue.py:5 ownName']);
  });

  it('4.2 and later: the extension-only keys are reported too', async () => {
    assert.deepEqual(await findingsFor('render_farm_extension', '4.2'), [
      'render_farm/__init__.py:18 firstPart',
      'render_farm/jobs/queue.py:5 ownName',
      'render_farm/submit.py:13 hardCoded',
    ]);
  });
});
