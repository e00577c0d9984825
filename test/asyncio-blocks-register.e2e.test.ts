// Proof for BGS013 in real Blender, as a service: fixtures/addons/asyncio_tcp_server runs
// `asyncio.run(serve())` in register(). Run by the launcher of `bgsafe scaffold service`:
//   before the fix: start-up blocks — the add-on never finishes registering, no client gets an answer;
//   after `bgsafe --write` (BGS013 rewrites to bgsafe_runtime.run_coroutine and creates the runtime) and a
//   fresh scaffold: a client gets an answer within 10 s, SIGTERM stops it within 5 s with exit code 0, and
//   unregister() ran.
// Every wait is bounded; every process started here is killed (its whole process group) at the end.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { scaffoldService } from '../src/scaffold/service.js';
import { repoRoot } from './helpers.js';
import { freePort, killGroup, serviceBlenders } from './service-helpers.js';

const NAME = 'asyncio_tcp_server';
const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));

const blenders = serviceBlenders();

/** One `ping` line to the server; its answer, or null (refused, closed, or no answer within 1.5 s). */
function ping(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    const done = (v: string | null): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), 1500);
    sock.on('connect', () => sock.write('ping\n'));
    sock.on('data', (d) => {
      data += d.toString();
      if (data.includes('\n')) done(data.trim());
    });
    sock.on('error', () => done(null));
    sock.on('close', () => done(data.includes('\n') ? data.trim() : null));
  });
}

/** Ping until an answer comes or `ms` pass. */
async function answerWithin(port: number, ms: number): Promise<string | null> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const a = await ping(port);
    if (a) return a;
    await new Promise((r) => setTimeout(r, 250));
  }
  return null;
}

function exitWithin(child: ChildProcess, ms: number): Promise<number | null | 'timeout'> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function startService(dir: string, blender: string, port: number, state: string): { child: ChildProcess; output: () => string } {
  const child = spawn('python3', [path.join(dir, `${NAME}_service.py`)], {
    cwd: dir,
    env: { ...process.env, BLENDER: blender, BGSAFE_TEST_PORT: String(port), SCENE_PING_STATE: state },
    detached: true, // its own process group, so the test can kill Blender with it
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d.toString()));
  child.stderr!.on('data', (d) => (out += d.toString()));
  return { child, output: () => out };
}

function readState(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('BGS013 asyncio-blocks-register: a TCP server add-on run as a headless service', { concurrency: 1 }, () => {
  for (const b of blenders) {
    it(`before: start-up blocks; after --write + scaffold: serves, stops on SIGTERM (${b.label})`, { skip: b.skip, timeout: 180_000 }, async (t) => {
      const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-e2e-asyncio-'));
      const started: ChildProcess[] = [];
      try {
        // --- before -------------------------------------------------------------------------------
        const before = path.join(work, 'before');
        cpSync(path.join(repoRoot, 'fixtures', 'addons', NAME), path.join(before, NAME), { recursive: true });
        scaffoldService({ addon: path.join(before, NAME) });
        const state0 = path.join(work, 'before-state.txt');
        const port0 = await freePort();
        const s0 = startService(before, b.path!, port0, state0);
        started.push(s0.child);
        const answer0 = await answerWithin(port0, 10_000);
        t.diagnostic(`before: answer ${JSON.stringify(answer0)}; state ${JSON.stringify(readState(state0))}`);
        assert.equal(answer0, null, 'before the fix no client gets an answer');
        assert.ok(!readState(state0).includes('registered'), 'before the fix register() never returns');
        assert.ok(!/is running/.test(s0.output()), `the service never got past enabling the add-on:\n${s0.output()}`);
        killGroup(s0.child);
        await exitWithin(s0.child, 5_000);

        // --- the fix ------------------------------------------------------------------------------
        const after = path.join(work, 'after');
        cpSync(path.join(repoRoot, 'fixtures', 'addons', NAME), path.join(after, NAME), { recursive: true });
        const write = spawnSync(process.execPath, [cli, '--write', '--select', 'BGS013', path.join(after, NAME)], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(write.status, 0, write.stderr);
        assert.match(write.stderr, /findings by rule: .*BGS013/);
        assert.ok(existsSync(path.join(after, NAME, 'bgsafe_runtime.py')), 'the fix created bgsafe_runtime.py');
        assert.match(readFileSync(path.join(after, NAME, '__init__.py'), 'utf8'), /bgsafe_runtime\.run_coroutine\(serve\(\)\)/);
        const again = spawnSync(process.execPath, [cli, '--check', '--select', 'BGS013', path.join(after, NAME)], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(again.status, 0, `a second run would change something:\n${again.stdout}${again.stderr}`);
        scaffoldService({ addon: path.join(after, NAME) });

        // --- after --------------------------------------------------------------------------------
        const state1 = path.join(work, 'after-state.txt');
        const port1 = await freePort();
        const launched = Date.now();
        const s1 = startService(after, b.path!, port1, state1);
        started.push(s1.child);
        const answer1 = await answerWithin(port1, 10_000);
        t.diagnostic(`after: answer ${JSON.stringify(answer1)}, ${((Date.now() - launched) / 1000).toFixed(2)} s from launch to first answer`);
        assert.equal(answer1, 'Scene ping', `a client gets an answer within 10 s:\n${s1.output()}`);
        assert.ok(readState(state1).includes('registered'), 'register() returned');
        s1.child.kill('SIGTERM');
        const code = await exitWithin(s1.child, 5_000);
        assert.equal(code, 0, `SIGTERM stops the service within 5 s with exit code 0:\n${s1.output()}`);
        assert.ok(readState(state1).includes('unregistered'), `unregister() ran:\n${s1.output()}`);
      } finally {
        for (const c of started) killGroup(c);
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});
