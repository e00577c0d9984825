// `npm run new-rule` on a copy of the checkout: the rule it generates compiles, its fixtures and the README
// table pass their tests as generated, and it touches nothing but the rule file, its fixture folder,
// rules/index.ts and the README's table. Bad arguments exit 2 with one line and write nothing.
// Takes about half a minute: the copy is compiled twice (by the npm script, then with the new rule).
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from './helpers.js';

const script = path.join(repoRoot, 'dist', 'scripts', 'new-rule.js');
const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
/** Inside a `node --test` run children inherit NODE_TEST_CONTEXT, which would make a nested `node --test`
 *  report to this runner instead of printing. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'));

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 180_000 });
}

/** Every file of the copy (not dist/ or node_modules) with its text, by relative path. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r === 'dist' || r === 'node_modules') continue;
      if (e.isDirectory()) walk(r);
      else out.set(r, readFileSync(path.join(root, r), 'utf8'));
    }
  };
  walk('');
  return out;
}

function changes(before: Map<string, string>, after: Map<string, string>): { added: string[]; changed: string[]; removed: string[] } {
  return {
    added: [...after.keys()].filter((k) => !before.has(k)).sort(),
    changed: [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)).sort(),
    removed: [...before.keys()].filter((k) => !after.has(k)).sort(),
  };
}

/** `after`'s lines less those matching `added`, which must be exactly `count` lines. */
function without(after: string, added: RegExp, count: number): string {
  const lines = after.split('\n');
  assert.equal(lines.filter((l) => added.test(l)).length, count, `${count} line(s) matching ${added}`);
  return lines.filter((l) => !added.test(l)).join('\n');
}

