// The command line. Everything it does goes through the programmatic API (runner.ts); this file parses
// arguments, looks --format up in the reporters table (reporters/index.ts) and sets the exit code:
// 0 fine, 1 --check found something, 2 usage error, missing path, or a file that could not be processed.
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UsageError } from './config.js';
import { FORMATS, reporters, type Format } from './reporters/index.js';
import { formatSummary } from './reporters/summary.js';
import { errorLine } from './reporters/text.js';
import { explainRule, formatRules } from './rules-doc.js';
import { run } from './runner.js';
import { VERSION } from './version.js';
import { verifyCommand } from './verify/index.js';
import { scaffoldCommand } from './scaffold/index.js';
import { mergeCommand } from './merge.js';
import { parseShard, SHARD_RULE } from './shard.js';
import type { CommandModule } from 'yargs';
import { allRules, ruleByCode } from '../rules/index.js';
import { parseTargetSpec, TargetSpecError, type TargetRange } from './versions.js';
import { readFileSync } from 'node:fs';
import { COLOR_MODES, colorEnabled, type ColorMode } from './color.js';
import { progressWanted, startProgress } from './progress.js';
import { TerminalReviewer } from './interactive.js';
import { decodeStdin, fixedBuffer, uncreatedNote } from './stdin.js';

const EPILOG = `Exit codes: 0 nothing to report (or a dry run / --write that went fine); 1 with --check, something would change or a finding was reported; 2 a usage error, a path that does not exist, or a file that could not be processed (every other file is still processed and reported).

Suppress a finding with a comment on its line: "# bgsafe: ignore" or "# bgsafe: ignore[BGS001,BGS002]". Suppressions that silence nothing are listed in the summary.

Configuration: [tool.bgsafe] in the nearest pyproject.toml (searched upward from each file) with select, ignore, unsafe-fixes, exclude, target-blender; command-line flags win.

Blender versions: version-aware fixes emit code for the versions an add-on supports: --target-blender, else target-blender in pyproject.toml, else blender_version_min/max in its blender_manifest.toml, else bl_info["blender"] (a minimum), else 2.80 and later. No version branch where every one of them agrees; a bpy.app.version branch where they differ. The summary and the JSON report (addons[].targetBlender) say which range was used.

Examples:
  bgsafe my_addon/                      dry run: print the diff, nothing is written
  bgsafe my_addon/ | git apply          apply the reviewed diff with git
  bgsafe --write my_addon/              apply the fixes in place
  bgsafe --check addons/*/              for CI: exit 1 if anything would change
  bgsafe --format json addons/ > r.json one JSON report for a whole batch
  bgsafe --shard 2/3 -f json addons/    shard 2 of 3 of a batch, by add-on (for CI matrices)
  bgsafe merge r1.json r2.json r3.json  the shards' reports joined: the whole batch's summary
  bgsafe -i my_addon/                   review each fix (y/n/a/q) and write the accepted ones
  bgsafe --stdin-filename my_addon/ops.py < buf.py      diff of an editor's buffer
  bgsafe -w -q --stdin-filename my_addon/ops.py < buf.py the fixed buffer on stdout (nothing written)
  bgsafe rules                          list the rules
  bgsafe explain BGS001                 one rule's documentation
  bgsafe verify my_addon/               run the add-on in real headless Blender (see bgsafe verify --help)
  bgsafe scaffold service my_addon/     write a launcher that keeps a service add-on running headless`;

/** --target-blender's range; a bad spec is a usage error (exit 2) that says what is expected. */
function targetOption(v: unknown): TargetRange | undefined {
  if (v === undefined) return undefined;
  const spec = Array.isArray(v) ? String(v[v.length - 1]) : String(v);
  try {
    return parseTargetSpec(spec, 'flag');
  } catch (e) {
    if (e instanceof TargetSpecError) throw new UsageError(`--target-blender: ${e.message}`);
    throw e;
  }
}

function list(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const arr = Array.isArray(v) ? v : [v];
  return arr.flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter(Boolean);
}

