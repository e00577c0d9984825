// Proof of BGS012's run_modal fix in real Blender, with fixtures/addons/modal_timer_service (register() starts,
// from a timer, a modal-only operator whose modal() writes heartbeat.json on each TIMER event and finishes
// after 5 beats), run as a headless service by the launcher of `bgsafe scaffold service`:
//   1. before any fix: no heartbeat (the start timer never fires headless);
//   2. after BGS011 alone (the start timer is on the pump): the start runs, but Blender prints
//      `wm_operator_invoke: invalid operator call 'QUEUE_OT_heartbeat'` and still no heartbeat;
//   3. after BGS012 too (`bgsafe_runtime.run_modal` in background mode): 5 beats, state "done", the
//      operator's report printed; SIGTERM stops the service with exit code 0; a second run changes nothing.
// Runs on Debian's Blender and on $BLENDER4 and $BLENDER5 where set. Every wait is bounded; every process started here runs
// in its own process group, which is killed at the end.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { scaffoldService } from '../src/scaffold/index.js';
import { repoRoot } from './helpers.js';
import { exited, killGroup, serviceBlenders } from './service-helpers.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
const fixture = path.join(repoRoot, 'fixtures', 'addons', 'modal_timer_service');

const blenders = serviceBlenders();

/** Wait until `test()` holds, at most `ms`; true if it did. */
async function until(test: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return test();
}

function heartbeat(out: string): { state: string; beats: number; of: number } | null {
  try {
    return JSON.parse(readFileSync(path.join(out, 'heartbeat.json'), 'utf8'));
  } catch {
    return null;
  }
}

interface Run {
  log: string;
  code: number | string | null;
}

/**
 * Run the service launcher; once it says it is running, wait until `done()` holds or `ms` pass, then SIGTERM
 * it (the launcher passes it on) and wait at most 10 s for it to exit.
 */
async function runService(launcher: string, blender: string, out: string, started: ChildProcess[], done: () => boolean, ms: number): Promise<Run> {
  let log = '';
  const p = spawn('python3', [launcher], {
    env: { ...process.env, BLENDER: blender, BGSAFE_E2E_OUT: out },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(p);
  p.stdout!.on('data', (d) => (log += d));
  p.stderr!.on('data', (d) => (log += d));
  const running = await until(() => /service: modal_timer_service is running/.test(log), 30_000);
  assert.ok(running, `the service did not start within 30 s; output:\n${log}`);
  await until(done, ms);
  p.kill('SIGTERM');
  const code = await exited(p, 10_000);
  return { log, code };
}

describe('BGS012 run_modal: a modal TIMER operator started by a headless service, in real Blender', { concurrency: 1 }, () => {
  for (const b of blenders) {
    it(`modal_timer_service on ${b.label}`, { skip: b.skip, timeout: 240_000 }, async (t) => {
      if (b.skip) {
        console.log(`skipped: ${b.skip}`);
        return;
      }
      const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-bgs012-modal-'));
      const addon = path.join(work, 'src', 'modal_timer_service');
      cpSync(fixture, addon, { recursive: true });
      const out = path.join(work, 'out');
      mkdirSync(out);
      const started: ChildProcess[] = [];
      const write = (select: string): string => {
        const r = spawnSync(process.execPath, [cli, '--write', '--select', select, addon], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(r.status, 0, r.stderr);
        return r.stderr;
      };
      try {
        // The launcher copies the add-on from its source folder at each start, so one scaffold serves all runs.
        const service = scaffoldService({ addon, out: path.join(work, 'service') });

        // 1. Before any fix: no heartbeat within 3 s of the service running.
        const before = await runService(service.launcher, b.path!, out, started, () => heartbeat(out) !== null, 3000);
        t.diagnostic(`before: heartbeat ${JSON.stringify(heartbeat(out))}, exit ${before.code}`);
        assert.equal(heartbeat(out), null, `before the fix the modal operator must not run headless; output:\n${before.log}`);

        // 2. BGS011 alone: the deferred start runs on the pump, but the operator is a silent no-op.
        assert.match(write('BGS011'), /findings by rule: .*BGS011/);
        assert.ok(existsSync(path.join(addon, 'bgsafe_runtime.py')));
        const half = await runService(service.launcher, b.path!, out, started, () => heartbeat(out) !== null, 3000);
        t.diagnostic(`BGS011 only: heartbeat ${JSON.stringify(heartbeat(out))}, exit ${half.code}`);
        // 3.4.1 and 4.3.2 log `wm_operator_invoke: invalid operator call 'X'`, 5.2.2 `ERROR Invalid operator call 'X'`.
        assert.match(half.log, /[Ii]nvalid operator call 'QUEUE_OT_heartbeat'/);
        assert.equal(heartbeat(out), null, `with the start on the pump but INVOKE_DEFAULT headless, nothing may run; output:\n${half.log}`);

        // 3. BGS012: run_modal runs invoke() and modal() on the pump: 5 beats, then done.
        const fixed = write('BGS012');
        assert.match(fixed, /findings by rule: .*BGS012/);
        assert.match(readFileSync(path.join(addon, '__init__.py'), 'utf8'), /if bpy\.app\.background:\n        bgsafe_runtime\.run_modal\(bpy\.ops\.queue\.heartbeat, beats=5\)\n    else:\n        bpy\.ops\.queue\.heartbeat\('INVOKE_DEFAULT', beats=5\)\n/);
        const t0 = Date.now();
        const after = await runService(service.launcher, b.path!, out, started, () => heartbeat(out)?.state === 'done', 15_000);
        const seconds = ((Date.now() - t0) / 1000).toFixed(2);
        t.diagnostic(`after: heartbeat ${JSON.stringify(heartbeat(out))} (${seconds} s from launch to stop), exit ${after.code}`);
        console.log(`${b.label}: heartbeat ${JSON.stringify(heartbeat(out))}`);
        assert.deepEqual(heartbeat(out), { state: 'done', beats: 5, of: 5 }, `output:\n${after.log}`);
        assert.match(after.log, /Info: heartbeat: 5 beats/);
        assert.doesNotMatch(after.log, /[Ii]nvalid operator call|Traceback/);
        assert.equal(after.code, 0, `the service did not exit 0 after SIGTERM; output:\n${after.log}`);

        // A second run finds nothing more to change.
        const check = spawnSync(process.execPath, [cli, '--check', '--select', 'BGS011,BGS012', addon], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(check.status, 0, check.stderr + check.stdout);
      } finally {
        for (const p of started) killGroup(p);
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
