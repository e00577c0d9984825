// Faults of a scaffolded service in real headless Blender (issue 11), on the fixture scene_bridge_mcp.py after
// `bgsafe --write` and `bgsafe scaffold service`:
//   - Blender killed from outside (SIGKILL) while it serves: the launcher says so, exits 137 (128 + 9) and
//     removes its ready file;
//   - the launcher itself killed by SIGKILL: Blender does not stay behind (it gets SIGTERM, PR_SET_PDEATHSIG);
//   - the port already taken: the add-on cannot be enabled; exit 1 with Python's error and nothing left running;
//   - a client that hangs (connects, sends nothing), one that stops mid-line and one that floods (300 requests
//     at once): every request of the flood and of a well-behaved client is answered, and SIGTERM still stops
//     the service within 5 s with exit 0 and unregister() run, while the hung clients are connected.
// Runs on Debian's Blender and on $BLENDER4 / $BLENDER5 where set. Every process started here is in its own
// process group, killed at the end.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers.js';
import { exited, freePort, killGroup, serviceBlenders } from './service-helpers.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
const fixture = path.join(repoRoot, 'fixtures', 'addons', 'scene_bridge_mcp.py');

interface Service {
  launcher: ChildProcess;
  log: () => string;
  readyFile: string;
  marker: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(test: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return test();
}

/** Lines of JSON answers on one connection: sends `text`, resolves with the first `count` lines (or what came
 *  within `ms`). */
function exchange(port: number, text: string, count: number, ms: number): Promise<string[]> {
  return new Promise((resolve) => {
    let data = '';
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(data.split('\n').filter(Boolean).slice(0, count));
    };
    const timer = setTimeout(done, ms);
    sock.on('connect', () => sock.write(text));
    sock.on('data', (d) => {
      data += d.toString();
      if (data.split('\n').filter(Boolean).length >= count) done();
    });
    sock.on('error', done);
  });
}

