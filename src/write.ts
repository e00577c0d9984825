// Stage write: with --write, each changed file replaces its original atomically (if the original did not
// change on disk meanwhile), and the new files that applied fixes asked for are created, never over an
// existing file. A .zip add-on is rewritten as a whole: a new archive beside it, renamed over it (zip.ts
// keeps every unchanged entry byte for byte). In a dry run the created files are only reported.
//
// What can go wrong while writing, and what then holds:
// - before anything is written, inside a git work tree, a file to change or create with uncommitted
//   changes refuses the whole write (git-guard.ts), unless --allow-dirty;
// - a full disk, a read-only folder, a permission: that file is not written (its temporary file is
//   removed), the error names it, every other file is still written;
// - a file (or archive) changed on disk since it was read: not written, reported;
// - SIGINT / SIGTERM while writing: the file being written is finished (or its temporary file removed), no
//   other file is started, the run reports what was written and exits 130 / 143; a second signal removes
//   the temporary file at once and ends the process. Every file is either as it was or fixed.
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as path from 'node:path';
import type { DiscoveredFile } from './discover.js';
import { checkDirty, DIRTY_HINT } from './git-guard.js';
import { encodeSource, type DecodedSource } from './read.js';
import { displayPath, emptyReport, type FileReport } from './report.js';
import type { FileError } from './types.js';
import { extractZipEntry, readZip, rewriteZip, type ZipAddition } from './zip.js';

/** Temporary files that exist right now (removed on a second signal). */
const liveTemps = new Set<string>();

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.bgsafe-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Write atomically: a temporary file in the same folder, the original's mode, then rename over it.
 *  `unchanged`, when given, is asked right before the rename whether the original is still as read. */
export async function writeAtomic(file: string, data: Buffer, unchanged?: () => Promise<boolean>): Promise<void> {
  const st = await fs.stat(file);
  const tmp = tempName(file);
  liveTemps.add(tmp);
  try {
    const handle = await fs.open(tmp, 'wx', st.mode & 0o7777);
    try {
      await handle.writeFile(data);
      await handle.chmod(st.mode & 0o7777);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await testPauseBeforeRename();
    if (unchanged && !(await unchanged())) throw changedError();
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  } finally {
    liveTemps.delete(tmp);
  }
}

/** Create a new file atomically and never over an existing one: write a temporary file, then hard-link
 *  it into place (which fails if the name exists), then remove the temporary name. */
export async function createAtomic(file: string, data: Buffer, mode = 0o644): Promise<void> {
  const tmp = tempName(file);
  liveTemps.add(tmp);
  try {
    await fs.writeFile(tmp, data, { flag: 'wx', mode });
    await fs.link(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
    liveTemps.delete(tmp);
  }
}

function changedError(): Error {
  return Object.assign(new Error('the file changed on disk while bgsafe ran (left as it is now); run bgsafe again'), { code: 'CHANGED' });
}

const WORDS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'a file of that name appeared meanwhile',
  ENOENT: 'the file or its folder is gone',
};

/** Why a write failed, in words, with the system's code. */
function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'CHANGED') return err.message;
  if (err.code && WORDS[err.code]) return `${WORDS[err.code]} (${err.code}); the file is as it was`;
  return err.code ?? err.message;
}

/** How a changed file was read: what writing it back needs besides its fixed text. */
export interface WriteBack {
  encoding: Omit<DecodedSource, 'text'>;
  mtimeMs?: number;
}

/** Write one changed file (not in a .zip) over it; sets `written`, or adds the reason it was not written. */
export async function writeFixed(fr: FileReport, f: DiscoveredFile, how: WriteBack): Promise<void> {
  const still = async (): Promise<boolean> => (await fs.stat(f.absPath)).mtimeMs === how.mtimeMs;
  try {
    if (!(await still())) throw changedError();
    await writeAtomic(f.absPath, encodeSource(fr.output, how.encoding), still);
    fr.written = true;
  } catch (e) {
    fr.errors.push({ path: fr.path, kind: 'write', message: `not written: ${reason(e)}` });
  }
}

