// `npm run new-rule -- BGS0NN slug [--root DIR]`: adds a rule, in the style of Ruff's scripts/add_rule.py.
// It writes rules/<slug>.ts from scripts/templates/rule.ts.txt (a working placeholder rule with TODOs),
// fixtures/<CODE>-<slug>/ with a rewrite case (example) and a must-not-change case (leave_alone), adds the
// rule to rules/index.ts in code order and regenerates the README's rule table: nothing else. Every check
// runs before anything is written. Bad arguments exit 2 with one line on stderr; other failures exit 1.
// `--root` (default: this checkout) is the checkout to add the rule to; its dist/ must be built (the npm
// script builds first), since the README table needs the other rules' metadata.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { RuleFixKind } from '../src/types.js';
import { packageRoot } from '../src/version.js';
import { withRuleTable, type RuleRow } from '../src/rules-doc.js';

const USAGE = 'usage: npm run new-rule -- BGS0NN slug [--root DIR]';
const CODE = /^BGS\d{3}$/;
/** Kebab-case starting with a letter (the export name is its camelCase, the placeholder its snake_case). */
const SLUG = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const TEMPLATES = path.join(packageRoot, 'scripts', 'templates');
/** Fixture files written for the new rule: the template's name under scripts/templates/ minus `.txt`. */
const FIXTURE_TEMPLATES = ['example.input.py.txt', 'example.output.py.txt', 'leave_alone.input.py.txt'];
/** Words a camelCase slug must not become: `export const <name>` would not compile. */
const RESERVED = new Set(
  ('break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'yield let static implements interface package private protected public await').split(' '),
);

/** A bad argument: exit 2. */
export class UsageError extends Error {}
/** Anything else that stops the script before it writes: exit 1. */
export class NewRuleError extends Error {}

export interface NewRuleOptions {
  code: string;
  slug: string;
  /** The checkout to add the rule to. */
  root: string;
}

/** A rule as rules/index.ts lists it: its export name, its file (without `.ts`), its code and slug. */
export interface IndexedRule {
  name: string;
  file: string;
  code: string;
  slug: string;
}

export interface Written {
  path: string;
  created: boolean;
}

/** `rules/<slug>.ts`'s export name: `view3d-operator` -> `view3dOperator`. */
export function exportName(slug: string): string {
  return slug.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** The placeholder Python function the template rule finds: `test-rule` -> `test_rule_placeholder`. */
export function placeholderFunction(slug: string): string {
  return `${slug.replace(/-/g, '_')}_placeholder`;
}

/** `{{key}}` in `template` replaced by `vars[key]`; an unknown key is an error in the template. */
export function fillTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    if (!(key in vars)) throw new NewRuleError(`template placeholder {{${key}}} has no value`);
    return vars[key];
  });
}

/** The rules rules/index.ts imports, with each one's code and slug read from its file. */
export function indexedRules(root: string, indexText: string): IndexedRule[] {
  const out: IndexedRule[] = [];
  // A rule is one file (`./slug.js`) or a folder (`./slug/index.js`) where it needs helper modules.
  for (const m of indexText.matchAll(/^import \{ (\w+) \} from '\.\/([\w-]+(?:\/index)?)\.js';\r?$/gm)) {
    const [, name, file] = m;
    const ruleFile = path.join(root, 'rules', `${file}.ts`);
    if (!existsSync(ruleFile)) throw new NewRuleError(`rules/index.ts imports ./${file}.js, but rules/${file}.ts does not exist`);
    const text = readFileSync(ruleFile, 'utf8');
    const code = /^\s*code: '(BGS\d{3})',/m.exec(text)?.[1];
    const slug = /^\s*slug: '([^']+)',/m.exec(text)?.[1];
    if (!code || !slug) throw new NewRuleError(`rules/${file}.ts has no \`code: 'BGS…'\` and \`slug: '…'\` lines`);
    out.push({ name, file, code, slug });
  }
  if (out.length === 0) throw new NewRuleError('rules/index.ts imports no rules (expected lines like `import { name } from \'./slug.js\';`)');
  return out;
}

/** The names rules/index.ts declares or imports at its top level. */
export function topLevelNames(indexText: string): Set<string> {
  const names = new Set<string>();
  for (const m of indexText.matchAll(/^import (?:type )?\{([^}]*)\}/gm)) {
    for (const n of m[1].split(',')) names.add(n.trim().split(/\s+as\s+/).pop()!.replace(/^type\s+/, ''));
  }
  for (const m of indexText.matchAll(/^(?:export )?(?:const|let|var|function|async function|class|type|interface|enum) (\w+)/gm)) names.add(m[1]);
  return names;
}

