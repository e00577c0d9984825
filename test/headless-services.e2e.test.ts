// Proof, in real Blender, that three service add-ons of the shapes people install (MCP bridges and remote
// controls) answer their clients headless once bgsafe has fixed them, and not before:
//   fixtures/addons/scene_bridge_mcp.py  a single-file add-on: a socket server thread, one thread per client,
//                                        each command handed to the main thread with bpy.app.timers.register;
//   fixtures/addons/remote_link/         a package whose start() refuses to run in background mode
//                                        (`if bpy.app.background: ... return`), started from a deferred timer;
//                                        a threaded server whose requests a persistent timer drains;
//   fixtures/addons/live_scene/          a package whose non-blocking server, polled by a persistent 0.1 s
//                                        timer, starts only in the execute() of `livescene.start_server`.
// Their clients are fixtures/service-clients/<name>_client.py (python3, stdlib only).
//
// For each fixture on each Blender (Debian's 3.4, $BLENDER4, $BLENDER5), on a copy in a temporary folder:
//   before: `bgsafe scaffold service` on the unfixed copy and its launcher: Blender is up and the add-on
//           enabled, yet the client gets no answer within 5 s;
//   after:  `bgsafe --write --unsafe-fixes`, `bgsafe scaffold service` (with `--start` for live_scene), the
//           launcher with `--ready-file`: the client's requests are answered correctly (one creates an object,
//           the next reads its location back), then 4 concurrent clients are too; SIGTERM to the launcher
//           ends it with exit code 0 within 5 s, after the add-on's unregister() ran. The time from launch to
//           the first answer is printed for each fixture and version.
// Every wait is bounded; every process started here runs in its own process group, killed at the end.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers.js';
import { exited, freePort, killGroup, serviceBlenders } from './service-helpers.js';

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
const addons = path.join(repoRoot, 'fixtures', 'addons');
const clients = path.join(repoRoot, 'fixtures', 'service-clients');

type Answer = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Fixture {
  name: string;
  /** A single .py file rather than a package folder. */
  singleFile: boolean;
  /** The environment variable that sets the port (live_scene takes it from its start operator instead). */
  portEnv?: string;
  /** The `--start` value for `bgsafe scaffold service`, for a server that only an operator starts. */
  start?: (port: number) => string;
  /** What the client gets before the fix: its exit code and message (see lineclient.py), and why. */
  before: { code: number; message: RegExp };
  /** Reading the answers of its protocol. */
  succeeded(a: Answer): boolean;
  location(a: Answer): unknown;
  objectNames(a: Answer): string[];
}

const FIXTURES: Fixture[] = [
  {
    name: 'scene_bridge_mcp',
    singleFile: true,
    portEnv: 'SCENE_BRIDGE_PORT',
    // The server thread listens and the client thread reads the request, but the timer that would run it on
    // the main thread never fires headless: the client thread waits, the client gets no answer.
    before: { code: 3, message: /no answer from 127\.0\.0\.1:\d+ within 5\.0 s/ },
    succeeded: (a) => a.status === 'success',
    location: (a) => a.result?.location,
    objectNames: (a) => (a.result?.objects ?? []).map((o: Answer) => o.name),
  },
  {
    name: 'remote_link',
    singleFile: false,
    portEnv: 'REMOTE_LINK_PORT',
    // Refused: nothing listens. register() defers start() to a timer, which never fires headless; and
    // start() itself returns at once in background mode.
    before: { code: 2, message: /connection to 127\.0\.0\.1:\d+ refused/ },
    succeeded: (a) => 'result' in a && !('error' in a),
    location: (a) => a.result?.location,
    objectNames: (a) => (Array.isArray(a.result) ? a.result : []),
  },
  {
    name: 'live_scene',
    singleFile: false,
    start: (port) => `livescene.start_server port=${port}`,
    // The start operator ran, so the socket listens and the kernel accepts the connection; but the timer
    // that polls the socket never fires headless, so the request is never read: no answer.
    before: { code: 3, message: /no answer from 127\.0\.0\.1:\d+ within 5\.0 s/ },
    succeeded: (a) => a.ok === true,
    location: (a) => a.location,
    objectNames: (a) => a.objects ?? [],
  },
];

interface Run {
  status: number | string | null;
  stdout: string;
  stderr: string;
}

/** Run a command to its end (at most `ms`), without blocking the event loop (other tests run meanwhile). */
function run(cmd: string, args: string[], ms: number, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => killGroup(p), ms);
    p.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ status: code ?? sig, stdout, stderr });
    });
  });
}

