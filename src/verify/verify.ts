// `bgsafe verify`: run each add-on in real Blender, headless, the two ways a render node or CI job meets it
// (enabled at start-up from saved preferences; enabled from a script), disable and enable it again, run the
// user's --script, and report what failed with the add-on's own file:line and the rule that covers it.
//
// Isolation: every Blender run gets $BLENDER_USER_{RESOURCES,CONFIG,SCRIPTS,DATAFILES,EXTENSIONS},
// $TMPDIR and $XDG_CACHE_HOME inside a fresh temporary folder, so the user's preferences, add-ons and ~/.config/blender are
// never read or written; the add-on is copied into <tmp>/<case>/scripts/addons/. Blender gets the caller's
// environment less its virtualenv/pyenv/conda Python (src/child-env.ts), so Blender's Python keeps its prefix.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allRules } from '../../rules/index.js';
import { VERSION } from '../version.js';
import { blenderChildEnv } from '../child-env.js';
import { AddonPathError, resolveAddon, stageAddon, userPath, userRoot, type AddonSource } from './addon.js';
import { findBlender, killAllRuns, Pool, runBlender, type RunResult } from './blender.js';
import { DRIVER_MARKER, DRIVER_PY } from './driver.js';
import { ownFrame, parseBlenderVersion, parseCrashLog, parseTracebacks } from './traceback.js';
import {
  VerifyUsageError,
  type AddonReport,
  type PythonError,
  type VerifyCase,
  type VerifyFailure,
  type VerifyOptions,
  type VerifyReport,
  type VerifyStep,
  type VerifyRule,
} from './types.js';

export const DEFAULT_TIMEOUT_S = 60;

interface DriverEvent {
  event: 'start' | 'begin' | 'end' | 'done' | 'internal-error';
  step?: VerifyStep;
  ok?: boolean;
  state?: [boolean, boolean] | null;
  errors?: PythonError[];
  note?: string | null;
  version?: string;
  error?: PythonError;
}

interface Ctx {
  blender: string;
  timeoutMs: number;
  script?: string;
  pool: Pool;
  rules: NonNullable<VerifyOptions['rules']>;
  keepTemp: boolean;
  /** Blender's environment: the caller's less its Python environments (src/child-env.ts). */
  env: NodeJS.ProcessEnv;
}

/** Verify every add-on; user errors (bad path, no Blender, bad option) throw VerifyUsageError before any run. */
export async function verifyAddons(paths: string[], options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = Date.now();
  const env = options.env ?? process.env;
  if (paths.length === 0) throw new VerifyUsageError('no add-on given');
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_S;
  if (!(timeout > 0)) throw new VerifyUsageError(`--timeout must be a positive number of seconds, not ${timeout}`);
  const jobs = options.jobs ?? os.availableParallelism();
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new VerifyUsageError(`--jobs must be a whole number ≥ 1, not ${jobs}`);
  let script: string | undefined;
  if (options.script !== undefined) {
    script = path.resolve(options.script);
    if (!fs.existsSync(script) || !fs.statSync(script).isFile()) {
      throw new VerifyUsageError(`--script ${options.script}: no such file`);
    }
  }
  const sources: AddonSource[] = [];
  const bad: string[] = [];
  for (const p of paths) {
    try {
      sources.push(resolveAddon(p));
    } catch (e) {
      if (e instanceof AddonPathError) bad.push(e.message);
      else throw e;
    }
  }
  if (bad.length > 0) throw new VerifyUsageError(bad.join('\n'));
  const blender = findBlender(options.blender, env);

  const ctx: Ctx = {
    blender,
    timeoutMs: timeout * 1000,
    script,
    pool: new Pool(jobs),
    rules: options.rules ?? allRules,
    keepTemp: options.keepTemp ?? false,
    // Not the caller's virtualenv/pyenv/conda Python: Blender's Python would take its prefix from it.
    env: blenderChildEnv(env).env,
  };
  const addons = await Promise.all(sources.map((s) => verifyOne(s, ctx)));
  const status = addons.some((a) => a.status === 'error') ? 'error' : addons.some((a) => a.status === 'fail') ? 'fail' : 'pass';
  return {
    version: 1,
    tool: { name: 'bgsafe', version: VERSION },
    blender: { path: blender, version: addons.find((a) => a.blenderVersion)?.blenderVersion },
    status,
    addons,
    durationMs: Date.now() - started,
  };
}

