// Pure parts of `bgsafe verify`: reading Blender's tracebacks and crash logs, zips, finding Blender,
// naming the rule, the process pool, the printers. No Blender needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { ownFrame, parseBlenderVersion, parseCrashLog, parseTracebacks } from '../src/verify/traceback.js';
import { resolveAddon, stageAddon, userPath, AddonPathError } from '../src/verify/addon.js';
import { readZip } from '../src/zip.js';
import { findBlender, Pool } from '../src/verify/blender.js';
import { ruleFor, exitCodeFor } from '../src/verify/verify.js';
import { formatVerifyText } from '../src/verify/format.js';
import { VerifyUsageError, type VerifyReport } from '../src/verify/types.js';
import { allRules } from '../rules/index.js';

// Blender 3.4.1 (Python 3.11) enabling keymap_at_startup at start-up: stdout has "Exception in module
// register(): ...", stderr this.
const STARTUP_STDERR = `Traceback (most recent call last):
  File "/usr/share/blender/scripts/modules/addon_utils.py", line 369, in enable
    mod.register()
  File "/tmp/x/scripts/addons/keymap_at_startup/__init__.py", line 47, in register
    km = kc.keymaps.new(name='Mesh', space_type='EMPTY')
         ^^^^^^^^^^
AttributeError: 'NoneType' object has no attribute 'keymaps'

bgsafe-verify: driver started
`;

test('parseTracebacks reads a Python 3.11 traceback with caret lines', () => {
  const [e, ...rest] = parseTracebacks(STARTUP_STDERR);
  assert.equal(rest.length, 0);
  assert.equal(e.type, 'AttributeError');
  assert.equal(e.message, "'NoneType' object has no attribute 'keymaps'");
  assert.deepEqual(
    e.frames.map((f) => [f.file, f.line, f.function, f.code]),
    [
      ['/usr/share/blender/scripts/modules/addon_utils.py', 369, 'enable', 'mod.register()'],
      ['/tmp/x/scripts/addons/keymap_at_startup/__init__.py', 47, 'register', "km = kc.keymaps.new(name='Mesh', space_type='EMPTY')"],
    ],
  );
  assert.ok(e.text.startsWith('Traceback (most recent call last):'));
  assert.ok(e.text.endsWith("attribute 'keymaps'"));
});

test('parseTracebacks: several tracebacks, noise between, dotted types, chained, no message', () => {
  const text = [
    'Read prefs: /tmp/x/config/userpref.blend',
    'Traceback (most recent call last):',
    '  File "/a/b.py", line 3, in <module>',
    '    import nope',
    'ModuleNotFoundError: No module named \'nope\'',
    '',
    'During handling of the above exception, another exception occurred:',
    '',
    'Traceback (most recent call last):',
    '  File "/a/c.py", line 9, in f',
    'pkg.errors.CustomError: it broke: badly',
    'Traceback (most recent call last):',
    '  File "/a/d.py", line 1, in g',
    '    [Previous line repeated 996 more times]',
    'KeyError',
    'Blender quit',
  ].join('\n');
  const errors = parseTracebacks(text);
  assert.deepEqual(errors.map((e) => [e.type, e.message, e.frames.length]), [
    ['ModuleNotFoundError', "No module named 'nope'", 1],
    ['pkg.errors.CustomError', 'it broke: badly', 1],
    ['KeyError', '', 1],
  ]);
  assert.equal(errors[2].frames[0].code, '');
});

test('parseTracebacks ignores a header with no frames or no exception line', () => {
  assert.deepEqual(parseTracebacks('Traceback (most recent call last):\nBlender quit\n'), []);
  assert.deepEqual(parseTracebacks('nothing here'), []);
});

