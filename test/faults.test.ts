// The write side under faults, through the real binary (bin/bgsafe.js):
//   - a full disk (ENOSPC, a tiny tmpfs) and a read-only folder (a tmpfs remounted read-only: EROFS; a
//     folder without write permission for the user running bgsafe: EACCES): the file is as it was, no
//     temporary file is left, the error names the file;
//   - a file (and a .zip add-on) changed between read and write: not overwritten, reported;
//   - SIGINT / SIGTERM in the middle of a large --write: every file is either as it was or fixed, no
//     temporary file is left, the exit status is 130 / 143 and a second run finishes the job; SIGINT while a
//     file is being written lets that file finish; a second signal ends the process at once and removes the
//     temporary file; a signal before writing writes nothing;
//   - two --write runs on the same tree at once: the second waits for the first (write-lock.ts) and then
//     finds nothing to do;
//   - a 100,000-file tree: peak RSS measured against a 10,000-file tree, under a loose bound.
// Mounting needs root (CAP_SYS_ADMIN); where it cannot, those tests skip and print why. The pauses (between
// analysis and writing; before the first rename) come from BGSAFE_TEST_PAUSE_BEFORE_WRITE and
// BGSAFE_TEST_PAUSE_BEFORE_RENAME (write.ts).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { lockPath } from '../src/write-lock.js';
import { repoRoot } from './helpers.js';

const bin = path.join(repoRoot, 'bin', 'bgsafe.js');
const example = path.join(repoRoot, 'fixtures', 'addons', 'example_addon');
const timerAddon = path.join(repoRoot, 'fixtures', 'addons', 'timer_tcp_server');