/** rules/index.ts with `rule` imported and listed in `allRules`, both in code order. */
export function addToIndex(indexText: string, existing: IndexedRule[], rule: IndexedRule): string {
  const nl = indexText.includes('\r\n') ? '\r\n' : '\n';
  const lines = indexText.split(/\r?\n/);
  const codeOf = new Map(existing.map((r) => [r.name, r.code]));
  /** Where `rule` goes among the lines matching `pattern` (group 1: an export name) in [from, to): before
   *  the first of a later code, else after the last; -1 where none matches. */
  const insertAt = (pattern: RegExp, from: number, to: number): number => {
    let last = -1;
    for (let i = from; i < to; i++) {
      const name = pattern.exec(lines[i])?.[1];
      const code = name === undefined ? undefined : codeOf.get(name);
      if (code === undefined) continue;
      if (code > rule.code) return i;
      last = i;
    }
    return last < 0 ? -1 : last + 1;
  };

  const start = lines.findIndex((l) => /^export const allRules\b.*= \[$/.test(l));
  const end = start < 0 ? -1 : lines.findIndex((l, i) => i > start && /^\];$/.test(l));
  if (start < 0 || end < 0) throw new NewRuleError('rules/index.ts has no `export const allRules: Rule[] = [` ... `];` list');
  const entry = /^(\s+)\w+,$/;
  const indent = lines.slice(start + 1, end).map((l) => entry.exec(l)?.[1]).find((s) => s !== undefined) ?? '  ';
  const at = insertAt(/^\s+(\w+),$/, start + 1, end);
  lines.splice(at < 0 ? end : at, 0, `${indent}${rule.name},`);

  const imp = insertAt(/^import \{ (\w+) \} from '\.\/[\w-]+(?:\/index)?\.js';$/, 0, start);
  if (imp < 0) throw new NewRuleError('rules/index.ts: no rule import to put the new one next to');
  lines.splice(imp, 0, `import { ${rule.name} } from './${rule.file}.js';`);
  return lines.join(nl);
}

/** The summary, fix kind and default of the generated rule, as its file states them (the README row). */
export function rowOf(code: string, slug: string, ruleText: string): RuleRow {
  const summary = /^\s*summary: '((?:[^'\\]|\\.)*)',$/m.exec(ruleText)?.[1];
  const fixKind = /^\s*fixKind: '(safe|unsafe|report-only)',$/m.exec(ruleText)?.[1] as RuleFixKind | undefined;
  const enabled = /^\s*defaultEnabled: (true|false),$/m.exec(ruleText)?.[1];
  if (summary === undefined || fixKind === undefined || enabled === undefined) {
    throw new NewRuleError('the rule template has no one-line `summary`, `fixKind` or `defaultEnabled`');
  }
  return { code, slug, summary: summary.replace(/\\(.)/g, '$1'), fixKind, defaultEnabled: enabled === 'true' };
}

/** Parse the command line; throws UsageError. */
export function parseCommandLine(argv: string[]): NewRuleOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { root: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (${USAGE})`);
  }
  if (parsed.values.help) return 'help';
  const args = parsed.positionals;
  if (args.length !== 2) throw new UsageError(`expected a code and a slug, got ${args.length} argument${args.length === 1 ? '' : 's'} (${USAGE})`);
  const [code, slug] = args;
  if (!CODE.test(code)) throw new UsageError(`the code must be BGS and three digits, e.g. BGS015; got '${code}'`);
  if (!SLUG.test(slug)) {
    throw new UsageError(`the slug must be kebab-case (lowercase letters and digits joined by '-', starting with a letter), e.g. mode-set-without-active; got '${slug}'`);
  }
  if (RESERVED.has(exportName(slug))) throw new UsageError(`the slug '${slug}' would make the export \`${exportName(slug)}\`, a reserved word: choose another`);
  const root = path.resolve(parsed.values.root ?? packageRoot);
  if (!existsSync(path.join(root, 'rules', 'index.ts')) || !statSync(root).isDirectory()) {
    throw new UsageError(`--root ${root} is not a bgsafe checkout (no rules/index.ts)`);
  }
  return { code, slug, root };
}