describe('npm run new-rule', { timeout: 300_000 }, () => {
  let copy = '';
  before(() => {
    copy = mkdtempSync(path.join(os.tmpdir(), 'bgsafe-new-rule-'));
    for (const f of ['package.json', 'tsconfig.json', 'README.md']) cpSync(path.join(repoRoot, f), path.join(copy, f));
    // python/ holds the runtime module BGS011's fixes write; fixtures/addons is not needed here.
    for (const d of ['src', 'rules', 'scripts', 'test', 'python']) cpSync(path.join(repoRoot, d), path.join(copy, d), { recursive: true });
    mkdirSync(path.join(copy, 'fixtures'));
    for (const d of readdirSync(path.join(repoRoot, 'fixtures')).filter((n) => /^BGS\d{3}-/.test(n))) {
      cpSync(path.join(repoRoot, 'fixtures', d), path.join(copy, 'fixtures', d), { recursive: true });
    }
    symlinkSync(realpathSync(path.join(repoRoot, 'node_modules')), path.join(copy, 'node_modules'), 'dir');
  });
  after(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('adds BGS099 test-rule: a rule whose fixtures and README row pass as generated', () => {
    const was = snapshot(copy);
    const r = run('npm', ['run', '--silent', 'new-rule', '--', 'BGS099', 'test-rule'], copy);
    assert.equal(r.status, 0, `npm run new-rule failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /created rules\/test-rule\.ts/);

    const now = snapshot(copy);
    assert.deepEqual(changes(was, now), {
      added: [
        'fixtures/BGS099-test-rule/example.input.py',
        'fixtures/BGS099-test-rule/example.output.py',
        'fixtures/BGS099-test-rule/leave_alone.input.py',
        'rules/test-rule.ts',
      ],
      changed: ['README.md', 'rules/index.ts'],
      removed: [],
    });
    // rules/index.ts: one import and one list entry, after the last rule's; the README: one row in the table.
    const last = lastRule(was.get('rules/index.ts')!, was.get('README.md')!);
    assert.equal(without(now.get('rules/index.ts')!, /^(import \{ testRule \} from '\.\/test-rule\.js';| {2}testRule,)$/, 2), was.get('rules/index.ts'));
    assert.ok(now.get('rules/index.ts')!.includes(`${last.importLine}\nimport { testRule }`));
    assert.ok(now.get('rules/index.ts')!.includes(`  ${last.name},\n  testRule,\n];`));
    assert.equal(without(now.get('README.md')!, /^\| BGS099 \| `test-rule` \| .* \| safe fix \| yes \|$/, 1), was.get('README.md'));
    assert.match(now.get('README.md')!, new RegExp(`\\| ${last.code} .*\\n\\| BGS099 .*\\n<!-- rules:end -->`));

    // The rule file's parts come in the one order of every rule file.
    const rule = now.get('rules/test-rule.ts')!;
    assert.ok(rule.startsWith('// BGS099 test-rule: '), 'starts with its header comment');
    let at = -1;
    for (const part of [
      'const CALL_QUERY', 'export const testRule = defineRule({', "code: 'BGS099'", "slug: 'test-rule'", 'summary:',
      'fixKind:', 'defaultEnabled:', 'docs: {', 'whatItFinds:', 'whyItBreaks:', 'example: {', 'fixSafety:',
      'messages: {', 'prefilter:', 'errorPatterns:', 'check(ctx)', '\n});\n', 'function statementOf(',
    ]) {
      const next = rule.indexOf(part, at + 1);
      assert.ok(next > at, `${JSON.stringify(part)} comes after the part before it`);
      at = next;
    }
    assert.match(rule, /TODO/);

    const build = run(process.execPath, [tsc, '-p', 'tsconfig.json'], copy);
    assert.equal(build.status, 0, `the copy does not compile:\n${build.stdout}\n${build.stderr}`);
    const t = run(process.execPath, ['--test', '--test-reporter=tap', 'dist/test/fixtures.test.js', 'dist/test/docs.test.js'], copy);
    assert.equal(t.status, 0, `tests fail in the copy:\n${t.stdout.split('\n').filter((l) => /not ok|Error|expected|actual/.test(l)).join('\n')}\n${t.stderr}`);
    const section = /# Subtest: BGS099-test-rule\n([\s\S]*?)\n {4}ok \d+ - BGS099-test-rule\n/.exec(t.stdout);
    assert.ok(section, 'the fixtures test lists fixtures/BGS099-test-rule');
    assert.match(section[1], /\n {8}ok \d+ - example\n/);
    assert.match(section[1], /\n {8}ok \d+ - leave_alone\n/);
    assert.match(section[1], /ok \d+ - has at least one rewrite case/);
    assert.match(t.stdout, /ok \d+ - BGS099 has complete metadata/);
    assert.match(t.stdout, /ok \d+ - README rule table is current/);
  });

  it('refuses bad arguments: exit 2, one line, nothing written', () => {
    const was = snapshot(copy);
    const cases: Array<[string[], RegExp]> = [
      [[], /expected a code and a slug, got 0 arguments/],
      [['BGS098'], /expected a code and a slug, got 1 argument /],
      [['BGS98', 'fine-name'], /the code must be BGS and three digits.*got 'BGS98'/],
      [['bgs098', 'fine-name'], /the code must be BGS and three digits/],
      [['BGS001', 'fine-name'], /BGS001 is already used by gpu-in-background/],
      // Used only in the copy: --root is where the codes come from.
      [['BGS099', 'fine-name'], /BGS099 is already used by test-rule/],
      [['BGS098', 'test-rule'], /the slug 'test-rule' is already used by BGS099/],
      [['BGS098', 'Not_Kebab'], /the slug must be kebab-case.*got 'Not_Kebab'/],
      [['BGS098', 'fine-', 'x'], /expected a code and a slug, got 3 arguments/],
      [['BGS098', 'fine-'], /the slug must be kebab-case/],
      [['BGS098', 'delete'], /reserved word/],
      [['BGS098', 'fine-name', '--frob'], /Unknown option '--frob'/],
    ];
    for (const [args, message] of cases) {
      const r = run(process.execPath, [script, ...args, '--root', copy], copy);
      assert.equal(r.status, 2, `${args.join(' ')}: exit code (stderr: ${r.stderr})`);
      assert.match(r.stderr, message, args.join(' '));
      assert.match(r.stderr, /^new-rule: [^\n]+\n$/, `${args.join(' ')}: one line`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const noRoot = run(process.execPath, [script, 'BGS098', 'fine-name', '--root', path.join(copy, 'nowhere')], copy);
    assert.equal(noRoot.status, 2);
    assert.match(noRoot.stderr, /^new-rule: --root .*nowhere is not a bgsafe checkout/);
    assert.deepEqual(changes(was, snapshot(copy)), { added: [], changed: [], removed: [] });
  });

  it('with --root, puts a code between others in code order', () => {
    const r = run(process.execPath, [script, 'BGS050', 'mid-rule', '--root', copy], repoRoot);
    assert.equal(r.status, 0, r.stderr);
    const index = readFileSync(path.join(copy, 'rules', 'index.ts'), 'utf8');
    const last = lastRule(readFileSync(path.join(repoRoot, 'rules', 'index.ts'), 'utf8'), readFileSync(path.join(repoRoot, 'README.md'), 'utf8'));
    assert.ok(index.includes(`${last.importLine}\nimport { midRule } from './mid-rule.js';\nimport { testRule }`));
    assert.ok(index.includes(`  ${last.name},\n  midRule,\n  testRule,\n];`));
    assert.match(readFileSync(path.join(copy, 'README.md'), 'utf8'), new RegExp(`\\| ${last.code} .*\\n\\| BGS050 \\| \`mid-rule\` .*\\n\\| BGS099 `));
    assert.deepEqual(readdirSync(path.join(copy, 'fixtures', 'BGS050-mid-rule')).sort(), ['example.input.py', 'example.output.py', 'leave_alone.input.py']);
  });
});

/** The last rule of the table as the checkout has it (the one a new rule with a higher code goes after): its
 *  import line and name in rules/index.ts and its code in the README, so adding a rule does not break this test. */
function lastRule(index: string, readme: string): { importLine: string; name: string; code: string } {
  const imports = [...index.matchAll(/^import \{ (\w+) \} from '\.\/[\w/.-]+';$/gm)];
  const rows = [...readme.matchAll(/^\| (BGS\d{3}) \|/gm)];
  const lastImport = imports[imports.length - 1];
  return { importLine: lastImport[0], name: lastImport[1], code: rows[rows.length - 1][1] };
}
