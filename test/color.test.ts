// Colour in the diff and text output: on a terminal (a pseudo-terminal here), never in a pipe unless asked;
// --color auto|always|never, NO_COLOR, FORCE_COLOR, TERM=dumb. The escapes are all that colour adds.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from './helpers.js';
import { bin, ptyAvailable, runOnPty, stripAnsi } from './pty.js';
import { colorEnabled, colorPatch, colors } from '../src/color.js';

const ESC = '\x1b[';

function tree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bgsafe-color-'));
  cpSync(path.join(repoRoot, 'fixtures', 'addons', 'example_addon'), path.join(dir, 'example_addon'), { recursive: true });
  // A CRLF file, and a removed line that starts with `--` (a diff line `---` inside a hunk is a removal).
  mkdirSync(path.join(dir, 'crlf'));
  writeFileSync(path.join(dir, 'crlf', 'overlay.py'), 'import bpy\r\nimport gpu\r\n\r\n-- len(str(gpu.shader.from_builtin("IMAGE")))\r\nshader = gpu.shader.from_builtin("UNIFORM_COLOR")\r\n');
  return dir;
}

function piped(args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: e });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PLAIN = { NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined };

describe('--color in a pipe', () => {
  it('auto (the default): no escapes in a pipe, even under CI', () => {
    const dir = tree();
    for (const format of ['diff', 'text']) {
      const r = piped(['--format', format, 'example_addon', 'crlf'], dir, { ...PLAIN, CI: 'true' });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.length > 0);
      assert.ok(!r.stdout.includes(ESC), format);
      assert.ok(!r.stderr.includes(ESC), format);
    }
  });

  it('always: coloured, and without the escapes byte for byte the plain output', () => {
    const dir = tree();
    for (const format of ['diff', 'text']) {
      const plain = piped(['--format', format, 'example_addon', 'crlf'], dir, PLAIN);
      const color = piped(['--format', format, '--color', 'always', 'example_addon', 'crlf'], dir, PLAIN);
      assert.ok(color.stdout.includes(ESC), format);
      assert.equal(stripAnsi(color.stdout), plain.stdout, format);
    }
    const diff = piped(['--color=always', 'example_addon', 'crlf'], dir, PLAIN).stdout;
    assert.ok(diff.includes(`${ESC}1m--- a/example_addon/__init__.py${ESC}22m\n`), 'the file header bold');
    assert.ok(diff.includes(`${ESC}31m-shader = gpu.shader.from_builtin('UNIFORM_COLOR')${ESC}39m\n`), 'a removal red');
    assert.ok(diff.includes(`${ESC}31m--- len(str(gpu.shader.from_builtin("IMAGE")))${ESC}39m\r\n`), 'a `---` line inside a hunk is a removal, its CR outside the escapes');
    assert.match(diff, new RegExp(`\\x1b\\[36m@@ -\\d+,\\d+ \\+\\d+,\\d+ @@\\x1b\\[39m\\n`), 'hunk headers cyan');
    const text = piped(['--format', 'text', '--color', 'always', 'example_addon'], dir, PLAIN).stdout;
    assert.ok(text.startsWith(`${ESC}1mexample_addon/__init__.py${ESC}22m:22:10: ${ESC}1m${ESC}31mBGS001${ESC}39m${ESC}22m `));
  });

  it('FORCE_COLOR colours a pipe; NO_COLOR does not stop --color always; json is never coloured', () => {
    const dir = tree();
    assert.ok(piped(['example_addon'], dir, { ...PLAIN, FORCE_COLOR: '1' }).stdout.includes(ESC));
    assert.ok(!piped(['example_addon'], dir, { ...PLAIN, FORCE_COLOR: '0' }).stdout.includes(ESC));
    assert.ok(piped(['--color', 'always', 'example_addon'], dir, { ...PLAIN, NO_COLOR: '1' }).stdout.includes(ESC));
    const json = piped(['--format', 'json', '--color', 'always', 'example_addon'], dir, PLAIN);
    assert.ok(!json.stdout.includes(ESC));
    JSON.parse(json.stdout);
  });

  it('a bad --color value is a usage error', () => {
    const r = piped(['--color', 'sometimes', 'example_addon'], tree());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /color/);
  });
});

describe('--color on a terminal', { skip: ptyAvailable() ? false : 'python3 with pty is not here' }, () => {
  it('auto: the diff and the text output are coloured', () => {
    const dir = tree();
    const diff = runOnPty(['--no-progress', 'example_addon'], { cwd: dir });
    assert.equal(diff.code, 0, diff.tty);
    assert.ok(diff.tty.includes(`${ESC}31m-shader = gpu.shader.from_builtin('UNIFORM_COLOR')${ESC}39m\n`), diff.tty);
    const text = runOnPty(['--format', 'text', 'example_addon'], { cwd: dir });
    assert.ok(text.tty.includes(`${ESC}1m${ESC}31mBGS002${ESC}39m${ESC}22m`), text.tty);
  });

  it('never, --no-color, NO_COLOR, TERM=dumb: no colour on the terminal', () => {
    const dir = tree();
    for (const [args, env] of [
      [['--color', 'never'], {}],
      [['--no-color'], {}],
      [[], { NO_COLOR: '1' }],
      [[], { FORCE_COLOR: '0' }],
      [[], { TERM: 'dumb' }],
    ] as Array<[string[], Record<string, string>]>) {
      const r = runOnPty([...args, '--no-progress', 'example_addon'], { cwd: dir, env });
      assert.equal(r.code, 0, r.tty);
      assert.match(r.tty, /^--- a\/example_addon\/__init__\.py$/m);
      assert.ok(!r.tty.includes(ESC), `${args.join(' ')} ${JSON.stringify(env)}: ${JSON.stringify(r.tty.slice(0, 200))}`);
    }
  });
});

describe('colorEnabled', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  it('flags first, then FORCE_COLOR, then NO_COLOR, then the stream', () => {
    assert.equal(colorEnabled('always', pipe, { NO_COLOR: '1' }), true);
    assert.equal(colorEnabled('never', tty, { FORCE_COLOR: '1' }), false);
    assert.equal(colorEnabled('auto', pipe, { FORCE_COLOR: '1' }), true);
    assert.equal(colorEnabled('auto', tty, { FORCE_COLOR: '0' }), false);
    assert.equal(colorEnabled('auto', tty, { FORCE_COLOR: 'false' }), false);
    assert.equal(colorEnabled('auto', tty, { NO_COLOR: '1' }), false);
    assert.equal(colorEnabled('auto', tty, { NO_COLOR: '' }), true, 'an empty NO_COLOR is not set (no-color.org)');
    assert.equal(colorEnabled('auto', tty, { TERM: 'dumb' }), false);
    assert.equal(colorEnabled('auto', tty, {}), true);
    assert.equal(colorEnabled('auto', pipe, { CI: 'true' }), false);
  });
  it('colorPatch without colour is the patch itself', () => {
    const patch = '--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n';
    assert.equal(colorPatch(patch, colors(false)), patch);
    assert.equal(stripAnsi(colorPatch(patch, colors(true))), patch);
  });
});