async function main(argv: string[]): Promise<number> {
  let exit = 0;
  const parser = yargs(argv)
    .scriptName('bgsafe')
    .usage('$0 [paths..]\n\nFind and fix Blender add-on code that breaks under `blender --background`.\nBy default a dry run: the unified diff of every change goes to stdout, a summary to stderr.')
    .command(
      '$0 [paths..]',
      'check files and folders (a dry run unless --write)',
      (y: Argv) =>
        y
          .positional('paths', { type: 'string', array: true, describe: 'Python files or folders (searched for *.py; .git, __pycache__, virtualenvs and node_modules are skipped). Default: .' })
          .option('write', { alias: 'w', type: 'boolean', default: false, describe: 'apply the fixes in place (atomic: temporary file, then rename; file mode kept)' })
          .option('allow-dirty', { type: 'boolean', default: false, describe: 'with --write inside a git work tree: also write files that have uncommitted changes (otherwise --write refuses, exit 2, and names them)' })
          .option('check', { type: 'boolean', default: false, describe: 'exit 1 when anything would change or any finding is reported (for CI and pre-commit)' })
          .option('format', { alias: 'f', choices: FORMATS, default: 'diff' as Format, describe: 'stdout: diff (unified diff, a/ b/ headers), text (one line per finding, [*] when its fix is applied), json (schema/report.schema.json), sarif (SARIF 2.1.0 for code scanning), github (GitHub Actions annotations: ::warning file=…,line=…::)' })
          .option('select', { type: 'string', describe: 'only these rules: codes, slugs or prefixes, comma-separated or repeated (ALL for every rule, also those off by default)' })
          .option('ignore', { type: 'string', describe: 'leave out these rules: codes, slugs or prefixes' })
          .option('unsafe-fixes', { type: 'boolean', describe: 'also apply fixes marked unsafe (otherwise they are reported as available)' })
          .option('exclude', { type: 'string', describe: 'glob patterns of files or folders to skip, relative to the current folder' })
          .option('target-blender', { type: 'string', describe: 'the Blender versions fixes are for, instead of what each add-on declares: 4.2 (4.2 and later), 4.2-4.5 (4.2 up to 4.5), -3.6 (up to 3.6)' })
          .option('config', { type: 'boolean', default: true, describe: 'read [tool.bgsafe] from pyproject.toml (--no-config to ignore it)' })
          .option('jobs', { alias: 'j', type: 'number', describe: 'threads for a large batch (default: the number of cores); 1 runs in one thread' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no summary on stderr (errors are still printed)' })
          .option('shard', { type: 'string', describe: SHARD_RULE })
          .option('color', { choices: COLOR_MODES, default: 'auto' as ColorMode, coerce: (v: unknown) => (v === false ? 'never' : v === true ? 'always' : v), describe: 'colour the diff and text output: auto (when stdout is a terminal; FORCE_COLOR, NO_COLOR are honoured), always, never' })
          .option('progress', { type: 'boolean', default: true, describe: 'show files done / total, rate and add-on on stderr while a batch runs (only on a terminal, after half a second; never with --quiet; --no-progress to turn off)' })
          .option('interactive', { alias: 'i', type: 'boolean', default: false, describe: 'review each fix on the terminal (its hunk, then y apply / n skip / a all of this rule / q quit) and write the accepted ones (implies --write); a skipped fix stays skipped in later passes' })
          .option('stdin-filename', { type: 'string', describe: 'read the file to check from stdin, as if it were PATH (config, add-on and versions from PATH, which need not exist); prints its diff, or with --write the fixed text; writes nothing to disk' }),
      async (args) => {
        const format = args.format as Format;
        const paths = (args.paths as string[] | undefined) ?? [];
        const interactive = args.interactive as boolean;
        const stdinName = args['stdin-filename'] as string | undefined;
        if (stdinName !== undefined && (paths.length > 0 || interactive)) throw new UsageError(`--stdin-filename takes no other paths${interactive ? ' and no --interactive' : ''}`);
        if (stdinName !== undefined && (args.write as boolean) && format !== 'diff') throw new UsageError('--stdin-filename with --write prints the fixed text; --format is for the dry run (leave out --write)');
        if (interactive && !(process.stdin.isTTY && process.stderr.isTTY)) throw new UsageError('--interactive needs a terminal: stdin and stderr must be a tty');
        const stdin = stdinName === undefined ? undefined : decodeStdin(readFileSync(0));
        const reviewer = interactive ? new TerminalReviewer(process.stdin, process.stderr, colorEnabled(args.color as ColorMode, process.stderr)) : undefined;
        const progress = startProgress(stdin === undefined && progressWanted({ quiet: args.quiet as boolean, progress: args.progress as boolean, interactive }));
        const report = await run({
          paths: stdinName !== undefined ? [stdinName] : paths.length > 0 ? paths : ['.'],
          write: (args.write as boolean) || interactive,
          onProgress: (e) => progress.update(e),
          review: reviewer,
          stdin,
          select: list(args.select),
          ignore: list(args.ignore),
          unsafeFixes: args['unsafe-fixes'] as boolean | undefined,
          exclude: list(args.exclude),
          config: args.config as boolean,
          jobs: args.jobs === undefined ? undefined : Math.max(1, Math.floor(args.jobs as number)),
          targetBlender: targetOption(args['target-blender']),
          allowDirty: args['allow-dirty'] as boolean,
          onWait: (m) => process.stderr.write(`bgsafe: ${m}\n`),
          shard: args.shard === undefined ? undefined : parseShard(String(args.shard)),
        }).finally(() => {
          progress.stop();
          reviewer?.close();
        });
        const mode = { write: (args.write as boolean) || interactive, check: args.check as boolean };
        const reporter = reporters[format];
        const color = colorEnabled(args.color as ColorMode, process.stdout);
        // --stdin-filename --write: the fixed buffer is the output (and nothing was written to disk).
        if (stdin && mode.write) process.stdout.write(fixedBuffer(report, stdin));
        else process.stdout.write(reporter.stdout(report, { ...mode, write: mode.write && !stdin, toolVersion: VERSION, rules: allRules, color }));
        if (reviewer && !args.quiet) process.stderr.write(`review: ${reviewer.applied} fix${reviewer.applied === 1 ? '' : 'es'} accepted, ${reviewer.skipped} skipped\n`);
        if (stdin && mode.write) process.stderr.write(uncreatedNote(report, stdinName!));
        if (reporter.summaryToStderr || (stdin && mode.write)) {
          // --quiet drops the summary, never the errors: they are the reason for exit code 2.
          if (!args.quiet) process.stderr.write(formatSummary(report, { write: mode.write && !stdin, format }));
          else for (const e of report.errors) process.stderr.write(`${errorLine(e)}\n`);
        }
        if (report.errors.length > 0) exit = 2;
        else if (mode.check) {
          const remaining = mode.write ? report.files.some((f) => f.findings.some((x) => x.fixStatus !== 'applied')) : report.summary.findings > 0 || report.summary.filesChanged > 0;
          if (remaining) exit = 1;
        }
      },
    )
    .command(
      'rules',
      'list the rules: code, slug, fix safety, on by default, summary',
      (y: Argv) => y.option('format', { choices: ['text', 'json'], default: 'text' }),
      (args) => {
        if (args.format === 'json') {
          const rows = allRules.map((t) => ({ code: t.code, slug: t.slug, summary: t.summary, fix: t.fixKind, defaultEnabled: t.defaultEnabled }));
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        } else process.stdout.write(formatRules(allRules));
      },
    )
    .command(
      'explain <rule>',
      "print one rule's documentation (by code or slug)",
      (y: Argv) => y.positional('rule', { type: 'string', describe: 'a rule code (BGS001) or slug' }),
      (args) => {
        const t = ruleByCode(String(args.rule));
        if (!t) throw new UsageError(`unknown rule "${String(args.rule)}" (see \`bgsafe rules\`)`);
        process.stdout.write(explainRule(t));
      },
    )
    .command(verifyCommand as unknown as CommandModule)
    .command(scaffoldCommand as unknown as CommandModule)
    .command(mergeCommand as unknown as CommandModule)
    .strict()
    .epilog(EPILOG)
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });
  await parser.parseAsync();
  return exit;
}

// A reader that stops early (`bgsafe addons/ | head`) closes stdout: finish quietly, as git and grep do.
// Nothing is lost: a dry run writes no file, and --write prints no diff.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  throw e;
});

main(hideBin(process.argv)).then(
  (code) => {
    if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError || (e instanceof Error && e.name === 'YError')) {
      process.stderr.write(`bgsafe: ${e.message}\nRun \`bgsafe --help\` for usage.\n`);
    } else {
      const err = e as Error;
      process.stderr.write(`bgsafe: internal error: ${err?.message ?? String(e)}\nPlease report it${process.env.BGSAFE_DEBUG ? '' : ' (set BGSAFE_DEBUG=1 for the stack trace)'}.\n`);
      if (process.env.BGSAFE_DEBUG) process.stderr.write(`${err?.stack}\n`);
    }
    process.exitCode = 2;
  },
);
