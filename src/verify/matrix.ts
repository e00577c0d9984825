// `bgsafe verify --blender A --blender B …`: the same add-ons on several Blenders in one run, one row per
// add-on and version, and a table of the results (add-ons down, versions across).
import { VERSION } from '../version.js';
import type { AddonReport, VerifyOptions, VerifyReport } from './types.js';
import { verifyAddons } from './verify.js';

/** One add-on on one Blender. */
export interface MatrixRow extends AddonReport {
  blender: { path: string; version?: string };
}

export interface VerifyMatrixReport {
  /** Version of this JSON shape. */
  version: 1;
  tool: { name: 'bgsafe'; version: string };
  /** The Blenders, in the order given. */
  blenders: Array<{ path: string; version?: string }>;
  /** `pass` only when every add-on passed on every Blender. */
  status: 'pass' | 'fail' | 'error';
  /** One per add-on and Blender: the add-ons in the order given, each on every Blender in turn. */
  rows: MatrixRow[];
  /** Per add-on (as given), its status per Blender (in the order of `blenders`). */
  table: Array<{ path: string; results: Array<'pass' | 'fail' | 'error'> }>;
  durationMs: number;
}

/** Verifies the add-ons on each Blender in turn (each run uses `jobs` processes, as one Blender would). */
export async function verifyMatrix(paths: string[], blenders: string[], options: Omit<VerifyOptions, 'blender'> = {}): Promise<VerifyMatrixReport> {
  const started = Date.now();
  const runs: VerifyReport[] = [];
  for (const blender of blenders) runs.push(await verifyAddons(paths, { ...options, blender }));
  const rows: MatrixRow[] = [];
  for (let i = 0; i < paths.length; i++) {
    for (const r of runs) rows.push({ ...r.addons[i], blender: r.blender });
  }
  const table = paths.map((_, i) => ({ path: runs[0].addons[i].path, results: runs.map((r) => r.addons[i].status) }));
  const all = runs.map((r) => r.status);
  const status = all.includes('error') ? 'error' : all.includes('fail') ? 'fail' : 'pass';
  return {
    version: 1,
    tool: { name: 'bgsafe', version: VERSION },
    blenders: runs.map((r) => r.blender),
    status,
    rows,
    table,
    durationMs: Date.now() - started,
  };
}