/** A file that fixes asked for, and where it goes. */
interface Planned {
  fr: FileReport;
  /** The files whose fixes asked for it: it is created when one of them is written. */
  askers: FileReport[];
  /** In a .zip add-on: the archive, the entry's name, and the entry whose attributes it takes. */
  zip?: { archive: string; entry: string; like: string };
}

/**
 * The new files that applied fixes asked for (Fix.createFiles), once per path. A path that exists already
 * (on disk, or as an entry of the .zip), or that would land outside the add-on of the file asking, is not
 * created.
 */
async function planCreated(reports: FileReport[], files: DiscoveredFile[], cwd: string): Promise<Planned[]> {
  const out = new Map<string, Planned>();
  const byPath = new Map(files.map((f) => [f.absPath, f]));
  const zipNames = new Map<string, Set<string>>();
  for (const fr of reports) {
    if (!fr || !fr.changed || fr.createFiles.length === 0) continue;
    const f = byPath.get(fr.absPath);
    const root = f?.addonRoot ?? path.dirname(fr.absPath);
    for (const c of fr.createFiles) {
      const abs = path.resolve(path.dirname(fr.absPath), c.path);
      const rel = path.relative(root === fr.absPath ? path.dirname(root) : root, abs);
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        fr.errors.push({ path: fr.path, kind: 'internal', message: `internal error: a fix asked to create ${c.path}, outside the add-on; not created; please report it` });
        continue;
      }
      const existing = out.get(abs);
      if (existing) {
        if (existing.fr.output !== c.text) fr.errors.push({ path: fr.path, kind: 'internal', message: `internal error: fixes asked for two different versions of ${existing.fr.path}; the first was kept; please report it` });
        existing.askers.push(fr);
        continue;
      }
      let zip: Planned['zip'];
      if (f?.zip) {
        const archive = f.zip.archive;
        let names = zipNames.get(archive);
        if (!names) {
          try {
            names = new Set(readZip(readFileSync(archive)).map((e) => e.name));
          } catch {
            names = new Set();
          }
          zipNames.set(archive, names);
        }
        const entry = rel.split(path.sep).join('/');
        if (names.has(entry)) continue; // it exists: never touched
        zip = { archive, entry, like: f.zip.entry };
      } else {
        try {
          await fs.lstat(abs);
          continue; // it exists: never touched
        } catch {
          // absent: create it
        }
      }
      const created: FileReport = { ...emptyReport({ absPath: abs, addon: fr.addon }, displayPath(abs, cwd)), output: c.text, changed: true, created: true };
      out.set(abs, { fr: created, askers: [fr], zip });
    }
  }
  return [...out.values()];
}

async function createOne(fr: FileReport): Promise<void> {
  try {
    await fs.mkdir(path.dirname(fr.absPath), { recursive: true });
    await createAtomic(fr.absPath, Buffer.from(fr.output, 'utf8'));
    fr.written = true;
  } catch (e) {
    fr.errors.push({ path: fr.path, kind: 'write', message: `not created: ${reason(e)}` });
  }
}

/** One changed entry of a .zip add-on. */
interface ZipChange {
  fr: FileReport;
  entry: string;
  how: WriteBack;
}

/** Rewrite one archive with its changed entries and new files: all of them or none. */
async function writeZip(archive: string, changes: ZipChange[], additions: Planned[]): Promise<void> {
  const fail = (e: unknown): void => {
    const message = `not written: ${path.basename(archive)}: ${reason(e)}`;
    for (const c of changes) c.fr.errors.push({ path: c.fr.path, kind: 'write', message });
    for (const a of additions) a.fr.errors.push({ path: a.fr.path, kind: 'write', message: message.replace('not written', 'not created') });
  };
  try {
    const before = await fs.stat(archive);
    const buf = await fs.readFile(archive);
    // The archive as it is now must still hold what was analysed.
    const entries = new Map(readZip(buf).map((e) => [e.name, e]));
    const data = new Map<string, Buffer>();
    for (const c of changes) {
      const e = entries.get(c.entry);
      if (!e || !extractZipEntry(buf, e).equals(encodeSource(c.fr.original, c.how.encoding))) throw Object.assign(new Error(`${c.entry} changed in the archive while bgsafe ran (left as it is now); run bgsafe again`), { code: 'CHANGED' });
      data.set(c.entry, encodeSource(c.fr.output, c.how.encoding));
    }
    const added: ZipAddition[] = additions.map((a) => ({ name: a.zip!.entry, data: Buffer.from(a.fr.output, 'utf8'), like: a.zip!.like }));
    const next = rewriteZip(buf, data, added);
    await writeAtomic(archive, next, async () => {
      const now = await fs.stat(archive);
      return now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino;
    });
    for (const c of changes) c.fr.written = true;
    for (const a of additions) a.fr.written = true;
  } catch (e) {
    fail(e);
  }
}