/** Temporary folders of add-ons being verified, for abortAll. */
const liveTemps = new Set<string>();

/** On SIGINT/SIGTERM: kill every Blender run and remove the temporary folders (synchronously). */
export function abortAll(): void {
  killAllRuns();
  for (const d of liveTemps) fs.rmSync(d, { recursive: true, force: true });
  liveTemps.clear();
}

/** Exit code for a report: 0 all passed, 1 any failed, 2 any could not be verified. */
export function exitCodeFor(report: VerifyReport): 0 | 1 | 2 {
  return report.status === 'pass' ? 0 : report.status === 'fail' ? 1 : 2;
}

async function verifyOne(src: AddonSource, ctx: Ctx): Promise<AddonReport> {
  const started = Date.now();
  const report: AddonReport = { path: src.arg, module: src.module, kind: src.kind, status: 'pass', passed: [], failures: [], durationMs: 0 };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `bgsafe-verify-${src.module}-`));
  if (!ctx.keepTemp) liveTemps.add(tmp);
  try {
    fs.writeFileSync(path.join(tmp, 'driver.py'), DRIVER_PY);
    const cases: VerifyCase[] = ['startup', 'script'];
    const outcomes = await Promise.all(cases.map((c) => runCase(src, c, tmp, ctx)));
    for (const o of outcomes) {
      report.passed.push(...o.passed);
      report.failures.push(...o.failures);
      report.blenderVersion ??= o.version;
      if (o.error && !report.error) report.error = o.error;
    }
    report.status = report.error ? 'error' : report.failures.length > 0 ? 'fail' : 'pass';
  } catch (e) {
    report.status = 'error';
    report.error = `${src.arg}: ${(e as Error).message}`;
  } finally {
    if (ctx.keepTemp) process.stderr.write(`bgsafe verify: kept ${tmp}\n`);
    else {
      fs.rmSync(tmp, { recursive: true, force: true });
      liveTemps.delete(tmp);
    }
  }
  report.durationMs = Date.now() - started;
  return report;
}

interface CaseOutcome {
  passed: Array<{ case: VerifyCase; step: VerifyStep }>;
  failures: VerifyFailure[];
  version?: string;
  /** Could not run at all. */
  error?: string;
}

interface CaseDirs {
  root: string;
  addons: string;
  installed: string;
  env: NodeJS.ProcessEnv;
}