/** Add the rule; returns the files written. Checks everything first, then writes. */
export async function newRule({ code, slug, root }: NewRuleOptions): Promise<Written[]> {
  const indexFile = path.join(root, 'rules', 'index.ts');
  const indexText = readFileSync(indexFile, 'utf8');
  const existing = indexedRules(root, indexText);
  const name = exportName(slug);
  const fixturesDir = path.join(root, 'fixtures');
  const fixtureDirs = existsSync(fixturesDir) ? readdirSync(fixturesDir).filter((d) => /^BGS\d{3}-/.test(d)) : [];

  const byCode = existing.find((r) => r.code === code);
  if (byCode) throw new UsageError(`${code} is already used by ${byCode.slug} (rules/${byCode.file}.ts)`);
  const bySlug = existing.find((r) => r.slug === slug || r.file === slug);
  if (bySlug) throw new UsageError(`the slug '${slug}' is already used by ${bySlug.code} (rules/${bySlug.file}.ts)`);
  const byName = existing.find((r) => r.name === name);
  if (byName) throw new UsageError(`the export name \`${name}\` is already used by ${byName.code} (${byName.slug}): choose another slug`);
  if (topLevelNames(indexText).has(name)) throw new UsageError(`the export name \`${name}\` is already a name in rules/index.ts: choose another slug`);
  const ruleRel = path.join('rules', `${slug}.ts`);
  if (existsSync(path.join(root, ruleRel))) throw new UsageError(`${ruleRel} already exists`);
  const clash = fixtureDirs.find((d) => d.startsWith(`${code}-`) || d.slice(7) === slug);
  if (clash) throw new UsageError(`fixtures/${clash} already exists`);

  // The other rules' metadata for the README table comes from the checkout's build; it must be current.
  const builtIndex = path.join(root, 'dist', 'rules', 'index.js');
  if (!existsSync(builtIndex)) throw new NewRuleError(`${builtIndex} does not exist: build first (npx tsc -p tsconfig.json), or use npm run new-rule`);
  let allRules: RuleRow[];
  try {
    ({ allRules } = (await import(pathToFileURL(builtIndex).href)) as { allRules: RuleRow[] });
  } catch (e) {
    throw new NewRuleError(`cannot load ${builtIndex}: ${(e as Error).message.split('\n')[0]}`);
  }
  const built = new Set(allRules.map((r) => r.code));
  const listed = new Set(existing.map((r) => r.code));
  const missing = [...listed].filter((c) => !built.has(c));
  const extra = [...built].filter((c) => !listed.has(c));
  if (missing.length > 0 || extra.length > 0) {
    const what = [missing.length > 0 && `lacks ${missing.join(', ')}`, extra.length > 0 && `still has ${extra.join(', ')}`].filter(Boolean).join(' and ');
    throw new NewRuleError(`${path.join(root, 'dist')} is out of date (it ${what}): build first (npx tsc -p tsconfig.json)`);
  }

  const vars = { code, slug, name, function: placeholderFunction(slug) };
  const ruleText = fillTemplate(readFileSync(path.join(TEMPLATES, 'rule.ts.txt'), 'utf8'), vars);
  const row = rowOf(code, slug, ruleText);
  const nextIndex = addToIndex(indexText, existing, { name, file: slug, code, slug });
  const readmeFile = path.join(root, 'README.md');
  const readme = readFileSync(readmeFile, 'utf8');
  const rows = [...allRules, row].sort((a, b) => a.code.localeCompare(b.code));
  let nextReadme: string;
  try {
    nextReadme = withRuleTable(readme, rows);
  } catch (e) {
    throw new NewRuleError((e as Error).message);
  }
  const fixtureDir = path.join('fixtures', `${code}-${slug}`);
  const fixtures = FIXTURE_TEMPLATES.map((t) => ({
    rel: path.join(fixtureDir, t.replace(/\.txt$/, '')),
    text: fillTemplate(readFileSync(path.join(TEMPLATES, t), 'utf8'), vars),
  }));

  const written: Written[] = [];
  const write = (rel: string, text: string, created: boolean): void => {
    writeFileSync(path.join(root, rel), text);
    written.push({ path: rel, created });
  };
  write(ruleRel, ruleText, true);
  mkdirSync(path.join(root, fixtureDir), { recursive: true });
  for (const f of fixtures) write(f.rel, f.text, true);
  write(path.join('rules', 'index.ts'), nextIndex, false);
  if (nextReadme !== readme) write('README.md', nextReadme, false);
  return written;
}

async function main(argv: string[]): Promise<number> {
  try {
    const options = parseCommandLine(argv);
    if (options === 'help') {
      process.stdout.write(
        `${USAGE}\n\nAdds a rule: rules/<slug>.ts (a working placeholder with TODOs), fixtures/<CODE>-<slug>/ ` +
          '(a rewrite case and a must-not-change case), its entry in rules/index.ts and its row in the README table.\n' +
          '  --root DIR  the checkout to add it to (default: this one; its dist/ must be built)\n',
      );
      return 0;
    }
    const written = await newRule(options);
    for (const w of written) process.stdout.write(`${w.created ? 'created' : 'updated'} ${w.path}\n`);
    process.stdout.write(
      `\nNext: replace the TODOs in rules/${options.slug}.ts (query, check, fix, docs, messages, prefilter), ` +
        `put real cases in fixtures/${options.code}-${options.slug}/, run \`npm run docs\` once the summary is final, then \`npm test\`.\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof NewRuleError) {
      process.stderr.write(`new-rule: ${e.message}\n`);
      return e instanceof UsageError ? 2 : 1;
    }
    throw e;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