/** For the fault tests (test/faults.test.ts) only: with BGSAFE_TEST_PAUSE_BEFORE_WRITE=<file>, the write
 *  stage creates that file once everything is analysed and waits (as writing, for SIGINT / SIGTERM) until it
 *  is removed, so that a test can change a file between read and write, or signal the process while it writes. */
async function testPause(interrupted: () => boolean): Promise<void> {
  const marker = process.env.BGSAFE_TEST_PAUSE_BEFORE_WRITE;
  if (!marker) return;
  await fs.writeFile(marker, `${process.pid}\n`);
  while (existsSync(marker) && !interrupted()) await sleep(10);
}

/** The same for BGSAFE_TEST_PAUSE_BEFORE_RENAME=<file>, once, in the first writeAtomic: its temporary file
 *  is written and not yet renamed (for the test of a second signal). */
async function testPauseBeforeRename(): Promise<void> {
  const marker = process.env.BGSAFE_TEST_PAUSE_BEFORE_RENAME;
  if (!marker) return;
  delete process.env.BGSAFE_TEST_PAUSE_BEFORE_RENAME;
  await fs.writeFile(marker, `${process.pid}\n`);
  while (existsSync(marker)) await sleep(10);
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * SIGINT / SIGTERM from now until `dispose`. While `writing` is false a signal ends the process at once (as
 * it would have without bgsafe's handler) after `cleanup`; while writing, the first one asks the write loop to
 * stop after the current file, a second removes the temporary files and ends the process.
 */
export function watchSignals(cleanup: () => void): { writing: boolean; stopped?: string; dispose(): void } {
  const state = {
    writing: false,
    stopped: undefined as string | undefined,
    dispose(): void {
      for (const s of SIGNALS) process.removeListener(s, handler);
    },
  };
  const die = (signal: string): void => {
    for (const t of liveTemps) rmSync(t, { force: true });
    cleanup();
    state.dispose();
    process.kill(process.pid, signal);
  };
  const handler = (signal: NodeJS.Signals): void => {
    if (!state.writing || state.stopped) die(signal);
    else state.stopped = signal;
  };
  for (const s of SIGNALS) process.on(s, handler);
  return state;
}

export interface WriteStageOptions {
  reports: FileReport[];
  files: DiscoveredFile[];
  /** Each changed file's index (into reports and files) and how it was read. */
  writeBacks: Map<number, WriteBack>;
  cwd: string;
  write: boolean;
  allowDirty: boolean;
  /** Run-level errors (the dirty-tree refusal, an interruption). */
  errors: FileError[];
  /** From watchSignals: set while writing; says which signal stopped the loop. */
  signals?: { writing: boolean; stopped?: string };
}

/**
 * After every file is analysed: the files fixes ask to create (returned, to be reported), and with write the
 * guard, then the archives, the changed files and the created files.
 */
export async function writeStage(o: WriteStageOptions): Promise<FileReport[]> {
  const planned = await planCreated(o.reports, o.files, o.cwd);
  if (!o.write) return planned.map((p) => p.fr);
  const order = [...o.writeBacks.keys()].sort((a, b) => a - b);

  if (!o.allowDirty) {
    const targets = new Map<string, FileReport[]>();
    const add = (abs: string, fr: FileReport): void => {
      const list = targets.get(abs);
      if (list) list.push(fr);
      else targets.set(abs, [fr]);
    };
    for (const i of order) add(o.files[i].zip?.archive ?? o.files[i].absPath, o.reports[i]);
    for (const p of planned) add(p.zip?.archive ?? p.fr.absPath, p.fr);
    const result = await checkDirty([...targets.keys()]);
    if (!result.ok) {
      if ('gitError' in result) {
        o.errors.push({ path: '.', kind: 'write', message: `--write refused, nothing was written: ${result.gitError}; run again with --allow-dirty to write without the check` });
      } else {
        const n = result.dirty.length;
        o.errors.push({ path: '.', kind: 'write', message: `--write refused, nothing was written: ${n} file${n === 1 ? '' : 's'} it would change ${n === 1 ? 'has' : 'have'} uncommitted changes (listed below); ${DIRTY_HINT}` });
        for (const d of result.dirty) {
          const frs = targets.get(d.absPath) ?? [];
          const archive = frs.length > 0 && frs[0].absPath !== d.absPath;
          // Listed once per file git knows: for an archive, on its first entry.
          frs[0]?.errors.push({ path: archive ? displayPath(d.absPath, o.cwd) : frs[0].path, kind: 'write', message: `not written: uncommitted changes (${d.state})` });
        }
      }
      return planned.map((p) => p.fr);
    }
  }

  const signals = o.signals;
  if (signals) signals.writing = true;
  const interrupted = (): boolean => signals?.stopped !== undefined;
  try {
    await testPause(interrupted);
    // The archives, each as a whole.
    const zips = new Map<string, { changes: ZipChange[]; additions: Planned[] }>();
    const zipOf = (archive: string) => {
      let z = zips.get(archive);
      if (!z) zips.set(archive, (z = { changes: [], additions: [] }));
      return z;
    };
    for (const i of order) {
      const zip = o.files[i].zip;
      if (zip) zipOf(zip.archive).changes.push({ fr: o.reports[i], entry: zip.entry, how: o.writeBacks.get(i)! });
    }
    for (const p of planned) if (p.zip) zipOf(p.zip.archive).additions.push(p);
    for (const [archive, z] of zips) {
      if (interrupted()) break;
      await writeZip(archive, z.changes, z.additions);
    }
    // The new files first: a file that needs one is written only once it exists, and a new file that no
    // written file needs is removed again (so an add-on never imports a module that is not there).
    const blocked = new Map<FileReport, string>();
    const plain = planned.filter((p) => !p.zip);
    for (const p of plain) {
      if (interrupted()) break;
      await createOne(p.fr);
      if (!p.fr.written) for (const a of p.askers) blocked.set(a, p.fr.path);
    }
    for (const i of order) {
      if (interrupted()) break;
      if (o.files[i].zip) continue;
      const needs = blocked.get(o.reports[i]);
      if (needs) o.reports[i].errors.push({ path: o.reports[i].path, kind: 'write', message: `not written: it needs ${needs}, which could not be created` });
      else await writeFixed(o.reports[i], o.files[i], o.writeBacks.get(i)!);
    }
    for (const p of plain) {
      if (p.fr.written && !p.askers.some((a) => a.written)) {
        await fs.rm(p.fr.absPath, { force: true });
        p.fr.written = false;
      }
    }
  } finally {
    if (signals) signals.writing = false;
  }
  if (signals?.stopped) {
    const left = order.filter((i) => !o.reports[i].written && o.reports[i].errors.length === 0).length + planned.filter((p) => !p.fr.written && p.fr.errors.length === 0).length;
    o.errors.push({
      path: '.',
      kind: 'write',
      message: `--write stopped by ${signals.stopped}: ${left} file${left === 1 ? '' : 's'} not written (each file is either as it was or fixed); run bgsafe --write again to finish`,
    });
    // The exit status a shell expects after that signal (the CLI keeps a status already set).
    process.exitCode = SIGNAL_EXIT[signals.stopped] ?? 2;
  }
  return planned.map((p) => p.fr);
}
