// The dirty-tree guard: before `--write` changes anything, every file it would change or create is looked up
// in git (the `git` binary, as the user's own git sees it). A file with uncommitted changes (modified,
// staged, untracked, deleted) would lose the user's version under a rewrite, so the whole write is refused;
// `--allow-dirty` skips the guard. A file outside any git work tree is written as before; git's ignored files
// count as outside (they are deliberately not in version control).
import { execFile } from 'node:child_process';
import { existsSync, promises as fs, realpathSync } from 'node:fs';
import * as path from 'node:path';

export interface DirtyFile {
  /** Absolute path. */
  absPath: string;
  /** What git says about it: modified, staged, untracked, deleted, … */
  state: string;
}

export type GuardResult = { ok: true } | { ok: false; dirty: DirtyFile[] } | { ok: false; gitError: string };

interface GitOut {
  code: number;
  stdout: string;
  stderr: string;
  spawnError?: NodeJS.ErrnoException;
}

function git(args: string[], cwd: string): Promise<GitOut> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      { cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, GIT_LITERAL_PATHSPECS: '1', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
        if (e && typeof e.code === 'string') resolve({ code: -1, stdout: '', stderr: '', spawnError: e });
        else resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** The nearest existing folder at or above `dir` (a created file's folder may not exist yet). */
async function existingDir(dir: string): Promise<string> {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      if ((await fs.stat(d)).isDirectory()) return d;
    } catch {
      // keep going up
    }
    if (path.dirname(d) === d) return d;
  }
}

/** The nearest folder at or above `dir` that holds a .git, or ''. */
function dotGitAbove(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, '.git'))) return d;
    if (path.dirname(d) === d) return '';
  }
}

/** Run `fn` over `items`, at most `n` at a time. */
async function eachLimited<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

function stateOf(xy: string): string {
  if (xy === '??') return 'untracked';
  const [x, y] = [xy[0], xy[1]];
  if (x === 'U' || y === 'U' || xy === 'AA' || xy === 'DD') return 'unmerged';
  const parts: string[] = [];
  if (x !== ' ') parts.push(x === 'D' ? 'deletion staged' : x === 'R' ? 'rename staged' : x === 'A' ? 'added, not committed' : 'staged');
  if (y === 'M' || y === 'T') parts.push('modified');
  else if (y === 'D') parts.push('deleted');
  return parts.join(', ') || xy.trim();
}

const CHUNK = 500;

/**
 * Check the files a write would change or create (absolute paths). Git is asked once per folder for its
 * work tree, then `git status` per work tree (in chunks of paths).
 */
export async function checkDirty(files: string[]): Promise<GuardResult> {
  if (files.length === 0) return { ok: true };
  // Each folder's work tree ('' outside git). Git is asked once per folder holding a .git (the nearest
  // above each file's folder); a folder with none above it is outside git, unless $GIT_DIR says otherwise.
  const dirs = [...new Set(files.map((f) => path.dirname(f)))];
  const topOf = new Map<string, string>();
  const askAt = new Map<string, string[]>();
  for (const dir of dirs) {
    const at = await existingDir(dir);
    const key = process.env.GIT_DIR ? at : dotGitAbove(at);
    if (!key) {
      topOf.set(dir, '');
      continue;
    }
    const list = askAt.get(key);
    if (list) list.push(dir);
    else askAt.set(key, [dir]);
  }
  let gitError: string | undefined;
  // The work tree that `at` is in ('' outside git), or undefined when git cannot tell (gitError is set).
  const askTop = async (at: string): Promise<string | undefined> => {
    const r = await git(['rev-parse', '--show-toplevel'], at);
    if (r.spawnError) {
      // No git to ask: a folder with a .git above it is refused (its files cannot be vouched for), any other
      // is outside git.
      const dotGit = r.spawnError.code === 'ENOENT' ? dotGitAbove(at) : at;
      if (!dotGit) return '';
      gitError ??= `cannot run git (${r.spawnError.code === 'ENOENT' ? 'not on PATH' : r.spawnError.code}) to check ${dotGit} for uncommitted changes`;
      return undefined;
    }
    if (r.code === 0) return r.stdout.trim();
    if (/not a git repository/i.test(r.stderr)) return '';
    // Any other failure (a repository git refuses to read, e.g. "detected dubious ownership") is not
    // taken as "outside git": the guard cannot vouch for those files.
    gitError ??= `git cannot tell whether ${at} has uncommitted changes: ${r.stderr.trim().split('\n')[0]}`;
    return undefined;
  };
  await eachLimited([...askAt.keys()], 4, async (at) => {
    const top = await askTop(at);
    if (top !== undefined) for (const d of askAt.get(at)!) topOf.set(d, top);
  });
  if (gitError) return { ok: false, gitError };

  const byTop = new Map<string, string[]>();
  for (const f of files) {
    const top = topOf.get(path.dirname(f))!;
    if (!top) continue;
    let list = byTop.get(top);
    if (!list) byTop.set(top, (list = []));
    list.push(f);
  }
  const dirty: DirtyFile[] = [];
  for (const [top, list] of byTop) {
    // git prints paths relative to the top as it spells it; realpath both sides so that /tmp vs /private/tmp
    // style spellings compare equal.
    const realTop = realpathSync(top);
    const rel = new Map<string, string>();
    for (const f of list) {
      let real = f;
      try {
        real = realpathSync(f);
      } catch {
        const at = await existingDir(path.dirname(f));
        real = path.join(realpathSync(at), path.relative(at, f));
      }
      rel.set(path.relative(realTop, real).split(path.sep).join('/'), f);
    }
    const rels = [...rel.keys()];
    for (let i = 0; i < rels.length; i += CHUNK) {
      const r = await git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=no', '--', ...rels.slice(i, i + CHUNK)], realTop);
      if (r.code !== 0) return { ok: false, gitError: `git status failed in ${top}: ${r.stderr.trim().split('\n')[0]}` };
      const fields = r.stdout.split('\0');
      for (let k = 0; k < fields.length; k++) {
        const rec = fields[k];
        if (rec.length < 4) continue;
        const xy = rec.slice(0, 2);
        const p = rec.slice(3);
        if (xy[0] === 'R' || xy[0] === 'C') k++; // the rename's source follows
        const abs = rel.get(p);
        if (abs) dirty.push({ absPath: abs, state: stateOf(xy) });
      }
    }
  }
  if (dirty.length === 0) return { ok: true };
  dirty.sort((a, b) => (a.absPath < b.absPath ? -1 : a.absPath > b.absPath ? 1 : 0));
  return { ok: false, dirty };
}

/** The way out, said once after the files. */
export const DIRTY_HINT = 'commit or stash them first (bgsafe --write rewrites files, and their uncommitted changes would be mixed with its fixes), or run again with --allow-dirty';