function prepareCase(src: AddonSource, c: VerifyCase, tmp: string, ctx: Ctx): CaseDirs {
  const root = path.join(tmp, c);
  const user = path.join(root, 'user');
  const dirs = {
    BLENDER_USER_RESOURCES: user,
    BLENDER_USER_CONFIG: path.join(user, 'config'),
    BLENDER_USER_SCRIPTS: path.join(user, 'scripts'),
    BLENDER_USER_DATAFILES: path.join(user, 'datafiles'),
    BLENDER_USER_EXTENSIONS: path.join(user, 'extensions'),
    TMPDIR: path.join(root, 'tmp'),
    // Blender creates $XDG_CACHE_HOME/thumbnails (else ~/.cache/thumbnails) at start-up.
    XDG_CACHE_HOME: path.join(root, 'cache'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  const addons = path.join(dirs.BLENDER_USER_SCRIPTS, 'addons');
  const installed = stageAddon(src, addons);
  const env: NodeJS.ProcessEnv = { ...ctx.env, ...dirs, TMP: dirs.TMPDIR, TEMP: dirs.TMPDIR };
  return { root, addons, installed, env };
}

async function driverRun(mode: 'prep' | VerifyCase, dirs: CaseDirs, src: AddonSource, tmp: string, ctx: Ctx) {
  const events = path.join(dirs.root, `${mode}.events.jsonl`);
  const job = path.join(dirs.root, `${mode}.job.json`);
  fs.writeFileSync(job, JSON.stringify({ mode, module: src.module, events, marker: DRIVER_MARKER, script: ctx.script ?? null }));
  const args = ['-b', ...(mode === 'startup' ? [] : ['--factory-startup']), '-noaudio', '--python', path.join(tmp, 'driver.py')];
  // The preferences run never runs the add-on's code: a short --timeout meant for the add-on must not
  // cut it off on a busy machine.
  const timeoutMs = mode === 'prep' ? Math.max(ctx.timeoutMs, DEFAULT_TIMEOUT_S * 1000) : ctx.timeoutMs;
  const result = await ctx.pool.run(() =>
    runBlender(ctx.blender, args, { env: { ...dirs.env, BGSAFE_VERIFY_JOB: job }, cwd: process.cwd(), timeoutMs }),
  );
  return { result, events: readEvents(events) };
}

function readEvents(file: string): DriverEvent[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: DriverEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as DriverEvent);
    } catch {
      // a line cut short by a crash
    }
  }
  return out;
}

async function runCase(src: AddonSource, c: VerifyCase, tmp: string, ctx: Ctx): Promise<CaseOutcome> {
  const dirs = prepareCase(src, c, tmp, ctx);
  if (c === 'startup') {
    // Write preferences with the add-on enabled, without running its code (prefs.addons.new(), then
    // wm.save_userpref()), so the next start enables it from them.
    const prep = await driverRun('prep', dirs, src, tmp, ctx);
    const ok = prep.events.some((e) => e.event === 'end' && e.step === 'prep' && e.ok);
    if (!ok || !fs.existsSync(path.join(dirs.env.BLENDER_USER_CONFIG!, 'userpref.blend'))) {
      return { passed: [], failures: [], version: versionOf(prep), error: couldNotRun(ctx.blender, prep.result, 'writing the preferences') };
    }
  }
  const run = await driverRun(c, dirs, src, tmp, ctx);
  // Not Blender at all (or it would not start): no driver, no "Blender x.y.z" line, no signal, no hang.
  const r = run.result;
  if (r.spawnError || (!run.events.some((e) => e.event === 'start') && !r.timedOut && r.signal === null && !looksLikeBlender(r))) {
    return { passed: [], failures: [], error: couldNotRun(ctx.blender, run.result, 'starting') };
  }
  return interpret(src, c, dirs, run.result, run.events, ctx);
}

function looksLikeBlender(r: RunResult): boolean {
  return parseBlenderVersion(r.stdout) !== undefined;
}

function versionOf(run: { result: RunResult; events: DriverEvent[] }): string | undefined {
  return run.events.find((e) => e.event === 'start')?.version ?? parseBlenderVersion(run.result.stdout);
}

function couldNotRun(blender: string, r: RunResult, doing: string): string {
  const why = r.spawnError
    ? r.spawnError
    : r.timedOut
      ? 'timed out'
      : r.signal
        ? `killed by ${r.signal}`
        : r.code === 0
          ? 'it exited without running the --python driver (is it Blender?)'
          : `exit code ${r.code}`;
  const tail = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
  return `could not run Blender (${blender}) ${doing}: ${why}${tail ? ` — ${tail}` : ''}`;
}

