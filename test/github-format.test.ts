// --format github through the real binary: one workflow command per finding, error and unused suppression,
// parsed back here the way GitHub's runner parses them (actions/runner ActionCommand: the command up to the
// first space, properties split on `,` and the first `=`, the message after the second `::`; %0D, %0A, %3A,
// %2C unescaped before %25), which must give back exactly what the JSON report says.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { escapeData, escapeProperty, workflowCommand } from '../src/reporters/github.js';
import { bgsafe, tempDir, writeTree } from './batch-helpers.js';

interface Command {
  name: string;
  props: Record<string, string>;
  message: string;
}

const unescapeProperty = (s: string): string => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
const unescapeData = (s: string): string => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');

/** One line as GitHub's runner reads it, or null when it is not a workflow command. */
function parseCommand(line: string): Command | null {
  if (!line.startsWith('::')) return null;
  const end = line.indexOf('::', 2);
  if (end < 0) return null;
  const info = line.slice(2, end);
  const message = unescapeData(line.slice(end + 2));
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  const props: Record<string, string> = {};
  if (space >= 0) {
    for (const pair of info.slice(space + 1).split(',')) {
      const eq = pair.indexOf('=');
      assert.ok(eq > 0, `property without a value: ${pair}`);
      props[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { name, props, message };
}

function commands(stdout: string): Command[] {
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  return lines.map((l) => {
    const c = parseCommand(l);
    assert.ok(c, `every stdout line is a workflow command: ${JSON.stringify(l)}`);
    return c;
  });
}

const GPU = "import bpy, gpu\nshader = gpu.shader.from_builtin('UNIFORM_COLOR')\n";

describe('--format github', () => {
  it('escapes as GitHub documents: % CR LF in messages, and : , too in properties', () => {
    assert.equal(escapeData('50% done\r\nnext: a, b'), '50%25 done%0D%0Anext: a, b');
    assert.equal(escapeProperty('50% done\r\nnext: a, b'), '50%25 done%0D%0Anext%3A a%2C b');
    assert.equal(escapeProperty('%0A'), '%250A', '% first, so an escape already in the text survives');
    assert.equal(workflowCommand('warning', { file: 'a,b.py', line: 3, col: undefined }, 'm'), '::warning file=a%2Cb.py,line=3::m\n');
    assert.equal(workflowCommand('notice', {}, 'x'), '::notice::x\n');
    for (const s of ['plain', '%', '%25', '::x::', 'a,b=c:d', '\r\n\n', '%0A%3A']) {
      assert.equal(unescapeProperty(escapeProperty(s)), s, JSON.stringify(s));
      assert.equal(unescapeData(escapeData(s)), s, JSON.stringify(s));
    }
  });

  it('annotates each finding at its range, with its rule, and the fix in words', () => {
    const dir = tempDir('github');
    // A file name with every character that must be escaped in a property.
    const odd = 'odd, name: 100%\r\n.py';
    writeTree(dir, {
      'addons/shader/__init__.py': GPU,
      [`addons/${odd}`]: GPU,
      'addons/ctx.py': 'import bpy\n\n\ndef register():\n    bpy.context.scene.frame_start = 1\n\n\ndef unregister():\n    pass\n',
    });
    const json = JSON.parse(bgsafe(['--format', 'json', 'addons'], dir).stdout);
    const r = bgsafe(['--format', 'github', 'addons'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^bgsafe: 3 files scanned/, 'the summary on stderr, for the person reading the log');
    const got = commands(r.stdout);
    assert.equal(got.length, json.findings.length);
    for (const [i, x] of json.findings.entries()) {
      const c = got[i];
      const fixed = x.fixStatus === 'applied';
      assert.equal(c.name, 'warning');
      assert.deepEqual(c.props, {
        file: x.path,
        line: String(x.range.start.line),
        endLine: String(x.range.end.line),
        col: String(x.range.start.column),
        endColumn: String(x.range.end.column),
        title: `bgsafe ${x.code} (${x.slug})`,
      });
      const hint = fixed ? ' (fixable: bgsafe --write)' : x.fixStatus === 'available' ? ' (unsafe fix: bgsafe --write --unsafe-fixes)' : '';
      assert.equal(c.message, `${x.code} ${x.message}${hint}`);
    }
    assert.ok(got.some((c) => c.props.file === `addons/${odd}`), 'the odd name comes back exactly');
    assert.ok(got.some((c) => c.message.endsWith('(unsafe fix: bgsafe --write --unsafe-fixes)')), 'an unsafe fix is named as such');
    assert.match(r.stdout, /file=addons\/odd%2C name%3A 100%25%0D%0A\.py,/);
  });

  it('after --write, a fixed finding is a notice', () => {
    const dir = tempDir('github-write');
    writeTree(dir, { 'addons/shader.py': GPU });
    const r = bgsafe(['--write', '--format', 'github', 'addons'], dir);
    assert.equal(r.code, 0, r.stderr);
    const [c, ...rest] = commands(r.stdout);
    assert.equal(rest.length, 0);
    assert.equal(c.name, 'notice');
    assert.match(c.message, /^BGS001 .* \(fixed by bgsafe --write\)$/);
  });

  it('errors are ::error with their place; a message with %, CR and LF stays one line', () => {
    const dir = tempDir('github-errors');
    writeTree(dir, {
      'addons/broken.py': 'import gpu\nx = (\n',
      // A TOML key with a percent sign, CR and LF in it: bgsafe quotes it in its error message.
      'addons/conf/pyproject.toml': '[tool.bgsafe]\n"50%\\r\\nkey" = 1\n',
      'addons/conf/__init__.py': 'import bpy\n',
    });
    const json = JSON.parse(bgsafe(['--format', 'json', 'addons'], dir).stdout);
    const r = bgsafe(['--format', 'github', 'addons'], dir);
    assert.equal(r.code, 2);
    const errors = commands(r.stdout).filter((c) => c.name === 'error');
    assert.equal(errors.length, json.errors.length);
    for (const [i, e] of json.errors.entries()) {
      const c = errors[i];
      assert.equal(c.props.file, e.path);
      assert.equal(c.props.line, e.line === null ? undefined : String(e.line));
      assert.equal(c.props.title, `bgsafe error[${e.kind}]${e.code ? ` ${e.code}` : ''}`);
      assert.equal(c.message, e.message);
    }
    const config = errors.find((c) => c.props.title === 'bgsafe error[config]' && c.props.file.endsWith('pyproject.toml'));
    assert.ok(config && config.message.includes('50%\r\nkey'), JSON.stringify(errors));
    assert.ok(errors.some((c) => c.props.title === 'bgsafe error[parse]' && c.props.line === '2'));
  });

  it('an unused suppression is a notice', () => {
    const dir = tempDir('github-suppress');
    writeFileSync(path.join(dir, 'calm.py'), 'import bpy  # bgsafe: ignore[BGS001]\n');
    const got = commands(bgsafe(['--format', 'github', 'calm.py'], dir).stdout);
    assert.equal(got.length, 1);
    assert.equal(got[0].name, 'notice');
    assert.deepEqual({ file: got[0].props.file, line: got[0].props.line, title: got[0].props.title }, { file: 'calm.py', line: '1', title: 'bgsafe unused suppression' });
  });

  it('a clean run prints nothing on stdout', () => {
    const dir = tempDir('github-clean');
    writeFileSync(path.join(dir, 'calm.py'), 'import bpy\n');
    const r = bgsafe(['--format', 'github', '--check', 'calm.py'], dir);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
  });
});
