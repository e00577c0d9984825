// bgsafe_runtime's schedule() / unschedule() / is_scheduled() called from many threads at once (issue 10: a
// server thread hands each request to the main thread with a timer and waits for the result).
//   - python3 with the stand-in bpy of test/python/bpy.py, whose bpy.app.timers and load_pre handlers assert
//     that only the main thread touches them: background mode (serve_forever on the main thread) and the GUI
//     (a main loop that runs Blender's timer rounds; calls from threads go through the runtime's bridge timer);
//   - real `blender --background` 3.4 / 4.3 / 5.2 (skipped with a printed reason where absent): the same
//     background script, in Blender's own Python; it also hands GUI-path calls from a thread to Blender's real
//     bpy.app.timers through the bridge, ticked by hand (no display here for a GUI Blender).
// Each script prints `RESULT {json}` with what it saw; the assertions are here. Latencies (schedule() in a
// thread to the callback running on the main thread) are printed as diagnostics, never asserted.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runtimeModuleText } from '../src/syntax/timers-never-fire-runtime.js';
import { repoRoot } from './helpers.js';
import { serviceBlenders } from './service-helpers.js';

const scripts = path.join(repoRoot, 'test', 'python');
const python3 = spawnSync('python3', ['--version']).status === 0;

interface Stress {
  missing: number;
  ran_more_than_once: number;
  off_main_thread: number;
  answered: number;
  callbacks_seen: number;
  latency_ms_median: number | null;
  latency_ms_max: number | null;
}

/** A temporary folder (under /tmp, which the Blender 4/5 wrappers bind into their chroot) holding the runtime
 *  as bgsafe generates it, the given helper files of test/python, and nothing else. */
function folderWith(files: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-threads-'));
  writeFileSync(path.join(dir, 'bgsafe_runtime.py'), runtimeModuleText());
  for (const f of files) copyFileSync(path.join(scripts, f), path.join(dir, f));
  return dir;
}

function resultOf(r: ReturnType<typeof spawnSync>): Record<string, any> {
  const out = String(r.stdout ?? '');
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  assert.ok(line, `no RESULT line (exit ${r.status}, signal ${r.signal}):\n${out}\n${String(r.stderr ?? '')}`);
  return JSON.parse(line.slice('RESULT '.length));
}

function assertStress(s: Stress, expected: number): void {
  assert.equal(s.callbacks_seen, expected, 'every callback ran');
  assert.equal(s.missing, 0);
  assert.equal(s.ran_more_than_once, 0, 'no callback ran twice');
  assert.equal(s.off_main_thread, 0, 'every callback ran on the main thread');
  assert.equal(s.answered, expected, 'every waiting thread got its answer');
}

/** The background script's checks, the same under the stand-in and in real Blender. */
function assertBackground(r: Record<string, any>, notRegistered: string): void {
  assert.deepEqual(r.thread_errors, []);
  assert.equal(r.background, true);
  assertStress(r.stress, 8 * 200);
  assert.equal(r.load_handler_installed_once, true, "the load_pre handler is installed once (on the main thread)");
  const c = r.checks;
  // unschedule() from a thread while the callback runs: is_scheduled() was True during the run, False after;
  // the run finished and the callback's returned 0.0 did not make it run again.
  assert.equal(c.running_is_scheduled, true);
  assert.equal(c.after_unschedule_is_scheduled, false);
  assert.equal(c.running_unscheduled_runs, 1);
  assert.equal(c.running_unscheduled_left, false);
  // is_scheduled() from a thread while the pump reschedules the callback: never a False in between.
  assert.deepEqual(c.racing_is_scheduled, { true: 20000, false: 0 });
  assert.ok(c.racing_ticks > 0);
  assert.equal(c.racing_left, false);
  // wait(5) returns when another thread schedules (after its 50 ms), not after 5 s.
  assert.equal(c.wait_woken, true);
  assert.ok(c.wait_seconds < 1, `wait() took ${c.wait_seconds} s`);
  assert.equal(c.wait_timeout_returns_false, true);
  // Two add-ons' copies: one service loop waiting in one copy's wait() wakes for a schedule() in the other.
  assert.equal(c.copies_share_wake, true);
  assert.equal(c.other_copy_wakes_wait, true);
  assert.ok(c.other_copy_wait_seconds < 1, `wait() took ${c.other_copy_wait_seconds} s`);
  assert.deepEqual(c.errors, {
    unschedule_unknown: `ValueError: ${notRegistered}`,
    schedule_not_callable: 'TypeError: function is not callable',
    schedule_bad_interval: 'TypeError: must be real number, not str',
  });
  assert.equal(c.is_scheduled_unknown, false);
  // The GUI path against this bpy.app.timers (the bridge ticked by hand: timers never fire headless).
  assert.deepEqual(r.gui_path, {
    handed_over: [null, true],
    blender_before_tick: false,
    main_call_starts_bridge: true,
    blender_after_main_call: true,
    thread_is_scheduled: true,
    thread_unschedule: null,
    blender_after_unschedule: false,
    thread_unschedule_again: `ValueError: ${notRegistered}`,
  });
}

function latency(s: Stress): string {
  return `schedule() in a thread to the callback on the main thread: median ${s.latency_ms_median} ms, max ${s.latency_ms_max} ms`;
}