function interpret(src: AddonSource, c: VerifyCase, dirs: CaseDirs, r: RunResult, events: DriverEvent[], ctx: Ctx): CaseOutcome {
  const out: CaseOutcome = { passed: [], failures: [], version: versionOf({ result: r, events }) };
  const [beforeMarker, afterMarker] = splitAt(r.stderr, DRIVER_MARKER);
  let lastBegun: VerifyStep | undefined;
  let done = false;
  for (const e of events) {
    if (e.event === 'begin') lastBegun = e.step;
    if (e.event === 'done') done = true;
    if (e.event === 'internal-error' && e.error) {
      out.failures.push({ case: c, step: lastBegun ?? 'enable', kind: 'internal', message: `bgsafe's driver failed: ${e.error.type}: ${e.error.message}`, traceback: e.error.text });
    }
    if (e.event !== 'end' || !e.step) continue;
    lastBegun = undefined;
    if (e.ok) {
      out.passed.push({ case: c, step: e.step });
      continue;
    }
    let errors = e.errors ?? [];
    if (e.step === 'startup' && errors.length === 0) errors = startupErrors(beforeMarker, dirs.installed);
    if (errors.length > 0) {
      out.failures.push(...errors.map((err) => exceptionFailure(src, c, e.step!, err, dirs, ctx)));
    } else {
      const expect = e.step === 'disable' ? 'still enabled after addon_utils.disable' : 'not enabled';
      out.failures.push({
        case: c,
        step: e.step,
        kind: 'not-enabled',
        message: `${expect} (addon_utils.check: ${JSON.stringify(e.state)})${e.note ? `: ${e.note}` : ''}`,
      });
    }
  }
  const started = events.some((e) => e.event === 'start');
  // Where the run was when it stopped: a step begun and not ended; before the driver, the start-up itself.
  const step: VerifyStep = lastBegun ?? (done ? 'quit' : !started ? (c === 'startup' ? 'startup' : 'enable') : 'quit');
  if (r.timedOut) {
    out.failures.push({
      case: c,
      step,
      kind: 'hang',
      message: `no answer after ${ctx.timeoutMs / 1000} s ${stepPhrase(step)}; Blender was killed`,
    });
  } else if (r.signal !== null || r.code !== 0 || !done) {
    const crashLog = readCrashLog(path.join(dirs.root, 'tmp'));
    const frames = crashLog ? parseCrashLog(crashLog) : [];
    const own = ownFrame(frames, dirs.installed);
    const lastError = parseTracebacks(started ? afterMarker : beforeMarker).pop();
    // SIGKILL is never Blender's own doing (bgsafe kills only on --timeout, reported as a hang above): the
    // OOM killer, a farm's supervisor or a user killed it, and the add-on may be fine; say so, not "crashed".
    const how = r.signal === 'SIGKILL'
      ? 'was killed from outside (SIGKILL: the kernel\'s out-of-memory killer, a supervisor or a user; not a crash of its own, run again to judge the add-on)'
      : r.signal ? `crashed (${r.signal})` : r.code !== 0 ? `exited with code ${r.code}` : 'exited before the checks finished';
    out.failures.push({
      case: c,
      step,
      kind: 'crash',
      message: `Blender ${how} ${stepPhrase(step)}${lastError ? `; last Python error: ${lastError.type}: ${lastError.message}` : ''}`,
      ...(own ? { location: { ...own, file: userPath(src, dirs.installed, own.file), code: sourceLine(own.file, own.line) } } : {}),
      traceback: (frames.length > 0 ? frames.map((f) => `  File "${f.file}", line ${f.line} in ${f.function}`).join('\n') : lastError?.text)
        ?.split(dirs.installed)
        .join(userRoot(src)),
      ...(r.signal ? { signal: r.signal } : { exitCode: r.code ?? undefined }),
    });
  }
  return out;
}

function stepPhrase(step: VerifyStep): string {
  switch (step) {
    case 'startup':
      return 'while enabling the add-on at start-up';
    case 'enable':
      return 'in addon_utils.enable';
    case 're-enable':
      return 'in addon_utils.enable (after disabling)';
    case 'disable':
      return 'in addon_utils.disable';
    case 'script':
      return 'in the --script';
    case 'quit':
      return 'while quitting (a thread or handler the add-on left running?)';
    default:
      return `in ${step}`;
  }
}