/** Start the launcher in its own process group, collecting its (and Blender's) output. */
function launch(args: string[], env: NodeJS.ProcessEnv): { p: ChildProcess; log: () => string } {
  let log = '';
  const p = spawn('python3', args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout!.on('data', (d) => (log += d));
  p.stderr!.on('data', (d) => (log += d));
  return { p, log: () => log };
}

/** Wait until `test()` holds or the process ends or `ms` pass; true if it holds. */
async function until(test: () => boolean, p: ChildProcess, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && p.exitCode === null && p.signalCode === null) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return test();
}

function jsonLines(text: string): Answer[] {
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Answer);
}

function near(a: unknown, b: number[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((v, i) => Math.abs(Number(v) - b[i]) < 1e-4);
}

/** A copy of the fixture in `work/src`: the add-on's path. */
function copyFixture(f: Fixture, work: string): string {
  const dest = path.join(work, 'src', f.singleFile ? `${f.name}.py` : f.name);
  if (f.singleFile) {
    cpSync(path.join(addons, `${f.name}.py`), dest);
  } else {
    cpSync(path.join(addons, f.name), dest, { recursive: true });
  }
  return dest;
}

function serviceEnv(f: Fixture, blender: string, port: number, marker: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BLENDER: blender, BGSAFE_TEST_UNREGISTERED: marker };
  if (f.portEnv) env[f.portEnv] = String(port);
  return env;
}

const blenders = serviceBlenders();