function bgsafe(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, uid?: number) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, uid, gid: uid });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir` (relative path → bytes). */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const temps = (dir: string): string[] => [...snapshot(dir).keys()].filter((f) => /\.bgsafe-\d+-[0-9a-f]+\.tmp$/.test(f));

/** The fixed bytes of example_addon/__init__.py (from --write on a copy). */
function fixedExample(): { before: Buffer; after: Buffer } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-faults-ref-'));
  cpSync(example, path.join(dir, 'example_addon'), { recursive: true });
  const r = bgsafe(['--write', '--select', 'BGS001', 'example_addon'], dir);
  assert.equal(r.code, 0, r.stderr);
  return { before: readFileSync(path.join(example, '__init__.py')), after: readFileSync(path.join(dir, 'example_addon', '__init__.py')) };
}

// Mounted file systems, unmounted at the end; the large trees, removed.
const mounts: string[] = [];
const trees: string[] = [];
after(() => {
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
  for (const t of trees) rmSync(t, { recursive: true, force: true });
});

/** A tmpfs of `size` at a new folder, or the reason there is none. */
function tmpfs(size: string): string | { skip: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-tmpfs-'));
  if (process.getuid?.() !== 0) return { skip: 'not root: cannot mount a tmpfs' };
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return { skip: `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}` };
  mounts.push(dir);
  return dir;
}

/** Wait until `file` exists (the pause before writing), or the process ends. */
async function untilExists(file: string, p: ChildProcess, ms = 120_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (existsSync(file)) return true;
    if (p.exitCode !== null || p.signalCode !== null) return false;
    await sleep(10);
  }
  return false;
}

function finished(p: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve({ code: p.exitCode, signal: p.signalCode });
    else p.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

function start(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { p: ChildProcess; out: { stdout: string; stderr: string } } {
  const p = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  p.stdout!.on('data', (d) => (out.stdout += d));
  p.stderr!.on('data', (d) => (out.stderr += d));
  return { p, out };
}

/** `n` copies of example_addon (a0000 …) under a new folder. */
function tree(n: string | number, base = tmpdir()): string {
  const dir = mkdtempSync(path.join(base, 'bgsafe-faults-'));
  for (let i = 0; i < Number(n); i++) cpSync(example, path.join(dir, `a${String(i).padStart(4, '0')}`), { recursive: true });
  trees.push(dir);
  return dir;
}

describe('write-side faults', { concurrency: 1 }, () => {
  const ref = fixedExample();

  it('disk full (ENOSPC): the file is as it was, no temporary file, the error names it', (t) => {
    const fs = tmpfs('256k');
    if (typeof fs !== 'string') {
      console.log(`skipped: ${fs.skip}`);
      t.skip(fs.skip);
      return;
    }
    // One add-on whose __init__.py (about 160 kB) cannot have a second copy on a 256 kB file system.
    mkdirSync(path.join(fs, 'big_addon'));
    const padding = Array.from({ length: 2500 }, (_, i) => `# padding line ${i} to make this file large enough to fill the disk\n`).join('');
    const big = `${ref.before.toString('utf8')}\n${padding}`;
    writeFileSync(path.join(fs, 'big_addon', '__init__.py'), big);
    const before = snapshot(fs);
    const df = spawnSync('df', ['-k', fs], { encoding: 'utf8' }).stdout.trim().split('\n').pop();
    console.log(`tmpfs before the run: ${df}`);
    const r = bgsafe(['--write', '--select', 'BGS001', 'big_addon'], fs);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^big_addon\/__init__\.py: error\[write\]: not written: no space left on the device \(ENOSPC\); the file is as it was$/m);
    console.log(r.stderr.split('\n').find((l) => l.includes('ENOSPC')));
    assert.deepEqual(snapshot(fs), before, 'nothing changed, no temporary file');
  });

  it('disk full while creating a new file: the file that needs it is not written, nothing half-done', (t) => {
    const fs = tmpfs('64k');
    if (typeof fs !== 'string') {
      console.log(`skipped: ${fs.skip}`);
      t.skip(fs.skip);
      return;
    }
    cpSync(timerAddon, path.join(fs, 'timer_tcp_server'), { recursive: true });
    // Fill the disk up to a few kB: the fixed __init__.py would fit, the 17 kB runtime does not.
    const free = (): number => Number(spawnSync('df', ['-k', '--output=avail', fs], { encoding: 'utf8' }).stdout.trim().split('\n').pop()) * 1024;
    writeFileSync(path.join(fs, 'filler.bin'), Buffer.alloc(Math.max(0, free() - 8192)));
    const before = snapshot(fs);
    const r = bgsafe(['--write', 'timer_tcp_server'], fs);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /timer_tcp_server\/bgsafe_runtime\.py: error\[write\]: not created: no space left on the device \(ENOSPC\)/);
    assert.match(r.stderr, /timer_tcp_server\/__init__\.py: error\[write\]: not written: it needs timer_tcp_server\/bgsafe_runtime\.py, which could not be created/);
    assert.deepEqual(snapshot(fs), before, 'nothing changed, no temporary file');
  });

  it('a read-only file system (EROFS): the file is as it was, the error names it', (t) => {
    const fs = tmpfs('1m');
    if (typeof fs !== 'string') {
      console.log(`skipped: ${fs.skip}`);
      t.skip(fs.skip);
      return;
    }
    cpSync(example, path.join(fs, 'example_addon'), { recursive: true });
    const ro = spawnSync('mount', ['-o', 'remount,ro', fs], { encoding: 'utf8' });
    assert.equal(ro.status, 0, ro.stderr);
    const before = snapshot(fs);
    const r = bgsafe(['--write', 'example_addon'], fs);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^example_addon\/__init__\.py: error\[write\]: not written: the file system is read-only \(EROFS\); the file is as it was$/m);
    assert.deepEqual(snapshot(fs), before);
  });

  it('a folder without write permission (EACCES): the file is as it was, the error names it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-faults-ro-'));
    chmodSync(dir, 0o755);
    cpSync(example, path.join(dir, 'example_addon'), { recursive: true });
    chmodSync(path.join(dir, 'example_addon'), 0o555);
    // Root writes anywhere: run bgsafe as nobody then.
    const uid = process.getuid?.() === 0 ? 65534 : undefined;
    const before = snapshot(dir);
    const r = bgsafe(['--write', 'example_addon'], dir, {}, uid);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^example_addon\/__init__\.py: error\[write\]: not written: permission denied \(EACCES\); the file is as it was$/m);
    assert.deepEqual(snapshot(dir), before);
  });

  it('a file changed between read and write is not overwritten, and is reported', async () => {
    const dir = tree(2);
    const marker = path.join(dir, 'paused');
    const { p, out } = start(['--write', '--select', 'BGS001', '.'], dir, { BGSAFE_TEST_PAUSE_BEFORE_WRITE: marker });
    assert.ok(await untilExists(marker, p), `the run reaches the write stage: ${out.stderr}`);
    const mine = `${ref.before.toString('utf8')}# the user's edit while bgsafe ran\n`;
    const target = path.join(dir, 'a0000', '__init__.py');
    writeFileSync(target, mine);
    utimesSync(target, new Date(), new Date(Date.now() + 5000));
    unlinkSync(marker);
    const { code } = await finished(p);
    assert.equal(code, 2, out.stderr);
    assert.match(out.stderr, /^a0000\/__init__\.py: error\[write\]: not written: the file changed on disk while bgsafe ran \(left as it is now\); run bgsafe again$/m);
    assert.equal(readFileSync(target, 'utf8'), mine, 'the edit is kept');
    assert.deepEqual(readFileSync(path.join(dir, 'a0001', '__init__.py')), ref.after, 'the other add-on is written');
    assert.deepEqual(temps(dir), []);
  });

  it('a .zip add-on changed between read and write is not overwritten, and is reported', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-faults-zip-'));
    cpSync(example, path.join(dir, 'example_addon'), { recursive: true });
    assert.equal(spawnSync('zip', ['-qr', 'example_addon.zip', 'example_addon'], { cwd: dir }).status, 0);
    const marker = path.join(dir, 'paused');
    const { p, out } = start(['--write', 'example_addon.zip'], dir, { BGSAFE_TEST_PAUSE_BEFORE_WRITE: marker });
    assert.ok(await untilExists(marker, p), out.stderr);
    // The user updates the archive meanwhile (a new __init__.py in it).
    writeFileSync(path.join(dir, 'example_addon', '__init__.py'), `${ref.before.toString('utf8')}# newer\n`);
    assert.equal(spawnSync('zip', ['-q', 'example_addon.zip', 'example_addon/__init__.py'], { cwd: dir }).status, 0);
    const theirs = readFileSync(path.join(dir, 'example_addon.zip'));
    unlinkSync(marker);
    const { code } = await finished(p);
    assert.equal(code, 2, out.stderr);
    assert.match(out.stderr, /example_addon\.zip\/example_addon\/__init__\.py: error\[write\]: not written: example_addon\.zip: example_addon\/__init__\.py changed in the archive while bgsafe ran \(left as it is now\); run bgsafe again/);
    assert.deepEqual(readFileSync(path.join(dir, 'example_addon.zip')), theirs);
    assert.deepEqual(temps(dir), []);
  });

  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} in the middle of a large --write: every file old or new, no temporary file, exit ${status}`, async () => {
      const n = 600;
      const dir = tree(n);
      const marker = path.join(dir, 'paused');
      const { p, out } = start(['--write', '--select', 'BGS001', '.'], dir, { BGSAFE_TEST_PAUSE_BEFORE_WRITE: marker });
      assert.ok(await untilExists(marker, p), out.stderr);
      unlinkSync(marker);
      await sleep(signal === 'SIGINT' ? 30 : 150);
      p.kill(signal);
      const r = await finished(p);
      assert.equal(r.code, status, `exit ${r.code} / ${r.signal}: ${out.stderr.slice(-2000)}`);
      const m = /--write stopped by (SIG\w+): (\d+) files? not written \(each file is either as it was or fixed\); run bgsafe --write again to finish/.exec(out.stderr);
      assert.ok(m, out.stderr.slice(-2000));
      assert.equal(m[1], signal);
      let fresh = 0;
      let old = 0;
      for (const [f, bytes] of snapshot(dir)) {
        if (!f.endsWith('__init__.py')) continue;
        if (bytes.equals(ref.after)) fresh++;
        else if (bytes.equals(ref.before)) old++;
        else assert.fail(`${f} is neither as it was nor fixed`);
      }
      const written = Number(/(\d+) written/.exec(out.stderr)?.[1]);
      console.log(`${signal} after the write stage began: ${fresh} fixed, ${old} as they were, reported ${written} written and ${m[2]} not`);
      assert.equal(fresh + old, n);
      assert.equal(fresh, written);
      assert.equal(old, Number(m[2]));
      assert.deepEqual(temps(dir), []);
      assert.ok(!existsSync(lockPath(path.join(dir, 'a0000'))), 'the lock is released');
      // A second run finishes.
      const again = bgsafe(['--write', '--select', 'BGS001', '.'], dir);
      assert.equal(again.code, 0, again.stderr);
      for (const [f, bytes] of snapshot(dir)) if (f.endsWith('__init__.py')) assert.ok(bytes.equals(ref.after), f);
    });
  }

  it('SIGINT while a file is being written: that file is finished, no other is started', async () => {
    const dir = tree(50);
    const marker = path.join(dir, 'paused');
    const { p, out } = start(['--write', '--select', 'BGS001', '.'], dir, { BGSAFE_TEST_PAUSE_BEFORE_RENAME: marker });
    assert.ok(await untilExists(marker, p), out.stderr);
    assert.equal(temps(dir).length, 1, 'the first file is written to its temporary file');
    p.kill('SIGINT');
    await sleep(300);
    assert.equal(p.exitCode, null, 'still finishing the file after SIGINT');
    unlinkSync(marker);
    const r = await finished(p);
    assert.equal(r.code, 130, out.stderr);
    assert.match(out.stderr, /--write stopped by SIGINT: 49 files not written/);
    assert.match(out.stderr, /^bgsafe: 100 files scanned, 1 written/m);
    assert.deepEqual(readFileSync(path.join(dir, 'a0000', '__init__.py')), ref.after);
    assert.deepEqual(readFileSync(path.join(dir, 'a0001', '__init__.py')), ref.before);
    assert.deepEqual(temps(dir), []);
  });

  it('a second SIGINT while a file is being written ends the process at once and removes its temporary file', async () => {
    const dir = tree(50);
    const before = snapshot(dir);
    const marker = path.join(dir, 'paused');
    const { p, out } = start(['--write', '--select', 'BGS001', '.'], dir, { BGSAFE_TEST_PAUSE_BEFORE_RENAME: marker });
    assert.ok(await untilExists(marker, p), out.stderr);
    assert.equal(temps(dir).length, 1, 'the first file is written to its temporary file');
    p.kill('SIGINT');
    await sleep(300);
    assert.equal(p.exitCode, null, 'still running after the first SIGINT');
    p.kill('SIGINT');
    const r = await finished(p);
    assert.equal(r.signal, 'SIGINT', `ended by the signal (${r.code}): ${out.stderr}`);
    rmSync(marker, { force: true });
    assert.deepEqual(temps(dir), [], 'the temporary file is removed');
    assert.deepEqual(snapshot(dir), before, 'every file as it was');
    assert.ok(!existsSync(lockPath(path.join(dir, 'a0000'))), 'the lock is released');
  });

  it('two SIGINTs in quick succession in the middle of a large --write: every file old or new, no temporary file', async () => {
    const dir = tree(600);
    const marker = path.join(dir, 'paused');
    const { p, out } = start(['--write', '--select', 'BGS001', '.'], dir, { BGSAFE_TEST_PAUSE_BEFORE_WRITE: marker });
    assert.ok(await untilExists(marker, p), out.stderr);
    unlinkSync(marker);
    await sleep(30);
    p.kill('SIGINT');
    await sleep(5);
    p.kill('SIGINT');
    const r = await finished(p);
    // Two signals close together may reach the process as one (then it stops after the current file).
    console.log(`two SIGINTs 5 ms apart: exit ${r.code}, signal ${r.signal}`);
    assert.ok(r.signal === 'SIGINT' || r.code === 130, `ended by the signal (${r.code} / ${r.signal})`);
    for (const [f, bytes] of snapshot(dir)) if (f.endsWith('__init__.py')) assert.ok(bytes.equals(ref.after) || bytes.equals(ref.before), f);
    assert.deepEqual(temps(dir), []);
    assert.ok(!existsSync(lockPath(path.join(dir, 'a0000'))), 'the lock is released');
  });

  it('SIGTERM before writing: the process ends by the signal, nothing is written, the locks are released', async () => {
    const dir = tree(600);
    const before = snapshot(dir);
    const marker = path.join(dir, 'paused');
    const { p, out } = start(['--write', '--select', 'BGS001', '.'], dir, { BGSAFE_TEST_PAUSE_BEFORE_WRITE: marker });
    // While analysing (the locks are taken first).
    const lock = lockPath(path.join(dir, 'a0599'));
    const end = Date.now() + 60_000;
    while (!existsSync(lock) && Date.now() < end && p.exitCode === null) await sleep(5);
    assert.ok(existsSync(lock), out.stderr);
    p.kill('SIGTERM');
    const r = await finished(p);
    assert.equal(r.signal, 'SIGTERM', `${r.code}: ${out.stderr}`);
    assert.deepEqual(snapshot(dir), before);
    assert.ok(!existsSync(lock) && !existsSync(lockPath(path.join(dir, 'a0000'))), 'the locks are released');
  });

  it('two --write runs on the same tree at once: the second waits, then finds nothing to do', async () => {
    const n = 300;
    const dir = tree(n);
    const a = start(['--write', '--select', 'BGS001', '.'], dir);
    const b = start(['--write', '--select', 'BGS001', '.'], dir);
    const [ra, rb] = await Promise.all([finished(a.p), finished(b.p)]);
    assert.equal(ra.code, 0, a.out.stderr);
    assert.equal(rb.code, 0, b.out.stderr);
    const wa = Number(/(\d+) written/.exec(a.out.stderr)?.[1]);
    const wb = Number(/(\d+) written/.exec(b.out.stderr)?.[1]);
    const waited = [a, b].filter((x) => /bgsafe: waiting for another bgsafe --write \(pid \d+\) on a\d{4}/.test(x.out.stderr)).length;
    console.log(`two runs at once: ${wa} and ${wb} written; ${waited} waited`);
    assert.deepEqual([wa, wb].sort((x, y) => x - y), [0, n], 'one run wrote everything, the other nothing');
    assert.ok(waited <= 1);
    for (const [f, bytes] of snapshot(dir)) if (f.endsWith('__init__.py')) assert.ok(bytes.equals(ref.after), f);
    assert.deepEqual(temps(dir), []);
  });

  it('waiting for a lock: the run goes on when it is released; SIGINT while waiting releases the locks taken', async () => {
    const dir = tree(3);
    const held = lockPath(path.join(dir, 'a0001'));
    // Held by a live process (this test's).
    writeFileSync(held, `${process.pid}\n${path.join(dir, 'a0001')}\n`);
    try {
      const first = start(['--write', '--select', 'BGS001', '.'], dir);
      const until = async (re: RegExp): Promise<void> => {
        const end = Date.now() + 60_000;
        while (!re.test(first.out.stderr) && Date.now() < end && first.p.exitCode === null) await sleep(10);
      };
      await until(/waiting for another bgsafe --write \(pid \d+\) on a0001/);
      assert.match(first.out.stderr, new RegExp(`^bgsafe: waiting for another bgsafe --write \\(pid ${process.pid}\\) on a0001$`, 'm'));
      assert.ok(existsSync(lockPath(path.join(dir, 'a0000'))), 'the first lock is taken');
      first.p.kill('SIGINT');
      const r1 = await finished(first.p);
      assert.equal(r1.signal, 'SIGINT');
      assert.ok(!existsSync(lockPath(path.join(dir, 'a0000'))), 'the lock it had taken is released');
      assert.ok(existsSync(held), "the other run's lock is left alone");

      const second = start(['--write', '--select', 'BGS001', '.'], dir);
      const end = Date.now() + 60_000;
      while (!/waiting/.test(second.out.stderr) && Date.now() < end) await sleep(10);
      unlinkSync(held);
      const r2 = await finished(second.p);
      assert.equal(r2.code, 0, second.out.stderr);
      assert.match(second.out.stderr, /^bgsafe: 6 files scanned, 3 written/m);
    } finally {
      rmSync(held, { force: true });
    }
  });

  it('a lock left by a killed run is taken over', () => {
    const dir = tree(1);
    const lock = lockPath(path.join(dir, 'a0000'));
    // A pid that is not running: a child that has exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(lock, `${gone}\n${path.join(dir, 'a0000')}\n`);
    const r = bgsafe(['--write', '--select', 'BGS001', '.'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /waiting/);
    assert.ok(!existsSync(lock));
  });

  it('memory stays flat: a 100,000-file tree against a 10,000-file tree (peak RSS)', { timeout: 900_000 }, () => {
    // Each add-on: __init__.py, one module with a fix (BGS001), 98 modules with nothing to find.
    const make = (files: number): string => {
      const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-faults-mem-'));
      for (let a = 0; a < files / 100; a++) {
        const root = path.join(dir, `addon_${String(a).padStart(4, '0')}`);
        mkdirSync(root);
        writeFileSync(path.join(root, '__init__.py'), `bl_info = {"name": "Synthetic ${a}", "blender": (3, 0, 0)}\n\n\ndef register():\n    pass\n\n\ndef unregister():\n    pass\n`);
        writeFileSync(path.join(root, 'mod_001.py'), "import gpu\n\nshader = gpu.shader.from_builtin('UNIFORM_COLOR')\n\n\ndef draw():\n    shader.bind()\n");
        for (let f = 2; f < 100; f++) writeFileSync(path.join(root, `mod_${String(f).padStart(3, '0')}.py`), `# module ${f} of add-on ${a}\nVALUE = ${f}\n\n\ndef helper(x):\n    return x + VALUE\n`);
      }
      return dir;
    };
    const preload = path.join(mkdtempSync(path.join(tmpdir(), 'bgsafe-faults-rss-')), 'rss.mjs');
    writeFileSync(preload, "import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(process.env.BGSAFE_RSS_OUT, String(process.resourceUsage().maxRSS)));\n");
    const measure = (files: number): { rssMiB: number; seconds: number } => {
      const dir = make(files);
      const out = path.join(dir, '..', `${path.basename(dir)}.rss`);
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(preload).href, bin, '--write', '.'], { cwd: dir, encoding: 'utf8', env: { ...process.env, BGSAFE_RSS_OUT: out }, maxBuffer: 64 * 1024 * 1024 });
      const seconds = (Date.now() - t0) / 1000;
      assert.equal(r.status, 0, r.stderr.slice(-2000));
      assert.match(r.stderr, new RegExp(`^bgsafe: ${files} files scanned, ${files / 100} written`, 'm'));
      const rssMiB = Number(readFileSync(out, 'utf8')) / 1024;
      rmSync(dir, { recursive: true, force: true });
      return { rssMiB, seconds };
    };
    const small = measure(10_000);
    const large = measure(100_000);
    console.log(`peak RSS: 10,000 files ${small.rssMiB.toFixed(0)} MiB (${small.seconds.toFixed(1)} s); 100,000 files ${large.rssMiB.toFixed(0)} MiB (${large.seconds.toFixed(1)} s); ratio ${(large.rssMiB / small.rssMiB).toFixed(2)} for 10x the files`);
    // Loose: ten times the files may cost some per-file bookkeeping (a report per file), never ten times the memory.
    assert.ok(large.rssMiB < small.rssMiB * 3, `peak RSS ${large.rssMiB.toFixed(0)} MiB for 100,000 files against ${small.rssMiB.toFixed(0)} MiB for 10,000`);
  });
});
