// --shard K/N: one deterministic N-th of a batch, for a batch split over CI jobs or hosts (GNU parallel, a
// GitHub Actions matrix, Kubernetes Jobs) and joined again with `bgsafe merge`.
//
// The unit is the add-on, never a file: a rule reads the add-on's other files, so an add-on is analysed
// (and written) whole by exactly one shard. Which shard is a hash of the add-on's key, so that it depends on
// nothing but the add-on: not on the machine, the checkout's location, how the path was spelled
// (`addons`, `./addons/`, `/abs/addons`), nor on which other add-ons the batch holds.
//
// The key is the add-on's path relative to the deepest path named on the command line that holds it, with
// `/` between folders and in Unicode NFC (macOS spells names decomposed); where the add-on is itself named
// (a package folder, a module file, a .zip), or named through one of its files, the key is its own folder
// or file name. Discovery puts add-ons directly under the folders named, so the key is in practice the
// add-on's folder or file name: `amaranth`, `add_curve_ivygen.py`, `tool.zip`.
// The shard (1-based) is 1 + (the first 4 bytes of SHA-256(key as UTF-8), big-endian) mod N, i.e.
//   K = 1 + (0x$(printf %s amaranth | sha256sum | cut -c1-8) % N)
// Errors that belong to no add-on (a path that does not exist, a pyproject.toml above the add-ons) are
// reported by shard 1 only, and every other error by the shard of the add-on it is in, so that the shards'
// reports together hold each error once, as the unsharded report does.
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './config.js';
import type { DiscoveredFile, DiscoveryProblem } from './discover.js';
import type { FileError } from './types.js';

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** The rule in words, for --help and the README. */
export const SHARD_RULE =
  "K/N (1 <= K <= N): only the add-ons of shard K of N, each whole. An add-on's shard is 1 + (the first 4 bytes of SHA-256 of its key, big-endian) mod N; the key is its path relative to the folder named that holds it (its folder or file name: amaranth, tool.py, tool.zip), with / and Unicode NFC, so that shards are the same on every machine and however the path is spelled. Errors outside every add-on (a missing path) go to shard 1. Join the shards' --format json reports with `bgsafe merge`.";

/** `--shard 2/3`; anything else is a usage error that says what is expected. */
export function parseShard(spec: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  if (!m) throw new UsageError(`--shard: expected K/N, e.g. --shard 2/3 (shard 2 of 3), got "${spec}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new UsageError(`--shard ${spec}: N must be at least 1`);
  if (index < 1 || index > count) throw new UsageError(`--shard ${spec}: K must be between 1 and N (${count}); shards are numbered from 1`);
  return { index, count };
}

/** The shard (1-based) a key falls in. */
export function shardOfKey(key: string, count: number): number {
  const digest = createHash('sha256').update(key, 'utf8').digest();
  return 1 + (digest.readUInt32BE(0) % count);
}

/** Each named path, absolute with symbolic links resolved (as discover() resolves them); missing ones are left out. */
function namedRoots(paths: string[], cwd: string): string[] {
  const out: string[] = [];
  for (const p of paths) {
    try {
      out.push(realpathSync(path.resolve(cwd, p)));
    } catch {
      // a path that does not exist holds no add-on (discover reports it)
    }
  }
  return out;
}

const inside = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

/** An add-on's key: its path relative to the deepest named path that holds it, else its own name. */
export function addonKey(addonRoot: string, roots: string[]): string {
  let best: string | undefined;
  for (const r of roots) if (inside(addonRoot, r) && (best === undefined || r.length > best.length)) best = r;
  const rel = best === undefined ? '' : path.relative(best, addonRoot);
  const key = rel === '' ? path.basename(addonRoot) : rel;
  return key.split(path.sep).join('/').normalize('NFC');
}

export interface ShardContext {
  /** The paths as named, and the folder they are relative to. */
  paths: string[];
  cwd: string;
  /** The run's errors so far (config errors found while walking); filtered in place. */
  errors: FileError[];
  /** Called for every discovered file before the others are dropped, so that every error the unsharded
   *  run would report (a broken pyproject.toml reached only from a file) is found and can be given to
   *  its one shard. */
  visit?: (f: DiscoveredFile) => void;
}

/** A batch's fingerprint: the first 16 hex digits of SHA-256 of its add-ons' roots as reported (relative to
 *  the folder bgsafe ran in, `/`, NFC), sorted by code unit, one a line. Every shard of one batch sees the
 *  whole batch while discovering, so they agree on it; a shard run from another folder, on other paths, or
 *  on a tree with other add-ons does not, and `bgsafe merge` refuses it. */
export function batchFingerprint(addonRoots: Iterable<string>, cwd: string): string {
  const roots = [...new Set([...addonRoots].map((r) => (path.relative(cwd, r) || path.basename(r)).split(path.sep).join('/').normalize('NFC')))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(roots.join('\n'), 'utf8').digest('hex').slice(0, 16);
}

/** Keep the files of the add-ons in this shard, the problems and errors it owns; `shard` adds the batch's fingerprint. */
export function takeShard(
  found: { files: DiscoveredFile[]; problems: DiscoveryProblem[] },
  shard: Shard,
  ctx: ShardContext,
): { files: DiscoveredFile[]; problems: DiscoveryProblem[]; shard: Shard & { batch: string } } {
  const roots = namedRoots(ctx.paths, ctx.cwd);
  const shardOfRoot = new Map<string, number>();
  for (const f of found.files) {
    ctx.visit?.(f);
    if (!shardOfRoot.has(f.addonRoot)) shardOfRoot.set(f.addonRoot, shardOfKey(addonKey(f.addonRoot, roots), shard.count));
  }
  // The shard that reports something at `abs`: that of the (deepest) add-on holding it, else shard 1.
  const owner = (abs: string): number => {
    let best: string | undefined;
    for (const r of shardOfRoot.keys()) if (inside(abs, r) && (best === undefined || r.length > best.length)) best = r;
    return best === undefined ? 1 : shardOfRoot.get(best)!;
  };
  const mine = (p: string): boolean => owner(path.resolve(ctx.cwd, p)) === shard.index;
  const kept = ctx.errors.filter((e) => mine(e.path));
  ctx.errors.splice(0, ctx.errors.length, ...kept);
  return {
    files: found.files.filter((f) => shardOfRoot.get(f.addonRoot) === shard.index),
    problems: found.problems.filter((p) => mine(p.path)),
    shard: { index: shard.index, count: shard.count, batch: batchFingerprint(shardOfRoot.keys(), ctx.cwd) },
  };
}
