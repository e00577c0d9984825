// The linearity check: synthetic batches of 2,500 … 20,000 files made by copying the target's add-ons
// (copy k of every add-on under <tmp>/copy-k/, so that all paths differ and each copy stays an add-on of
// its own), and one bgsafe CLI dry run per batch: time per file should stay about constant, and so should
// the peak RSS.
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bgsafeCommand } from './compare.js';
import { runOnce, type Sample } from './measure.js';

export const DEFAULT_SIZES = [2500, 5000, 10000, 20000];
/** Time per file may vary this much across sizes (max / min) and still count as linear. */
export const LINEAR_SPREAD = 1.25;
/** RSS at the largest batch may be at most this many times the RSS at the smallest. */
export const FLAT_RSS = 1.5;

/** One add-on of a target: a top-level entry of a folder of add-ons, and its .py files. */
interface Unit {
  /** Index of the target it comes from (targets may share a basename). */
  target: number;
  /** Its top-level entry in that target ('' when the target is itself one add-on: a package or a file). */
  rel: string;
  files: string[];
}

export interface BatchRow {
  size: number;
  files: number;
  sample: Sample;
}

function units(targets: string[], files: string[]): Unit[] {
  const out = new Map<string, Unit>();
  for (const f of files) {
    const t = targets.findIndex((d) => f === d || f.startsWith(d.endsWith('/') ? d : `${d}/`));
    if (t < 0) continue;
    // As bgsafe's discovery sees it: a folder with __init__.py is one add-on, any other folder holds add-ons.
    const holdsAddons = statSync(targets[t]).isDirectory() && !existsSync(path.join(targets[t], '__init__.py'));
    const top = holdsAddons ? path.relative(targets[t], f).split(path.sep)[0] : '';
    const key = `${t}\u0000${top}`;
    if (!out.has(key)) out.set(key, { target: t, rel: top, files: [] });
    out.get(key)!.files.push(f);
  }
  return [...out.values()].sort((a, b) => a.target - b.target || a.rel.localeCompare(b.rel));
}

/** Hard links where the file system allows (fast, no space), copies elsewhere. */
function place(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

export function runBatches(targets: string[], files: string[], sizes: number[]): BatchRow[] {
  const all = units(targets.map((t) => path.resolve(t)), files.map((f) => path.resolve(f)));
  const perCopy = all.reduce((n, u) => n + u.files.length, 0);
  if (perCopy === 0) return [];
  const tmp = mkdtempSync(path.join(tmpdir(), 'bgsafe-bench-batch-'));
  const cleanUp = (): void => rmSync(tmp, { recursive: true, force: true });
  const onSignal = (): void => {
    cleanUp();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  try {
    // Lay out copies until the largest batch is covered: (copy, unit) pairs in order, with their paths.
    const largest = Math.max(...sizes);
    const laidOut: Array<{ copy: number; unit: Unit; root: string }> = [];
    const made = new Set<string>();
    let total = 0;
    for (let copy = 0; total < largest; copy++) {
      for (const unit of all) {
        if (total >= largest) break;
        const base = path.join(tmp, `copy-${copy}`, `${unit.target}-${path.basename(targets[unit.target])}`);
        for (const f of unit.files) {
          const to = path.join(base, path.relative(path.resolve(targets[unit.target]), f) || path.basename(f));
          const dir = path.dirname(to);
          if (!made.has(dir)) mkdirSync(dir, { recursive: true });
          made.add(dir);
          place(f, to);
        }
        const root = unit.rel ? path.join(base, unit.rel) : statSync(targets[unit.target]).isDirectory() ? base : path.join(base, path.basename(unit.files[0]));
        laidOut.push({ copy, unit, root });
        total += unit.files.length;
      }
    }
    const rows: BatchRow[] = [];
    for (const size of [...sizes].sort((a, b) => a - b)) {
      // Whole add-ons until the size is reached; a complete copy is passed as its folder of add-ons.
      const chosen: typeof laidOut = [];
      let n = 0;
      for (const entry of laidOut) {
        if (n >= size) break;
        chosen.push(entry);
        n += entry.unit.files.length;
      }
      const paths = batchPaths(chosen, all.length, tmp);
      process.stderr.write(`bench: batch of ${n} files…\n`);
      rows.push({ size, files: n, sample: runOnce(bgsafeCommand(paths)) });
    }
    return rows;
  } finally {
    process.removeListener('SIGINT', onSignal);
    cleanUp();
  }
}

/** The CLI's arguments for a batch: each complete copy's target folders, then the add-ons of a partial copy. */
function batchPaths(chosen: Array<{ copy: number; unit: Unit; root: string }>, unitsPerCopy: number, tmp: string): string[] {
  const byCopy = new Map<number, typeof chosen>();
  for (const e of chosen) byCopy.set(e.copy, [...(byCopy.get(e.copy) ?? []), e]);
  const out: string[] = [];
  for (const [copy, entries] of byCopy) {
    if (entries.length === unitsPerCopy) {
      const dir = path.join(tmp, `copy-${copy}`);
      out.push(...readdirSync(dir).sort().map((d) => path.join(dir, d)));
    } else out.push(...entries.map((e) => e.root));
  }
  return out;
}
