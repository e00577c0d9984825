// The Blender versions fixes are for: --target-blender specs, bl_info, blender_manifest.toml, the
// precedence between them, and what the summary and the JSON report say.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  allBefore,
  allFrom,
  blInfoMinimum,
  declaredTarget,
  formatRange,
  includesBefore,
  manifestRange,
  parseTargetSpec,
  TargetSpecError,
} from '../src/versions.js';
import { repoRoot } from './helpers.js';

const bin = path.join(repoRoot, 'bin', 'bgsafe.js');

describe('--target-blender specs', () => {
  it('a version is a minimum; A-B includes B; -B starts at 2.80', () => {
    assert.deepEqual(parseTargetSpec('4.2', 'flag'), { min: [4, 2], maxExclusive: null, source: 'flag' });
    assert.deepEqual(parseTargetSpec('4.2-4.5', 'flag'), { min: [4, 2], maxExclusive: [4, 6], source: 'flag' });
    assert.deepEqual(parseTargetSpec(' -3.6 ', 'config'), { min: [2, 80], maxExclusive: [3, 7], source: 'config' });
    assert.deepEqual(parseTargetSpec('4.2.1', 'flag').min, [4, 2]);
    assert.equal(formatRange(parseTargetSpec('4.2-4.5', 'flag')), '4.2 to 4.5');
    assert.equal(formatRange(parseTargetSpec('3.6', 'flag')), '3.6 and later');
  });
  it('rejects what is not a version, and ranges that end before they start', () => {
    for (const bad of ['4', '4.x', 'latest', '-', '5.0-4.2', '']) assert.throws(() => parseTargetSpec(bad, 'flag'), TargetSpecError, bad);
    // An open end is allowed: 4.2 and later.
    assert.deepEqual(parseTargetSpec('4.2-', 'flag').maxExclusive, null);
  });
  it('answers which versions a range holds', () => {
    const r = parseTargetSpec('3.4-4.5', 'flag');
    assert.equal(includesBefore(r, [3, 5]), true);
    assert.equal(allFrom(r, [3, 4]), true);
    assert.equal(allFrom(r, [3, 5]), false);
    assert.equal(allBefore(r, [5, 0]), true);
    assert.equal(allBefore(r, [4, 5]), false);
  });
});

describe('what an add-on declares', () => {
  it('bl_info["blender"] is a minimum, found only in a bl_info dict', () => {
    assert.deepEqual(blInfoMinimum('bl_info = {\n    "name": "X",\n    "blender": (2, 80, 0),\n}\n'), [2, 80]);
    assert.deepEqual(blInfoMinimum("bl_info = {'blender': [4, 2, 0]}"), [4, 2]);
    assert.equal(blInfoMinimum('x = {"blender": (4, 2, 0)}'), null);
  });
  it("blender_manifest.toml's blender_version_max is the first version not supported", () => {
    const r = manifestRange('schema_version = "1.0.0"\nblender_version_min = "4.2.0"\nblender_version_max = "5.1.0"\n');
    assert.deepEqual(r, { min: [4, 2], maxExclusive: [5, 1], source: 'blender_manifest.toml' });
    assert.equal(formatRange(r!), '4.2 to 5.0');
    assert.equal(formatRange(manifestRange('blender_version_min = "4.2.0"\nblender_version_max = "5.0.0"\n')!), '4.2 to before 5.0');
    assert.equal(manifestRange('not = toml = at all'), null);
    assert.equal(manifestRange('name = "no versions"'), null);
  });
  it('the manifest wins over bl_info; neither gives 2.80 and later', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-versions-'));
    const pkg = path.join(dir, 'pkg');
    mkdirSync(pkg);
    writeFileSync(path.join(pkg, '__init__.py'), 'bl_info = {"blender": (3, 0, 0)}\n');
    assert.equal(declaredTarget(pkg).source, 'bl_info');
    writeFileSync(path.join(pkg, 'blender_manifest.toml'), 'blender_version_min = "4.2.0"\n');
    assert.deepEqual(declaredTarget(pkg).min, [4, 2]);
    const single = path.join(dir, 'single.py');
    writeFileSync(single, 'import bpy\n');
    assert.deepEqual(declaredTarget(single), { min: [2, 80], maxExclusive: null, source: 'default' });
  });
});

describe('the CLI says which range it used', () => {
  const addon = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-versions-cli-'));
    const pkg = path.join(dir, 'farm_tools');
    mkdirSync(pkg);
    writeFileSync(path.join(pkg, '__init__.py'), 'bl_info = {"name": "Farm tools", "blender": (3, 6, 0)}\n\n\ndef register():\n    pass\n');
    writeFileSync(path.join(pkg, 'blender_manifest.toml'), 'blender_version_min = "4.2.0"\nblender_version_max = "5.0.0"\n');
    return dir;
  };
  it('from the manifest, in the summary and the JSON report', () => {
    const dir = addon();
    const text = spawnSync(process.execPath, [bin, 'farm_tools'], { cwd: dir, encoding: 'utf8' });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stderr, /^target Blender: 4\.2 to before 5\.0 \(blender_manifest\.toml\)$/m);
    const json = spawnSync(process.execPath, [bin, '--format', 'json', 'farm_tools'], { cwd: dir, encoding: 'utf8' });
    const report = JSON.parse(json.stdout) as { addons: Array<{ targetBlender: unknown }> };
    assert.deepEqual(report.addons[0].targetBlender, { min: '4.2', max: '<5.0', source: 'blender_manifest.toml', text: '4.2 to before 5.0' });
  });
  it('--target-blender wins over pyproject.toml, which wins over the add-on', () => {
    const dir = addon();
    writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.bgsafe]\ntarget-blender = "4.5"\n');
    const fromConfig = spawnSync(process.execPath, [bin, 'farm_tools'], { cwd: dir, encoding: 'utf8' });
    assert.match(fromConfig.stderr, /^target Blender: 4\.5 and later \(target-blender in pyproject\.toml\)$/m);
    const fromFlag = spawnSync(process.execPath, [bin, '--target-blender', '3.6-4.1', 'farm_tools'], { cwd: dir, encoding: 'utf8' });
    assert.match(fromFlag.stderr, /^target Blender: 3\.6 to 4\.1 \(--target-blender\)$/m);
  });
  it('a bad spec is a usage error (exit 2) that says what is expected; so is one in pyproject.toml', () => {
    const dir = addon();
    const bad = spawnSync(process.execPath, [bin, '--target-blender', 'five', 'farm_tools'], { cwd: dir, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--target-blender: "five" is not a Blender version or range; expected e\.g\. 4\.2/);
    assert.doesNotMatch(bad.stderr, /at .*\.js:\d+/);
    writeFileSync(path.join(dir, 'pyproject.toml'), '[tool.bgsafe]\ntarget-blender = 4.2\n');
    const badConfig = spawnSync(process.execPath, [bin, 'farm_tools'], { cwd: dir, encoding: 'utf8' });
    assert.equal(badConfig.status, 2);
    assert.match(badConfig.stderr, /pyproject\.toml.*target-blender must be a string/);
  });
});