/** The start-up failure's traceback: the one naming the add-on's files, else the last one. */
function startupErrors(stderr: string, installed: string): PythonError[] {
  const all = parseTracebacks(stderr);
  const own = all.filter((e) => ownFrame(e.frames, installed));
  return own.length > 0 ? own.slice(-1) : all.slice(-1);
}

function exceptionFailure(src: AddonSource, c: VerifyCase, step: VerifyStep, err: PythonError, dirs: CaseDirs, ctx: Ctx): VerifyFailure {
  const line = err.message ? `${err.type}: ${err.message}` : err.type;
  // The add-on's own innermost frame; for the --script, else the script's own.
  const own = ownFrame(err.frames, dirs.installed) ?? (step === 'script' && ctx.script ? ownFrame(err.frames, ctx.script) : undefined);
  const rule = ruleFor(line, ctx.rules, err.text);
  const f: VerifyFailure = {
    case: c,
    step,
    kind: 'exception',
    message: line,
    exception: { type: err.type, message: err.message },
    traceback: err.text.split(dirs.installed).join(userRoot(src)),
  };
  if (own) {
    const inAddon = ownFrame([own], dirs.installed) !== undefined;
    f.location = { ...own, file: inAddon ? userPath(src, dirs.installed, own.file) : own.file };
  }
  if (rule) {
    f.rule = { code: rule.code, slug: rule.slug };
    f.fix = fixCommand(rule, src.kind === 'zip' ? '<folder>' : src.arg, src.kind === 'zip' ? src.arg : undefined);
  }
  return f;
}


/** What to run for a failure a rule covers: `--unsafe-fixes` for an unsafe fix, `--select` for a rule
 *  that is off by default, and `bgsafe explain` for a rule that only reports. */
export function fixCommand(rule: VerifyRule, target: string, zip?: string): string {
  if (rule.fixKind === 'report-only') return `no automatic fix: see \`bgsafe explain ${rule.code}\` and change the code by hand`;
  const flags = [rule.fixKind === 'unsafe' ? '--unsafe-fixes' : '', rule.defaultEnabled === false ? `--select ${rule.code}` : ''].filter(Boolean);
  const cmd = ['bgsafe --write', ...flags, target].join(' ');
  return zip ? `unzip ${zip} and run: ${cmd}` : cmd;
}

/** The first rule one of whose errorPatterns matches `exceptionLine` (`Type: message`); rules with
 *  errorFrames first, each only where one of them also matches the `traceback`. */
export function ruleFor<R extends { errorPatterns?: RegExp[]; errorFrames?: RegExp[] }>(
  exceptionLine: string,
  rules: readonly R[],
  traceback = '',
): R | undefined {
  const matches = (patterns: RegExp[] | undefined, text: string): boolean => !!patterns?.some((p) => {
    p.lastIndex = 0; // a /g pattern remembers where it stopped
    return p.test(text);
  });
  const framed = rules.find((t) => t.errorFrames && matches(t.errorPatterns, exceptionLine) && matches(t.errorFrames, traceback));
  return framed ?? rules.find((t) => !t.errorFrames && matches(t.errorPatterns, exceptionLine));
}

/** Line `n` of `file` (the crash log has no source lines), trimmed; '' when unreadable. */
function sourceLine(file: string, n: number): string {
  try {
    return (fs.readFileSync(file, 'utf8').split(/\r?\n/)[n - 1] ?? '').trim();
  } catch {
    return '';
  }
}

function splitAt(text: string, marker: string): [string, string] {
  const i = text.indexOf(marker);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + marker.length)];
}

function readCrashLog(tmpdir: string): string | undefined {
  try {
    const f = fs.readdirSync(tmpdir).find((n) => n.endsWith('.crash.txt'));
    return f ? fs.readFileSync(path.join(tmpdir, f), 'utf8') : undefined;
  } catch {
    return undefined;
  }
}
