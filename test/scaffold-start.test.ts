// `--start "IDNAME key=value ..."` of `bgsafe scaffold service`: how the words become an operator and its
// properties, and the one-line errors for what is not one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parseStart, startFlag, startValue } from '../src/scaffold/start.js';
import { scaffoldService, ScaffoldUsageError } from '../src/scaffold/service.js';
import { repoRoot } from './helpers.js';

const bin = path.join(repoRoot, 'bin', 'bgsafe.js');

describe('scaffold service --start', () => {
  it('an idname alone, with properties, and in the other spellings Blender accepts', () => {
    assert.deepEqual(parseStart('myaddon.start_server'), { idname: 'myaddon.start_server', properties: {} });
    assert.deepEqual(parseStart('  bpy.ops.relay.start  port=9876 host=127.0.0.1 '), { idname: 'relay.start', properties: { port: 9876, host: '127.0.0.1' } });
    assert.deepEqual(parseStart('RELAY_OT_start_server verbose=true'), { idname: 'relay.start_server', properties: { verbose: true } });
    assert.deepEqual(parseStart('relay.start name="render node 1" tag="a\\"b"'), { idname: 'relay.start', properties: { name: 'render node 1', tag: 'a"b' } });
  });

  it('values: booleans, numbers, JSON strings, else the text', () => {
    assert.equal(startValue('True'), true);
    assert.equal(startValue('false'), false);
    assert.equal(startValue('-2'), -2);
    assert.equal(startValue('0.25'), 0.25);
    assert.equal(startValue('1e3'), 1000);
    assert.equal(startValue('"9876"'), '9876', 'a quoted number stays a string');
    assert.equal(startValue('localhost'), 'localhost');
    assert.equal(startValue(''), '');
    assert.equal(startValue('0x10'), '0x10');
  });

  it('bad specs are usage errors that say what is expected', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /empty; expected an operator's bl_idname/],
      ['start_server', /"start_server" is not an operator bl_idname; expected lower-case "category.name"/],
      ['My.Op', /is not an operator bl_idname/],
      ['relay.start port', /"port" is not key=value/],
      ['relay.start =1', /"=1" is not key=value/],
      ['relay.start port=1 port=2', /port is given twice/],
    ];
    for (const [spec, message] of bad) assert.throws(() => parseStart(spec), (e: unknown) => e instanceof ScaffoldUsageError && message.test((e as Error).message), spec);
  });

  it('startFlag gives back a flag that parses to the same operator', () => {
    for (const spec of ['relay.start', 'relay.start port=9876 name="render node 1" on=true']) {
      const op = parseStart(spec);
      const flag = startFlag(op);
      const value = flag.replace(/^--start /, '');
      const unquoted = value.startsWith('"') ? JSON.parse(value) as string : value;
      assert.deepEqual(parseStart(unquoted), op, flag);
    }
  });
});

describe('scaffold service --start through the CLI', () => {
  it('repeated flags reach the service script in order; a bad one is exit 2 with one line and no files', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-start-'));
    try {
      const addon = path.join(work, 'relay');
      mkdirSync(addon);
      writeFileSync(path.join(addon, '__init__.py'), 'bl_info = {"name": "relay"}\n\n\ndef register():\n    pass\n\n\ndef unregister():\n    pass\n');
      const ok = spawnSync(process.execPath, [bin, 'scaffold', 'service', '--start', 'relay.start_server port=9876', addon, '--start', 'relay.warm_up', '--out', path.join(work, 'svc')], { encoding: 'utf8' });
      assert.equal(ok.status, 0, ok.stderr);
      const script = readFileSync(path.join(work, 'svc', 'relay_service_blender.py'), 'utf8');
      const line = /^START = json\.loads\((".*")\)$/m.exec(script);
      assert.ok(line, 'no START line');
      assert.deepEqual(JSON.parse(JSON.parse(line[1]) as string), [
        { idname: 'relay.start_server', properties: { port: 9876 } },
        { idname: 'relay.warm_up', properties: {} },
      ]);
      const bad = spawnSync(process.execPath, [bin, 'scaffold', 'service', addon, '--start', 'relay', '--out', path.join(work, 'bad')], { encoding: 'utf8' });
      assert.equal(bad.status, 2);
      assert.equal(bad.stderr, 'bgsafe scaffold: --start "relay": "relay" is not an operator bl_idname; expected lower-case "category.name", e.g. myaddon.start_server\n');
      assert.equal(existsSync(path.join(work, 'bad')), false, 'nothing written');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('scaffold service without --start: the operators that start a service', () => {
  const copy = (name: string, work: string): string => {
    const to = path.join(work, name);
    cpSync(path.join(repoRoot, 'fixtures', 'addons', name), to, { recursive: true });
    return to;
  };
  it('one operator starts it and register() does not: that one is called, and a note says so', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-start-auto-'));
    try {
      const r = scaffoldService({ addon: copy('live_scene', work), out: path.join(work, 'svc') });
      assert.deepEqual(r.start, [{ idname: 'livescene.start_server', properties: {} }]);
      assert.ok(r.notes.some((n) => /^nothing in register\(\) starts a service, and one operator does \(livescene\.start_server, live_scene\/[\w/]+\.py:\d+: .*binds a socket/.test(n)), r.notes.join('\n'));
      const given = scaffoldService({ addon: path.join(work, 'live_scene'), out: path.join(work, 'svc2'), start: [{ idname: 'livescene.start_server', properties: { port: 1 } }] });
      assert.deepEqual(given.start, [{ idname: 'livescene.start_server', properties: { port: 1 } }]);
      assert.ok(!given.notes.some((n) => /operator/.test(n)), 'no note when --start is given');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
  it('register() starts a service: none is called; the operators are listed with the flag to add', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'bgsafe-start-list-'));
    try {
      const r = scaffoldService({ addon: copy('remote_link', work), out: path.join(work, 'svc') });
      assert.deepEqual(r.start, []);
      assert.ok(r.notes.some((n) => /^these operators start a service in execute\(\): remote_link\.\w+ \(.*\); register\(\) starts a service too, so none is called: add `--start IDNAME/.test(n)), r.notes.join('\n'));
      const plain = scaffoldService({ addon: copy('timer_tcp_server', work), out: path.join(work, 'svc3') });
      assert.deepEqual(plain.start, []);
      assert.ok(!plain.notes.some((n) => /operator/.test(n)));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
