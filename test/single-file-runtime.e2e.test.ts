// Proof, in real Blender, of the runtime that BGS011 embeds into a single-file add-on
// (fixtures/BGS011-timers-never-fire/single_file_addon.input/scene_link.py: a socket server whose client
// handler hands each request to the main thread with bpy.app.timers and waits for the result):
//   - before the fix, installed through Preferences > Install (bpy.ops.preferences.addon_install) and asked
//     from three client threads while the main thread loops for 3 s: no answer (timers never fire headless);
//   - after `bgsafe --write` (through the CLI), installed the same way: the installed folder holds the one
//     file, `<add-on>.bgsafe_runtime` is loaded, and all three clients get the scene's objects while the main
//     thread pumps the runtime (what the service loop does);
//   - the same file as a 4.2+ extension (its __init__.py, with a blender_manifest.toml, installed with
//     bpy.ops.extensions.package_install_files): the same answers, from `bl_ext.user_default.scene_link`.
// Runs on Debian's Blender and on $BLENDER4 / $BLENDER5 where set; skips with the reason where absent.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { EMBED_BEGIN } from '../src/syntax/timers-never-fire-runtime.js';
import { repoRoot } from './helpers.js';
import { freePort, serviceBlenders } from './service-helpers.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
const fixture = path.join(repoRoot, 'fixtures', 'BGS011-timers-never-fire', 'single_file_addon.input', 'scene_link.py');
const driver = path.join(repoRoot, 'test', 'python', 'install_single_file.py');

interface DriverResult {
  mode: string;
  version: number[];
  skipped?: string;
  enabled: boolean;
  errors: string[];
  file: string | null;
  folder: string[];
  runtime: boolean;
  seconds: number;
  answers: Array<{ id: number; ok?: string[]; error?: string }>;
}

async function drive(blender: string, work: string, addon: string, mode: 'install' | 'extension', wait: number): Promise<DriverResult> {
  // A private user folder per run; the chroot Blenders see /tmp but not the checkout, so the script is copied.
  const user = mkdtempSync(path.join(work, 'user-'));
  const script = path.join(work, 'install_single_file.py');
  copyFileSync(driver, script);
  const port = await freePort();
  const r = spawnSync(blender, ['--background', '--factory-startup', '--python-exit-code', '1', '--python', script], {
    encoding: 'utf8',
    timeout: 90_000,
    env: {
      ...process.env,
      BLENDER_USER_SCRIPTS: path.join(user, 'scripts'),
      BLENDER_USER_CONFIG: path.join(user, 'config'),
      BLENDER_USER_RESOURCES: path.join(user, 'resources'),
      BGSAFE_TEST_MODE: mode,
      BGSAFE_TEST_ADDON: addon,
      BGSAFE_TEST_WAIT: String(wait),
      SCENE_LINK_PORT: String(port),
    },
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `no RESULT line (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice('RESULT '.length)) as DriverResult;
}

describe('BGS011: the runtime embedded into a single-file add-on, in real Blender', { concurrency: 1 }, () => {
  for (const b of serviceBlenders()) {
    it(`scene_link.py installed alone and as an extension on ${b.label}`, { skip: b.skip, timeout: 240_000 }, async (t) => {
      if (b.skip) {
        console.log(`skipped: ${b.skip}`);
        return;
      }
      const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-single-file-'));
      try {
        mkdirSync(path.join(work, 'before'));
        mkdirSync(path.join(work, 'after'));
        const before = path.join(work, 'before', 'scene_link.py');
        const after = path.join(work, 'after', 'scene_link.py');
        copyFileSync(fixture, before);
        copyFileSync(fixture, after);

        const unfixed = await drive(b.path!, work, before, 'install', 3);
        t.diagnostic(`before: ${unfixed.answers.length} answers in ${unfixed.seconds} s`);
        assert.equal(unfixed.enabled, true, unfixed.errors.join('\n'));
        assert.equal(unfixed.runtime, false);
        assert.deepEqual(unfixed.answers, [], 'before the fix the server must not answer headless');

        const write = spawnSync(process.execPath, [cli, '--write', after], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(write.status, 0, write.stderr);
        const text = readFileSync(after, 'utf8');
        assert.equal(text.split(EMBED_BEGIN).length, 2, 'one embedded block');
        const again = spawnSync(process.execPath, [cli, after], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(again.status, 0, `a second run still finds something:\n${again.stdout}${again.stderr}`);

        const want = [0, 1, 2].map((id) => ({ id, ok: ['Camera', 'Cube', 'Light'] }));
        const installed = await drive(b.path!, work, after, 'install', 15);
        t.diagnostic(`installed alone: ${installed.answers.length} answers in ${installed.seconds} s`);
        assert.equal(installed.enabled, true, installed.errors.join('\n'));
        assert.deepEqual(installed.folder.filter((f) => f !== '__pycache__'), ['scene_link.py'], 'Preferences > Install copies the one file');
        assert.equal(installed.runtime, true, 'scene_link.bgsafe_runtime is not loaded');
        assert.deepEqual(installed.answers, want);

        const extension = await drive(b.path!, work, after, 'extension', 15);
        if (extension.skipped) {
          t.diagnostic(`extension: not on ${extension.version.join('.')} (${extension.skipped})`);
          return;
        }
        t.diagnostic(`as an extension: ${extension.answers.length} answers in ${extension.seconds} s`);
        assert.equal(extension.enabled, true, extension.errors.join('\n'));
        assert.match(extension.file ?? '', /extensions[\\/]user_default[\\/]scene_link[\\/]__init__\.py$/);
        assert.equal(extension.runtime, true, 'bl_ext.user_default.scene_link.bgsafe_runtime is not loaded');
        assert.deepEqual(extension.answers, want);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