test('parseCrashLog reads the Python backtrace of a Blender crash log, outermost first', () => {
  // Blender 3.4.1 after window_manager.popup_menu() in register(), as written to $TMPDIR/blender.crash.txt
  const log = `# Blender 3.4.1, Unknown revision

# backtrace
blender(+0x10da402) [0x55d8da659402]

# Python backtrace
  File "/usr/share/blender/scripts/modules/bpy_types.py", line 248 in popup_menu
  File "/tmp/x/scripts/addons/popup_in_register/__init__.py", line 22 in register
  File "/usr/share/blender/scripts/modules/addon_utils.py", line 369 in enable
  File "<string>", line 3 in <module>`;
  const frames = parseCrashLog(log);
  assert.deepEqual(frames.map((f) => [f.file, f.line, f.function]), [
    ['<string>', 3, '<module>'],
    ['/usr/share/blender/scripts/modules/addon_utils.py', 369, 'enable'],
    ['/tmp/x/scripts/addons/popup_in_register/__init__.py', 22, 'register'],
    ['/usr/share/blender/scripts/modules/bpy_types.py', 248, 'popup_menu'],
  ]);
  assert.equal(ownFrame(frames, '/tmp/x/scripts/addons/popup_in_register')?.line, 22);
  assert.deepEqual(parseCrashLog('# Blender 4.3.2\n\n# backtrace\n'), []);
});

test('ownFrame: innermost frame inside the add-on folder, or the single-file module itself', () => {
  const frames = [
    { file: '/s/addons/mod/__init__.py', line: 1, function: 'a', code: '' },
    { file: '/s/addons/mod/sub/x.py', line: 2, function: 'b', code: '' },
    { file: '/s/addons/mod2/x.py', line: 3, function: 'c', code: '' },
    { file: '/usr/share/blender/scripts/modules/bpy/ops.py', line: 4, function: 'd', code: '' },
  ];
  assert.equal(ownFrame(frames, '/s/addons/mod')?.line, 2);
  assert.equal(ownFrame(frames, '/s/addons/mod2/x.py')?.line, 3);
  assert.equal(ownFrame(frames, '/s/addons/mo'), undefined);
});

test('parseBlenderVersion', () => {
  assert.equal(parseBlenderVersion('Blender 3.4.1\nRead prefs: x\n'), '3.4.1');
  assert.equal(parseBlenderVersion('noise\nBlender 4.3.2 (hash abc built 2024)\n'), '4.3.2');
  assert.equal(parseBlenderVersion(''), undefined);
});

test('ruleFor names the rule whose errorPatterns match the exception line', () => {
  const rules = [
    { code: 'BGS001', slug: 'gpu', errorPatterns: [/SystemError: GPU functions for drawing are not available in background mode/] },
    { code: 'BGS002', slug: 'keymap', errorPatterns: [/'NoneType' object has no attribute 'keymaps'/g] },
    { code: 'BGS003', slug: 'none' },
  ];
  assert.equal(ruleFor('SystemError: GPU functions for drawing are not available in background mode', rules)?.code, 'BGS001');
  // A /g pattern must match every time, not every other time.
  for (let i = 0; i < 3; i++) assert.equal(ruleFor("AttributeError: 'NoneType' object has no attribute 'keymaps'", rules)?.code, 'BGS002');
  assert.equal(ruleFor('RuntimeError: something else', rules), undefined);
});

test('the shipped rules name BGS001 and BGS002 for the measured Blender errors', (t) => {
  const withPatterns = allRules.filter((r) => r.errorPatterns?.length);
  if (withPatterns.length === 0) return t.skip('no rule has errorPatterns yet');
  assert.equal(ruleFor('SystemError: GPU functions for drawing are not available in background mode', allRules)?.code, 'BGS001');
  assert.equal(ruleFor("AttributeError: 'NoneType' object has no attribute 'keymaps'", allRules)?.code, 'BGS002');
});

