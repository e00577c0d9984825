// Proof of BGS011 and `bgsafe scaffold service` in real Blender, with fixtures/addons/timer_tcp_server (a TCP
// server answered from a bpy.app.timers callback):
//   1. before the fix, under `blender --background --factory-startup --python <enable it, sleep 5 s>`, a
//      client never gets an answer (timers never fire headless);
//   2. after `bgsafe --write` (BGS011 rewrites the calls and creates bgsafe_runtime.py) and
//      `bgsafe scaffold service`, the launcher starts it and a client gets its answer within 10 s;
//   3. SIGTERM to the launcher stops it within 5 s with exit code 0, and the add-on's unregister() ran.
// Runs on Debian's Blender and on $BLENDER4 and $BLENDER5 where set. Every wait is bounded; every process started here
// runs in its own process group, which is killed at the end.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { scaffoldService } from '../src/scaffold/index.js';
import { repoRoot } from './helpers.js';
import { exited, freePort, killGroup, serviceBlenders } from './service-helpers.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
const fixture = path.join(repoRoot, 'fixtures', 'addons', 'timer_tcp_server');

const blenders = serviceBlenders();

/** One request; the answer, or null when there is none within `ms`. */
function ask(port: number, ms: number): Promise<string | null> {
  return new Promise((resolve) => {
    let data = '';
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (v: string | null): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(data || null), ms);
    sock.on('connect', () => sock.write('ping\n'));
    sock.on('data', (d) => {
      data += d.toString();
      if (data.includes('\n')) done(data.trim());
    });
    sock.on('error', () => done(null));
  });
}

/** Ask until an answer comes or `ms` pass. */
async function answerWithin(port: number, ms: number): Promise<string | null> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const a = await ask(port, Math.min(1000, Math.max(50, end - Date.now())));
    if (a) return a;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

describe('BGS011 + scaffold service: a timer-driven TCP server in real headless Blender', { concurrency: 1 }, () => {
  for (const b of blenders) {
    it(`timer_tcp_server on ${b.label}`, { skip: b.skip, timeout: 180_000 }, async (t) => {
      if (b.skip) {
        // node:test prints the reason; say it where a plain log reader sees it too.
        console.log(`skipped: ${b.skip}`);
        return;
      }
      const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-bgs011-'));
      const scripts = path.join(work, 'scripts');
      const addon = path.join(work, 'src', 'timer_tcp_server');
      cpSync(fixture, addon, { recursive: true });
      const marker = path.join(work, 'unregistered.txt');
      const started: ChildProcess[] = [];
      try {
        // 1. Before the fix: enabled from a script that keeps Blender alive for 5 s. No answer.
        const port1 = await freePort();
        cpSync(addon, path.join(scripts, 'addons', 'timer_tcp_server'), { recursive: true });
        const sleeper = path.join(work, 'enable_and_sleep.py');
        writeFileSync(sleeper, 'import time\nimport addon_utils\naddon_utils.enable("timer_tcp_server", default_set=False)\nprint("enabled", flush=True)\ntime.sleep(5)\n');
        const before = spawn(b.path!, ['--background', '--factory-startup', '--python', sleeper], {
          env: { ...process.env, BLENDER_USER_SCRIPTS: scripts, BGSAFE_TEST_PORT: String(port1) },
          detached: true,
          stdio: 'ignore',
        });
        started.push(before);
        const beforeAnswer = await answerWithin(port1, 5000);
        t.diagnostic(`before the fix: answer ${JSON.stringify(beforeAnswer)}`);
        assert.equal(beforeAnswer, null, 'before the fix the timer-driven server must not answer headless');
        assert.notEqual(await exited(before, 20_000), 'timeout', 'Blender did not quit after the script ended');

        // 2. The fix and the service files.
        const write = spawnSync(process.execPath, [cli, '--write', '--select', 'BGS011', addon], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(write.status, 0, write.stderr);
        assert.match(write.stderr, /findings by rule: .*BGS011/);
        assert.ok(existsSync(path.join(addon, 'bgsafe_runtime.py')), `no bgsafe_runtime.py created:\n${write.stderr}`);
        const r = scaffoldService({ addon, out: path.join(work, 'service') });
        assert.deepEqual(r.notes, []);

        // 3. The launcher serves; a client gets its answer within 10 s.
        const port2 = await freePort();
        const t0 = Date.now();
        let log = '';
        const launcher = spawn('python3', [r.launcher], {
          env: { ...process.env, BLENDER: b.path!, BGSAFE_TEST_PORT: String(port2), BGSAFE_TEST_UNREGISTERED: marker },
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        started.push(launcher);
        launcher.stdout!.on('data', (d) => (log += d));
        launcher.stderr!.on('data', (d) => (log += d));
        const answer = await answerWithin(port2, 10_000);
        const elapsed = (Date.now() - t0) / 1000;
        console.log(`${b.label}: launch to first answer ${elapsed.toFixed(2)} s: ${answer}`);
        t.diagnostic(`launch to first answer: ${elapsed.toFixed(2)} s`);
        assert.ok(answer?.startsWith('pong ping from Blender'), `no answer within 10 s; service output:\n${log}`);

        // 4. SIGTERM (to the launcher only: it passes it on) stops it cleanly within 5 s.
        const t1 = Date.now();
        launcher.kill('SIGTERM');
        const code = await exited(launcher, 5000);
        t.diagnostic(`SIGTERM to exit: ${((Date.now() - t1) / 1000).toFixed(2)} s, exit ${code}`);
        assert.equal(code, 0, `the launcher did not exit 0 within 5 s after SIGTERM (got ${code}); output:\n${log}`);
        assert.equal(readFileSync(marker, 'utf8'), 'unregistered\n', "the add-on's unregister() did not run");
        assert.match(log, /service: stopping timer_tcp_server/);
      } finally {
        for (const p of started) killGroup(p);
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