// The three fixtures of one Blender run at once (about 10 s each); the Blenders one after the other.
for (const b of blenders) {
  describe(`service add-ons answer headless after the fix: ${b.label}`, { concurrency: 3 }, () => {
    for (const f of FIXTURES) {
      it(`${f.name} before the fix: no answer (${b.label})`, { skip: b.skip, timeout: 120_000 }, async (t) => {
        if (b.skip) {
          console.log(`skipped: ${b.skip}`);
          return;
        }
        const work = mkdtempSync(path.join(tmpdir(), `bgsafe-svc-before-${f.name}-`));
        let launcher: ChildProcess | undefined;
        try {
          const addon = copyFixture(f, work);
          const port = await freePort();
          const scaffold = await run(
            process.execPath,
            [cli, 'scaffold', 'service', addon, '--out', path.join(work, 'service'), ...(f.start ? ['--start', f.start(port)] : [])],
            60_000,
          );
          assert.equal(scaffold.status, 0, `bgsafe scaffold service failed:\n${scaffold.stderr}`);
          const l = launch([path.join(work, 'service', `${f.name}_service.py`)], serviceEnv(f, b.path!, port, path.join(work, 'unregistered.txt')));
          launcher = l.p;
          // Blender is up and the add-on is enabled (the service script says so once enable() returned)...
          const up = await until(() => new RegExp(`service: ${f.name} is running`).test(l.log()), l.p, 60_000);
          assert.ok(up, `the service did not start within 60 s; output:\n${l.log()}`);
          // ...and still nothing answers for 5 s (a refused connection is retried for those 5 s).
          const client = await run('python3', [path.join(clients, `${f.name}_client.py`), '--port', String(port), '--timeout', '5', '--wait', '5'], 30_000);
          t.diagnostic(`before the fix: client exit ${client.status}: ${client.stderr.trim()}`);
          assert.equal(client.stdout.trim(), '', `before the fix the service answered: ${client.stdout}`);
          assert.equal(client.status, f.before.code, `client: ${client.stderr}`);
          assert.match(client.stderr, f.before.message);
        } finally {
          killGroup(launcher);
          rmSync(work, { recursive: true, force: true });
        }
      });

      it(`${f.name} after the fix: answers, also 4 clients at once (${b.label})`, { skip: b.skip, timeout: 120_000 }, async (t) => {
        if (b.skip) {
          console.log(`skipped: ${b.skip}`);
          return;
        }
        const work = mkdtempSync(path.join(tmpdir(), `bgsafe-svc-after-${f.name}-`));
        let launcher: ChildProcess | undefined;
        try {
          const addon = copyFixture(f, work);
          const port = await freePort();
          const marker = path.join(work, 'unregistered.txt');

          // 1. The fixes (through the real CLI), then the service files.
          const write = await run(process.execPath, [cli, '--write', '--unsafe-fixes', addon], 60_000);
          assert.equal(write.status, 0, `bgsafe --write --unsafe-fixes failed:\n${write.stderr}`);
          t.diagnostic(write.stderr.split('\n').filter((s) => /findings by rule/.test(s)).join(' '));
          const scaffold = await run(
            process.execPath,
            [cli, 'scaffold', 'service', addon, '--out', path.join(work, 'service'), ...(f.start ? ['--start', f.start(port)] : [])],
            60_000,
          );
          assert.equal(scaffold.status, 0, `bgsafe scaffold service failed:\n${scaffold.stderr}`);

          // 2. The launcher; it says when the service is ready.
          const ready = path.join(work, 'ready');
          const t0 = Date.now();
          const l = launch([path.join(work, 'service', `${f.name}_service.py`), '--ready-file', ready], serviceEnv(f, b.path!, port, marker));
          launcher = l.p;
          const isReady = await until(() => existsSync(ready), l.p, 30_000);
          assert.ok(isReady, `no ready file within 30 s; output:\n${l.log()}`);

          // 3. Several requests: ping, the object is not there yet, create it, read it back, list the scene.
          // (--wait 5: remote_link opens its socket from a deferred start, a moment after it is ready.)
          const name = `Probe_${f.name}`;
          let firstAnswer = 0;
          const client = spawn('python3', [path.join(clients, `${f.name}_client.py`), '--port', String(port), '--name', name, '--timeout', '10', '--wait', '5'], {
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          let err = '';
          client.stdout!.on('data', (d) => {
            if (!firstAnswer) firstAnswer = Date.now();
            out += d;
          });
          client.stderr!.on('data', (d) => (err += d));
          const code = await exited(client, 60_000);
          killGroup(client);
          assert.equal(code, 0, `client exit ${code}: ${err}\nservice output:\n${l.log()}`);
          const elapsed = (firstAnswer - t0) / 1000;
          console.log(`${b.label}: ${f.name}: launch to first answer ${elapsed.toFixed(2)} s`);
          t.diagnostic(`launch to first answer: ${elapsed.toFixed(2)} s`);
          const answers = jsonLines(out);
          assert.equal(answers.length, 5, out);
          const [ping, missing, created, readBack, listed] = answers;
          assert.ok(f.succeeded(ping), `ping: ${JSON.stringify(ping)}`);
          assert.ok(!f.succeeded(missing), `${name} existed before it was created: ${JSON.stringify(missing)}`);
          assert.ok(f.succeeded(created) && near(f.location(created), [1.5, -2.0, 3.25]), `create: ${JSON.stringify(created)}`);
          assert.ok(f.succeeded(readBack) && near(f.location(readBack), [1.5, -2.0, 3.25]), `read back: ${JSON.stringify(readBack)}`);
          assert.ok(f.objectNames(listed).includes(name), `${name} is not in the scene: ${JSON.stringify(listed)}`);

          // 4. Four clients at once, each creating its own object and reading it back.
          const many = await run('python3', [path.join(clients, `${f.name}_client.py`), '--port', String(port), '--concurrent', '4', '--name', 'Many', '--timeout', '10'], 60_000);
          assert.equal(many.status, 0, `--concurrent 4: exit ${many.status}: ${many.stderr}\nservice output:\n${l.log()}`);
          const results = jsonLines(many.stdout);
          assert.equal(results.length, 4, many.stdout);
          assert.deepEqual(new Set(results.map((r) => r.name)), new Set(['Many_0', 'Many_1', 'Many_2', 'Many_3']));
          for (const r of results) {
            assert.ok(f.succeeded(r.create) && near(f.location(r.create), r.location), `${r.name} create: ${JSON.stringify(r.create)}`);
            assert.ok(f.succeeded(r.read_back) && near(f.location(r.read_back), r.location), `${r.name} read back: ${JSON.stringify(r.read_back)}`);
          }

          // 5. SIGTERM to the launcher (it passes it on): exit 0 within 5 s, after unregister() ran.
          const t1 = Date.now();
          l.p.kill('SIGTERM');
          const exit = await exited(l.p, 5000);
          t.diagnostic(`SIGTERM to exit: ${((Date.now() - t1) / 1000).toFixed(2)} s, exit ${exit}`);
          assert.equal(exit, 0, `the launcher did not exit 0 within 5 s of SIGTERM (got ${exit}); output:\n${l.log()}`);
          assert.equal(existsSync(marker) ? readFileSync(marker, 'utf8') : null, `unregistered ${f.name}\n`, "the add-on's unregister() did not run");
          assert.match(l.log(), new RegExp(`service: stopping ${f.name}`));
        } finally {
          killGroup(launcher);
          rmSync(work, { recursive: true, force: true });
        }
      });
    }
  });
}

