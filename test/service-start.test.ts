// `scaffoldService({ start })`: the __BGSAFE_START_JSON__ placeholder of python/service_script.py is filled
// with a Python string literal body that decodes (json.loads) back to exactly the list given, whatever its
// strings hold: quotes, backslashes, newlines, ''' and """, a fake placeholder, non-ASCII and astral
// characters, control characters. Checked by Python itself: the written script compiles, and its START
// line, evaluated alone, gives the list back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { scaffoldService, startJsonLiteralBody } from '../src/scaffold/service.js';
import { repoRoot } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-service-start-'));
after(() => rmSync(dir, { recursive: true, force: true }));
cpSync(path.join(repoRoot, 'fixtures', 'addons', 'timer_tcp_server'), path.join(dir, 'timer_tcp_server'), { recursive: true });
const noPython = spawnSync('python3', ['--version']).status !== 0 && 'no python3';

type Start = NonNullable<Parameters<typeof scaffoldService>[0]['start']>;

const HOSTILE: Start = [
  { idname: 'myaddon.start_server', properties: {} },
  {
    idname: 'other.op',
    properties: {
      port: 9876,
      ratio: -0.25,
      on: true,
      off: false,
      host: 'localhost',
      quotes: `it's "quoted" and '''triple''' and """triple"""`,
      backslashes: 'C:\\path\\to\\x\\n not a newline \\',
      newlines: 'one\ntwo\r\nthree\ttab\u0000nul\u0007bell',
      code: '"); import os; os.system("echo pwned"); ("',
      placeholder: '__BGSAFE_ADDON_MODULE__ and __BGSAFE_START_JSON__',
      unicode: 'café — ünïcödé \u2028\u2029 😀 \ud800 lone',
      'key with space': 'v',
    },
  },
];

/** START as the written script's Python sees it (the START line run alone), as JSON. */
function pythonStart(script: string): unknown {
  const line = readFileSync(script, 'utf8').split('\n').find((l) => l.startsWith('START = '));
  assert.ok(line, 'no START line in the script');
  const code = `import json, sys\n${line}\nsys.stdout.write(json.dumps(START))\n`;
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('scaffold service --start: the START placeholder', { skip: noPython }, () => {
  it('no start: START is []', () => {
    const r = scaffoldService({ addon: path.join(dir, 'timer_tcp_server'), out: path.join(dir, 'none'), force: true });
    assert.match(readFileSync(r.script, 'utf8'), /^START = json\.loads\("\[\]"\)$/m);
    assert.deepEqual(pythonStart(r.script), []);
  });

  it('hostile strings come back exactly; the script compiles; the literal is one line of printable ASCII', () => {
    const r = scaffoldService({ addon: path.join(dir, 'timer_tcp_server'), out: path.join(dir, 'hostile'), force: true, start: HOSTILE });
    const text = readFileSync(r.script, 'utf8');
    // (The hostile strings hold "__BGSAFE_START_JSON__" themselves: look at the line, not the whole text.)
    assert.doesNotMatch(text, /^START = json\.loads\("__BGSAFE_START_JSON__"\)$/m);
    const compiled = spawnSync('python3', ['-m', 'py_compile', r.script], { encoding: 'utf8' });
    assert.equal(compiled.status, 0, compiled.stderr);
    // JSON round trip through Python; the lone surrogate is the one thing JSON.parse cannot give back
    // byte for byte, so compare through JSON.stringify on both sides.
    assert.equal(JSON.stringify(pythonStart(r.script)), JSON.stringify(HOSTILE));
    const body = startJsonLiteralBody(HOSTILE);
    assert.match(body, /^[\x20-\x7e]*$/);
    assert.equal(text.split('\n').filter((l) => l.startsWith('START = ')).length, 1);
    // The other placeholders are still filled once, not from the strings above.
    assert.match(text, /BGSAFE_SERVICE_ADDON", "timer_tcp_server"\)/);
  });
});