describe('service faults: a scaffolded service in real headless Blender', { concurrency: 1 }, () => {
  for (const b of serviceBlenders()) {
    it(`scene_bridge_mcp on ${b.label}`, { skip: b.skip, timeout: 240_000 }, async (t) => {
      if (b.skip) {
        console.log(`skipped: ${b.skip}`);
        return;
      }
      const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-service-faults-'));
      const started: ChildProcess[] = [];
      const addon = path.join(work, 'scene_bridge_mcp.py');
      copyFileSync(fixture, addon);
      const write = spawnSync(process.execPath, [cli, '--write', '--unsafe-fixes', addon], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(write.status, 0, write.stderr);
      const scaffold = spawnSync(process.execPath, [cli, 'scaffold', 'service', addon, '--out', path.join(work, 'svc')], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(scaffold.status, 0, scaffold.stderr);
      const launcherScript = path.join(work, 'svc', 'scene_bridge_mcp_service.py');
      let run = 0;
      const launch = (port: number): Service => {
        run += 1;
        const readyFile = path.join(work, `ready-${run}.json`);
        const marker = path.join(work, `unregistered-${run}.txt`);
        let log = '';
        const launcher = spawn('python3', [launcherScript, '--ready-file', readyFile], {
          env: { ...process.env, BLENDER: b.path!, SCENE_BRIDGE_PORT: String(port), BGSAFE_TEST_UNREGISTERED: marker },
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        started.push(launcher);
        launcher.stdout!.on('data', (d) => (log += d));
        launcher.stderr!.on('data', (d) => (log += d));
        return { launcher, log: () => log, readyFile, marker };
      };
      const ready = async (s: Service): Promise<number> => {
        assert.ok(await until(() => existsSync(s.readyFile), 60_000), `not ready within 60 s:\n${s.log()}`);
        return (JSON.parse(readFileSync(s.readyFile, 'utf8')) as { pid: number }).pid;
      };
      try {
        // 1. Blender killed from outside.
        const s1 = launch(await freePort());
        const pid1 = await ready(s1);
        process.kill(pid1, 'SIGKILL');
        const code1 = await exited(s1.launcher, 10_000);
        t.diagnostic(`Blender killed: launcher exit ${code1}`);
        assert.equal(code1, 137, s1.log());
        assert.match(s1.log(), new RegExp(`service: Blender \\(pid \\d+\\) was killed by SIGKILL while running scene_bridge_mcp; the add-on's unregister\\(\\) did not run`));
        assert.equal(existsSync(s1.readyFile), false, 'the ready file is removed');

        // 2. The launcher killed: Blender follows it.
        const s2 = launch(await freePort());
        const pid2 = await ready(s2);
        process.kill(s2.launcher.pid!, 'SIGKILL');
        const gone = await until(() => !alive(pid2), 15_000);
        t.diagnostic(`launcher killed: Blender ${gone ? 'gone' : 'still running'}`);
        assert.ok(gone, `Blender (pid ${pid2}) is still running 15 s after its launcher was killed`);
        assert.ok(await until(() => existsSync(s2.marker), 5000), 'Blender got SIGTERM, so its unregister() ran');

        // 3. The port already taken.
        const port3 = await freePort();
        const squatter = net.createServer().listen(port3, '127.0.0.1');
        await new Promise((r) => squatter.once('listening', r));
        try {
          const s3 = launch(port3);
          const code3 = await exited(s3.launcher, 60_000);
          t.diagnostic(`port taken: launcher exit ${code3}`);
          assert.equal(code3, 1, s3.log());
          assert.match(s3.log(), /Address already in use/);
          assert.match(s3.log(), /service: the add-on 'scene_bridge_mcp' could not be enabled/);
          assert.equal(existsSync(s3.readyFile), false, 'never ready');
        } finally {
          squatter.close();
        }

        // 4. Clients that hang, stop mid-line or flood.
        const port4 = await freePort();
        const s4 = launch(port4);
        await ready(s4);
        const hung = net.connect({ host: '127.0.0.1', port: port4 });
        const halfway = net.connect({ host: '127.0.0.1', port: port4 }, () => halfway.write('{"type": "pi'));
        hung.on('error', () => undefined);
        halfway.on('error', () => undefined);
        const t0 = Date.now();
        const flood = await exchange(port4, '{"type": "ping"}\n'.repeat(300), 300, 30_000);
        t.diagnostic(`flood: ${flood.length} of 300 answered in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
        assert.equal(flood.length, 300);
        assert.ok(flood.every((l) => (JSON.parse(l) as { status: string }).status === 'success'));
        const polite = await exchange(port4, '{"type": "ping"}\n', 1, 10_000);
        assert.equal(polite.length, 1, 'a well-behaved client is answered while others hang');
        const t1 = Date.now();
        s4.launcher.kill('SIGTERM');
        const code4 = await exited(s4.launcher, 5000);
        t.diagnostic(`SIGTERM with hung clients: exit ${code4} in ${((Date.now() - t1) / 1000).toFixed(2)} s`);
        assert.equal(code4, 0, s4.log());
        assert.ok(existsSync(s4.marker), "unregister() ran");
        hung.destroy();
        halfway.destroy();
      } finally {
        for (const p of started) killGroup(p);
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});

describe('verify faults: Blender killed mid-run', () => {
  const debian = serviceBlenders()[0]!;
  it(`is reported as killed from outside, not as a crash of the add-on, and nothing is left running (${debian.label})`, { skip: debian.skip, timeout: 120_000 }, () => {
    if (debian.skip) {
      console.log(`skipped: ${debian.skip}`);
      return;
    }
    const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-verify-killed-'));
    try {
      // A Blender that something kills 1.5 s after it starts, while the add-on's register() still sleeps.
      const wrapper = path.join(work, 'killed-blender');
      writeFileSync(wrapper, `#!/bin/sh\n( sleep 1.5; kill -9 $$ ) >/dev/null 2>&1 &\nexec '${debian.path!.replace(/'/g, "'\\''")}' "$@"\n`, { mode: 0o755 });
      const addon = path.join(work, 'slow_register.py');
      writeFileSync(addon, 'import time\n\nbl_info = {"name": "Slow register", "blender": (3, 0, 0)}\n\n\ndef register():\n    time.sleep(20)\n\n\ndef unregister():\n    pass\n');
      const r = spawnSync(process.execPath, [cli, 'verify', '--blender', wrapper, addon], { encoding: 'utf8', timeout: 90_000 });
      assert.equal(r.status, 1, `${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /CRASH: Blender was killed from outside \(SIGKILL: the kernel's out-of-memory killer, a supervisor or a user; not a crash of its own, run again to judge the add-on\)/);
      const left = spawnSync('pgrep', ['-f', work], { encoding: 'utf8' });
      assert.equal(left.stdout.trim(), '', `processes left running: ${left.stdout}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