test('ruleFor names a rule with errorFrames only where its frames are in the traceback', () => {
  const line = "AttributeError: 'NoneType' object has no attribute 'keymaps'";
  const tool = [
    'Traceback (most recent call last):',
    '  File "/addons/sculpt_stamp_tool/__init__.py", line 23, in register',
    '    bpy.utils.register_tool(StampTool, separator=True)',
    '  File "/usr/share/blender/scripts/startup/bl_ui/space_toolsystem_common.py", line 488, in _km_action_simple',
    '    km = kc.keymaps.get(km_idname)',
    line,
  ].join('\n');
  const keymap = ['  File "/addons/checker/__init__.py", line 47, in register', "    km = kc.keymaps.new(name='Mesh')", line].join('\n');
  assert.equal(ruleFor(line, allRules, tool)?.code, 'BGS021');
  assert.equal(ruleFor(line, allRules, keymap)?.code, 'BGS002');
  assert.equal(ruleFor("AttributeError: type object 'StampTool' has no attribute '_bl_tool'", allRules, '    bpy.utils.unregister_tool(StampTool)')?.code, 'BGS021');
});

/** A zip with deflated entries, built by hand so the reader is tested against the format, not itself. */
function makeZip(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = deflateRawSync(Buffer.from(content));
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(content.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(content.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, data);
    centrals.push(central, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

test('resolveAddon and stageAddon: folder, single file, zip (also wrapped in a folder), and bad paths', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bgsafe-verify-unit-'));
  try {
    fs.mkdirSync(path.join(tmp, 'pkg', '__pycache__'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'pkg', '__init__.py'), 'x = 1\n');
    fs.writeFileSync(path.join(tmp, 'pkg', '__pycache__', 'junk.pyc'), '');
    fs.writeFileSync(path.join(tmp, 'single.py'), 'y = 2\n');
    fs.writeFileSync(path.join(tmp, 'a.zip'), makeZip({ 'zipped/__init__.py': 'z = 3\n', 'zipped/sub/m.py': 'w = 4\n', '../evil.py': 'no' }));
    fs.writeFileSync(path.join(tmp, 'b.zip'), makeZip({ 'zipped-main/zipped/__init__.py': 'z = 3\n' }));
    fs.writeFileSync(path.join(tmp, 'two.zip'), makeZip({ 'a/__init__.py': '', 'b.py': '' }));
    fs.writeFileSync(path.join(tmp, 'junk.zip'), 'not a zip');
    fs.mkdirSync(path.join(tmp, 'empty'));
    const addons = path.join(tmp, 'out', 'addons');

    const folder = resolveAddon(path.join(tmp, 'pkg'));
    assert.equal(folder.kind, 'folder');
    assert.equal(folder.module, 'pkg');
    const inst = stageAddon(folder, addons);
    assert.ok(fs.existsSync(path.join(inst, '__init__.py')));
    assert.ok(!fs.existsSync(path.join(inst, '__pycache__')), '__pycache__ is not copied');

    const file = resolveAddon(path.join(tmp, 'single.py'));
    assert.deepEqual([file.kind, file.module], ['file', 'single']);
    assert.equal(stageAddon(file, addons), path.join(addons, 'single.py'));

    const zip = resolveAddon(path.join(tmp, 'a.zip'));
    assert.deepEqual([zip.kind, zip.module], ['zip', 'zipped']);
    const zinst = stageAddon(zip, addons);
    assert.equal(fs.readFileSync(path.join(zinst, 'sub', 'm.py'), 'utf8'), 'w = 4\n');
    assert.ok(!fs.existsSync(path.join(tmp, 'out', 'evil.py')), 'no entry lands outside addons/');
    assert.equal(userPath(zip, zinst, path.join(zinst, 'sub', 'm.py')), `${zip.arg}!/zipped/sub/m.py`);
    assert.equal(userPath(folder, inst, path.join(inst, '__init__.py')), path.join(folder.arg, '__init__.py'));

    const wrapped = resolveAddon(path.join(tmp, 'b.zip'));
    assert.deepEqual([wrapped.module, wrapped.zipPrefix], ['zipped', 'zipped-main/']);
    assert.deepEqual(readZip(fs.readFileSync(path.join(tmp, 'b.zip'))).map((e) => e.name), ['zipped-main/zipped/__init__.py']);

    for (const [p, msg] of [
      ['nothere.py', /no such file/],
      ['empty', /needs an __init__\.py/],
      ['junk.zip', /not a readable zip/],
      ['two.zip', /holds 2 add-ons/],
    ] as const) {
      assert.throws(() => resolveAddon(path.join(tmp, p)), (e: unknown) => e instanceof AddonPathError && msg.test((e as Error).message));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('findBlender: --blender, then $BLENDER, then PATH; a clear error with the apt-get hint', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bgsafe-verify-unit-'));
  try {
    const fake = path.join(tmp, 'blender');
    fs.writeFileSync(fake, '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(findBlender(fake, {}), fake);
    assert.equal(findBlender(undefined, { BLENDER: fake, PATH: '' }), fake);
    assert.equal(findBlender(undefined, { PATH: `/nonexistent${path.delimiter}${tmp}` }), fake);
    assert.throws(() => findBlender('/nonexistent/blender', { PATH: tmp }), (e: unknown) => e instanceof VerifyUsageError && /--blender \/nonexistent\/blender/.test((e as Error).message) && /apt-get install blender/.test((e as Error).message));
    assert.throws(() => findBlender(undefined, { PATH: '/nonexistent' }), (e: unknown) => e instanceof VerifyUsageError && /not on PATH.*apt-get install blender/.test((e as Error).message));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('Pool never runs more than n tasks at once', async () => {
  const pool = new Pool(2);
  let now = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: 9 }, (_, i) =>
      pool.run(async () => {
        now++;
        peak = Math.max(peak, now);
        await new Promise((r) => setTimeout(r, 5 + (i % 3)));
        now--;
      }),
    ),
  );
  assert.equal(peak, 2);
});

test('formatVerifyText and exitCodeFor', () => {
  const report: VerifyReport = {
    version: 1,
    tool: { name: 'bgsafe', version: '0.0.0' },
    blender: { path: '/usr/bin/blender', version: '3.4.1' },
    status: 'fail',
    durationMs: 1500,
    addons: [
      { path: 'ok_addon', module: 'ok_addon', kind: 'folder', status: 'pass', passed: [], failures: [], durationMs: 1000, blenderVersion: '3.4.1' },
      {
        path: 'km',
        module: 'km',
        kind: 'folder',
        status: 'fail',
        passed: [],
        durationMs: 1200,
        blenderVersion: '3.4.1',
        failures: [
          {
            case: 'startup',
            step: 'startup',
            kind: 'exception',
            message: "AttributeError: 'NoneType' object has no attribute 'keymaps'",
            location: { file: 'km/__init__.py', line: 47, function: 'register', code: 'km = kc.keymaps.new()' },
            rule: { code: 'BGS002', slug: 'keymap-without-guard' },
            fix: 'bgsafe --write km',
          },
          { case: 'script', step: 'enable', kind: 'crash', message: 'Blender crashed (SIGSEGV) in addon_utils.enable', signal: 'SIGSEGV' },
        ],
      },
    ],
  };
  const text = formatVerifyText(report);
  assert.match(text, /^PASS ok_addon, Blender 3\.4\.1/m);
  assert.match(text, /^FAIL km, Blender 3\.4\.1/m);
  assert.match(text, /at km\/__init__\.py:47 in register: km = kc\.keymaps\.new\(\)/);
  assert.match(text, /BGS002 \(keymap-without-guard\) covers this; fixable: bgsafe --write km/);
  assert.match(text, /CRASH: Blender crashed \(SIGSEGV\)/);
  assert.match(text, /^2 add-ons: 1 passed, 1 failed \(Blender 3\.4\.1, 1\.5 s\)$/m);
  assert.equal(exitCodeFor(report), 1);
  assert.equal(exitCodeFor({ ...report, status: 'pass' }), 0);
  assert.equal(exitCodeFor({ ...report, status: 'error' }), 2);
});