describe('bgsafe_runtime from many threads (python3, stand-in bpy)', () => {
  const skip = python3 ? false : 'no python3';
  for (const version of ['4.3.2', '5.2.2']) {
    it(`background mode (stand-in Blender ${version}): 8 threads x 200 callbacks under serve_forever, races, wait()`, { skip, timeout: 120_000 }, (t) => {
      const dir = folderWith(['bpy.py', 'threads_background.py']);
      try {
        const r = spawnSync('python3', [path.join(dir, 'threads_background.py'), dir], {
          encoding: 'utf8',
          timeout: 100_000,
          env: { ...process.env, BGSAFE_STUB_BACKGROUND: '1', BGSAFE_STUB_VERSION: version },
        });
        const res = resultOf(r);
        assert.equal(r.status, 0, r.stderr);
        assertBackground(res, version.startsWith('5') ? 'function is not registered' : 'Error: function is not registered');
        t.diagnostic(latency(res.stress));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('GUI: threads never touch bpy.app.timers; the bridge makes their calls on the main thread and stops when replaced', { skip, timeout: 120_000 }, (t) => {
    const dir = folderWith(['bpy.py', 'threads_gui.py']);
    try {
      const r = spawnSync('python3', [path.join(dir, 'threads_gui.py'), dir], { encoding: 'utf8', timeout: 100_000, env: { ...process.env, BGSAFE_STUB_BACKGROUND: '0' } });
      const res = resultOf(r);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(res.thread_errors, [], 'no thread touched bpy.app.timers (the stand-in asserts it) and none failed');
      assert.equal(res.bridge_at_import, 1, 'importing the runtime on the main thread registers one bridge timer');
      assertStress(res.stress, 8 * 200);
      const c = res.checks;
      // Blender's answers, from a thread.
      assert.deepEqual(c.handed_over_is_scheduled, [null, true], 'a function handed over but not yet registered is scheduled');
      assert.equal(c.registered_is_scheduled, true);
      assert.equal(c.unschedule, null);
      assert.equal(c.after_unschedule_is_scheduled, false);
      assert.equal(c.unschedule_again, 'ValueError: Error: function is not registered');
      assert.equal(c.never_scheduled_is_scheduled, false);
      assert.deepEqual(c.taken_back, [null, null, false], 'schedule then unschedule before the main thread saw it');
      assert.equal(c.never_ran, undefined);
      assert.equal(c.thread_schedule_not_callable, 'TypeError: function is not callable');
      assert.equal(c.thread_schedule_bad_interval, 'TypeError: must be real number, not str');
      assert.equal(c.runs_after_thread_unschedule, 0, 'a repeating timer stopped from a thread does not run again');
      assert.ok(c['first_interval_0.3_ran_after'] >= 0.29 && c['first_interval_0.3_ran_after'] < 0.45, `first_interval=0.3 from a thread ran after ${c['first_interval_0.3_ran_after']} s (counted from schedule())`);
      // The main thread: exactly bpy.app.timers (the stand-in's own errors and answers).
      assert.deepEqual(c.main_schedule_not_callable, ['TypeError: function is not callable']);
      assert.deepEqual(c.main_unschedule_unknown, ['ValueError: Error: function is not registered']);
      assert.deepEqual(c.main_is_scheduled_unknown, ['ok', false]);
      assert.equal(c.main_sees_handed_over, true, 'a main-thread call first makes the calls handed over before it');
      // Replaced copies: one bridge left each time; the old one made its pending calls; old copies still work.
      assert.equal(c.pending_before_reload_ran, true);
      assert.equal(c.after_reload_bridges, 1);
      assert.equal(c.old_bridge_state, 'stopped');
      assert.equal(c.after_embeds_bridges, 1);
      assert.equal(c.embedded_second_state, 'stopped');
      for (const copy of ['first', 'second']) {
        assert.equal(c[`old_${copy}_copy_ran`], true, `a thread's schedule() on the replaced ${copy} copy runs, on the main thread`);
        assert.equal(c[`old_${copy}_copy_is_scheduled_answer`], false);
      }
      t.diagnostic(`${latency(res.stress)} (bridge every 5 ms, main loop sleeping 2 ms a round)`);
      t.diagnostic(`bridge tick with nothing handed over: ${res.bridge_idle_tick_us} µs of Python`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bgsafe_runtime from many threads in real headless Blender', { concurrency: 1 }, () => {
  for (const b of serviceBlenders()) {
    it(`background mode on ${b.label}: 8 threads x 200 callbacks under serve_forever, races, wait()`, { skip: b.skip, timeout: 180_000 }, (t) => {
      if (b.skip) {
        console.log(`skipped: ${b.skip}`);
        return;
      }
      const dir = folderWith(['threads_background.py']);
      try {
        const r = spawnSync(b.path!, ['--background', '--factory-startup', '--python-exit-code', '1', '--python', path.join(dir, 'threads_background.py'), '--', dir], {
          encoding: 'utf8',
          timeout: 150_000,
          cwd: dir,
        });
        const res = resultOf(r);
        assert.equal(r.status, 0, r.stderr);
        assertBackground(res, String(res.blender).startsWith('5.') ? 'function is not registered' : 'Error: function is not registered');
        console.log(`${b.label} (${res.blender}, Python ${res.python}): ${latency(res.stress)}; bridge tick with nothing handed over: ${res.bridge_idle_tick_us} µs`);
        t.diagnostic(latency(res.stress));
        t.diagnostic(`bridge tick with nothing handed over: ${res.bridge_idle_tick_us} µs of Python`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
