// `--write` on a .zip add-on, through the real binary: the archive is rewritten (a new archive beside it,
// renamed over it); every entry not changed is kept byte for byte with its metadata, measured with Python's
// zipfile (an independent parser: compressed bytes, CRC, times, attributes, extra fields, comments, order)
// and `zipinfo`; a changed entry holds what `--write` on the unzipped folder writes; a file a fix creates
// (bgsafe_runtime.py) is added. Archives made three ways: Info-ZIP `zip -r` (extra fields UT and ux), `zip`
// streaming to a pipe (data descriptors), Python's zipfile (stored and deflated entries, comments, a
// binary file). Then real Blender installs the rewritten archive and enables it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers.js';
import { serviceBlenders } from './service-helpers.js';

const bin = path.join(repoRoot, 'bin', 'bgsafe.js');
const example = path.join(repoRoot, 'fixtures', 'addons', 'example_addon');
const timerAddon = path.join(repoRoot, 'fixtures', 'addons', 'timer_tcp_server');

function bgsafe(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sh(cmd: string, args: string[], cwd: string, input?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', input });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// Every entry as Python's zipfile sees it, in central-directory order, with a hash of its raw bytes from the
// local header to the end of its data (and data descriptor).
const INSPECT = `
import hashlib, json, struct, sys, zipfile
path = sys.argv[1]
raw = open(path, "rb").read()
z = zipfile.ZipFile(path)
assert z.testzip() is None
out = {"comment": z.comment.hex(), "entries": []}
for i in z.infolist():
    h = i.header_offset
    n, e = struct.unpack("<HH", raw[h + 26:h + 30])
    end = h + 30 + n + e + i.compress_size
    if i.flag_bits & 8:
        end += 16 if raw[end:end + 4] == b"PK\\x07\\x08" else 12
    out["entries"].append({
        "name": i.filename, "method": i.compress_type, "crc": i.CRC, "date_time": list(i.date_time),
        "external_attr": i.external_attr, "internal_attr": i.internal_attr, "create_system": i.create_system,
        "create_version": i.create_version, "extract_version": i.extract_version, "flag_bits": i.flag_bits,
        "extra": i.extra.hex(), "comment": i.comment.hex(), "compress_size": i.compress_size,
        "file_size": i.file_size, "raw_sha256": hashlib.sha256(raw[h:end]).hexdigest(),
        "data_sha256": hashlib.sha256(z.read(i)).hexdigest(), "header_offset": h,
    })
print(json.dumps(out))
`;

interface Entry {
  name: string;
  crc: number;
  external_attr: number;
  data_sha256: string;
  raw_sha256: string;
  header_offset: number;
  date_time: number[];
  extra: string;
  [k: string]: unknown;
}

function inspect(zip: string): { comment: string; entries: Entry[] } {
  return JSON.parse(sh('python3', ['-c', INSPECT, zip], path.dirname(zip)));
}

const sha = (b: Buffer): string => {
  const r = spawnSync('python3', ['-c', 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'], { input: b, encoding: 'utf8' });
  return r.stdout.trim();
};

/** `bgsafe --write` on the unzipped folder: the bytes each changed or created file should end up with. */
function folderResult(addon: string): Map<string, Buffer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-zipref-'));
  cpSync(addon, path.join(dir, path.basename(addon)), { recursive: true });
  const r = bgsafe(['--write', path.basename(addon)], dir);
  assert.equal(r.code, 0, r.stderr);
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p).split(path.sep).join('/'), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** `zipinfo -v`'s block per entry, without the lines that give its offset. */
function zipinfoBlocks(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of text.split(/^Central directory entry #\d+:\n/m).slice(1)) {
    const lines = block.split('\n');
    const name = /^ {2}(\S.*)\n\n {2}offset of local header/m.exec(block)![1];
    const i = lines.findIndex((l) => /offset of local header from start of archive/.test(l));
    // "There are an extra 16 bytes preceding this file" is the data descriptor of the entry before (which,
    // when it was changed, is written without one): not this entry's.
    out.set(name, lines.filter((_, k) => k !== i && k !== i + 1).join('\n').replace(/^ {2}There are an extra \d+ bytes preceding this file\.\n\n/m, ''));
  }
  return out;
}

type Maker = (work: string, addon: string, zip: string) => void;

const makers: Record<string, Maker> = {
  'Info-ZIP zip -r (UT and ux extra fields)': (work, addon, zip) => sh('zip', ['-q', '-r', '-X-', zip, addon], work),
  'zip streamed to a pipe (data descriptors)': (work, addon, zip) => {
    const r = spawnSync('sh', ['-c', `zip -q -r - ${addon} | cat > ${zip}`], { cwd: work });
    assert.equal(r.status, 0);
  },
  "Python's zipfile (stored and deflated, comments, a binary entry)": (work, addon, zip) =>
    sh('python3', ['-c', `
import os, zipfile
with zipfile.ZipFile(${JSON.stringify(zip)}, "w") as z:
    z.comment = b"archive comment kept"
    for root, dirs, files in sorted(os.walk(${JSON.stringify(addon)})):
        dirs.sort()
        for i, f in enumerate(sorted(files)):
            p = os.path.join(root, f)
            z.write(p, p, compress_type=zipfile.ZIP_STORED if f == "__init__.py" else zipfile.ZIP_DEFLATED)
    info = zipfile.ZipInfo(${JSON.stringify(addon)} + "/icons/logo.bin", date_time=(2019, 5, 17, 13, 37, 42))
    info.external_attr = 0o100600 << 16
    info.comment = b"an entry comment"
    z.writestr(info, bytes(range(256)) * 8, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr(${JSON.stringify(addon)} + "/README.txt", "read me\\n")
`], work),
};

describe('--write on a .zip add-on', () => {
  for (const [how, make] of Object.entries(makers)) {
    for (const addon of [example, timerAddon]) {
      const name = path.basename(addon);
      it(`${how}: ${name}`, () => {
        const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-zipw-'));
        cpSync(addon, path.join(work, name), { recursive: true });
        const zip = path.join(work, `${name}.zip`);
        make(work, name, zip);
        chmodSync(zip, 0o640);
        const before = inspect(zip);
        const infoText = sh('zipinfo', ['-v', zip], work);
        const expected = folderResult(addon);
        const r = bgsafe(['--write', `${name}.zip`], work);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(statSync(zip).mode & 0o777, 0o640, 'the archive keeps its mode');
        assert.deepEqual(readdirSync(work).filter((f) => f.includes('.bgsafe-')), [], 'no temporary file left beside it');
        sh('unzip', ['-tq', zip], work);
        const infoBefore = zipinfoBlocks(infoText);
        const infoAfter = zipinfoBlocks(sh('zipinfo', ['-v', zip], work));
        const after = inspect(zip);
        assert.equal(after.comment, before.comment, 'the archive comment is kept');

        const changed: string[] = [];
        const beforeNames = before.entries.map((e) => e.name);
        assert.deepEqual(after.entries.slice(0, before.entries.length).map((e) => e.name), beforeNames, 'the old entries keep their order');
        assert.deepEqual(
          [...after.entries].sort((a, b) => a.header_offset - b.header_offset).map((e) => e.name).filter((n) => beforeNames.includes(n)),
          [...before.entries].sort((a, b) => a.header_offset - b.header_offset).map((e) => e.name),
          'the local entries keep their order too',
        );
        for (const [i, b] of before.entries.entries()) {
          const a = after.entries[i];
          const want = expected.get(b.name);
          if (want && sha(want) !== b.data_sha256) {
            changed.push(b.name);
            assert.equal(a.data_sha256, sha(want), `${b.name} holds what --write on the folder writes`);
            assert.equal(a.external_attr, b.external_attr, `${b.name}: attributes kept`);
            assert.equal(a.method, b.method, `${b.name}: compression method kept`);
            continue;
          }
          assert.equal(infoAfter.get(b.name), infoBefore.get(b.name), `${b.name}: zipinfo -v says the same (but for its offset)`);
          const { header_offset: _o1, ...bRest } = b;
          const { header_offset: _o2, ...aRest } = a;
          assert.deepEqual(aRest, bRest, `${b.name} is kept byte for byte (raw bytes, CRC, times, attributes, extra fields)`);
        }
        assert.ok(changed.includes(`${name}/__init__.py`), `__init__.py changed (${changed.join(', ')})`);
        const added = after.entries.slice(before.entries.length);
        const wantAdded = [...expected.keys()].filter((k) => !beforeNames.includes(k) && !k.endsWith('/'));
        assert.deepEqual(added.map((e) => e.name), wantAdded, 'the created files are added at the end');
        for (const a of added) {
          assert.equal(a.data_sha256, sha(expected.get(a.name)!), `${a.name} as the folder run creates it`);
          const sibling = after.entries.find((e) => e.name === `${name}/__init__.py`)!;
          assert.equal(a.external_attr, sibling.external_attr, `${a.name} takes the attributes of the file that asked for it`);
        }
        if (name === 'timer_tcp_server') assert.deepEqual(added.map((e) => e.name), ['timer_tcp_server/bgsafe_runtime.py']);
        console.log(`${how} / ${name}: ${before.entries.length} entries, changed ${changed.join(', ')}; added ${added.map((e) => e.name).join(', ') || 'none'}`);

        // A second run finds nothing to do and leaves the archive as it is.
        const bytes = readFileSync(zip);
        const again = bgsafe(['--write', `${name}.zip`], work);
        assert.equal(again.code, 0, again.stderr);
        assert.match(again.stderr, /0 written/);
        assert.deepEqual(readFileSync(zip), bytes);
      });
    }
  }

  it('entries with zip64 extra fields (force_zip64): the changed one is written without the stale field, the others kept', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-zipw-'));
    cpSync(example, path.join(work, 'example_addon'), { recursive: true });
    sh('python3', ['-c', `
import os, zipfile
with zipfile.ZipFile("z.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for f in sorted(os.listdir("example_addon")):
        with open(os.path.join("example_addon", f), "rb") as src, z.open("example_addon/" + f, "w", force_zip64=True) as dst:
            dst.write(src.read())
`], work);
    const before = inspect(path.join(work, 'z.zip'));
    const r = bgsafe(['--write', 'z.zip'], work);
    assert.equal(r.code, 0, r.stderr);
    sh('unzip', ['-tq', 'z.zip'], work);
    const after = inspect(path.join(work, 'z.zip'));
    const expected = folderResult(example);
    assert.equal(after.entries[0].name, 'example_addon/__init__.py');
    assert.equal(after.entries[0].data_sha256, sha(expected.get('example_addon/__init__.py')!));
    assert.equal(after.entries[1].raw_sha256, before.entries[1].raw_sha256, 'drawing.py kept byte for byte, its zip64 field too');
    assert.deepEqual(readdirSync(work).filter((f) => f.includes('.bgsafe-')), []);
  });
});

// Blender installs the rewritten archive (Preferences > Install: bpy.ops.preferences.addon_install) and
// enables it; the runtime the fix added is imported from it.
const INSTALL = `
import json, os, sys, addon_utils, bpy
zip = os.environ["BGSAFE_TEST_ZIP"]
errors = []
installed = sorted(bpy.ops.preferences.addon_install(filepath=zip))
mod = addon_utils.enable("timer_tcp_server", default_set=False, handle_error=lambda e: errors.append(repr(e)))
folder = os.path.dirname(mod.__file__) if mod else None
print("RESULT " + json.dumps({
    "version": list(bpy.app.version), "install": installed, "enabled": mod is not None, "errors": errors,
    "runtime": "timer_tcp_server.bgsafe_runtime" in sys.modules,
    "files": sorted(f for f in os.listdir(folder) if not f.startswith("__pycache__")) if folder else [],
    "init": open(os.path.join(folder, "__init__.py")).read() if folder else None,
}), flush=True)
if mod:
    addon_utils.disable("timer_tcp_server", default_set=False)
`;

describe('the rewritten archive in real Blender', { concurrency: 1 }, () => {
  for (const b of serviceBlenders()) {
    it(`installs and enables on ${b.label}`, { skip: b.skip, timeout: 180_000 }, () => {
      const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-zipblender-'));
      cpSync(timerAddon, path.join(work, 'timer_tcp_server'), { recursive: true });
      sh('zip', ['-q', '-r', 'timer_tcp_server.zip', 'timer_tcp_server'], work);
      const w = bgsafe(['--write', 'timer_tcp_server.zip'], work);
      assert.equal(w.code, 0, w.stderr);
      const expected = folderResult(timerAddon);
      const user = path.join(work, 'user');
      mkdirSync(user);
      const script = path.join(work, 'install.py');
      writeFileSync(script, INSTALL);
      const r = spawnSync(b.path!, ['--background', '--factory-startup', '--python-exit-code', '1', '--python', script], {
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          ...process.env,
          BLENDER_USER_SCRIPTS: path.join(user, 'scripts'),
          BLENDER_USER_CONFIG: path.join(user, 'config'),
          BLENDER_USER_RESOURCES: path.join(user, 'resources'),
          BGSAFE_TEST_ZIP: path.join(work, 'timer_tcp_server.zip'),
        },
      });
      const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
      assert.ok(line, `no RESULT line (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
      const res = JSON.parse(line.slice('RESULT '.length));
      console.log(`${b.label} (${res.version.join('.')}): installed ${res.install}, enabled ${res.enabled}, files ${res.files.join(' ')}, runtime imported ${res.runtime}`);
      assert.deepEqual(res.errors, []);
      assert.equal(res.enabled, true);
      assert.equal(res.runtime, true, 'timer_tcp_server.bgsafe_runtime was imported from the installed archive');
      assert.deepEqual(res.files, ['__init__.py', 'bgsafe_runtime.py']);
      assert.equal(res.init, expected.get('timer_tcp_server/__init__.py')!.toString('utf8'));
    });
  }
});
