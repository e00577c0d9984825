// The Blender versions an add-on supports, which version-aware fixes emit code for: from `--target-blender`
// (or `[tool.bgsafe] target-blender`), else the add-on's `blender_manifest.toml` (`blender_version_min`,
// `blender_version_max`), else `bl_info["blender"]` (a minimum), else every version from 2.80 on.
// A fix uses `ctx.target`: no version branch where every version of the range agrees, a
// `bpy.app.version` branch where they differ.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseToml } from 'smol-toml';

/** major, minor */
export type Version = readonly [number, number];

export type TargetSource = 'flag' | 'config' | 'blender_manifest.toml' | 'bl_info' | 'default';

/** Plain data (it crosses to worker threads and into the JSON report). */
export interface TargetRange {
  /** The oldest version supported. */
  min: Version;
  /** The first version NOT supported (as `blender_version_max` means it), or null: no upper bound. */
  maxExclusive: Version | null;
  source: TargetSource;
}

/** What bgsafe assumes without any word from the add-on: every Blender from 2.80 on. */
export const DEFAULT_MIN: Version = [2, 80];

export const DEFAULT_TARGET: TargetRange = { min: DEFAULT_MIN, maxExclusive: null, source: 'default' };

export function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** Some supported version is older than `v`. */
export function includesBefore(r: TargetRange, v: Version): boolean {
  return compare(r.min, v) < 0;
}

/** Some supported version is `v` or newer. */
export function includesFrom(r: TargetRange, v: Version): boolean {
  return r.maxExclusive === null || compare(r.maxExclusive, v) > 0;
}

/** Every supported version is `v` or newer. */
export function allFrom(r: TargetRange, v: Version): boolean {
  return !includesBefore(r, v);
}

/** Every supported version is older than `v`. */
export function allBefore(r: TargetRange, v: Version): boolean {
  return !includesFrom(r, v);
}

export function formatVersion(v: Version): string {
  return `${v[0]}.${v[1]}`;
}

/** The range in words: "4.2 and later", "4.2 to 4.5", "2.80 and later", "4.2 to before 5.0". */
export function formatRange(r: TargetRange): string {
  const last = lastSupported(r);
  if (!r.maxExclusive) return `${formatVersion(r.min)} and later`;
  return last ? `${formatVersion(r.min)} to ${formatVersion(last)}` : `${formatVersion(r.min)} to before ${formatVersion(r.maxExclusive)}`;
}

/** The newest version supported, where the range names one (`4.2-4.5` → 4.5; a manifest's
 *  `blender_version_max = "5.0.0"` names none: null); null too for an open range. */
export function lastSupported(r: TargetRange): Version | null {
  if (!r.maxExclusive || r.maxExclusive[1] === 0) return null;
  return [r.maxExclusive[0], r.maxExclusive[1] - 1];
}

const VERSION = /^(\d+)\.(\d+)(?:\.\d+)?$/;

function parseVersion(s: string): Version | null {
  const m = VERSION.exec(s.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export class TargetSpecError extends Error {}

/**
 * `--target-blender` / `target-blender`: `4.2` (4.2 and later), `4.2-4.5` (4.2 up to and including 4.5),
 * `-4.5` (every version up to 4.5). Throws TargetSpecError with what was expected.
 */
export function parseTargetSpec(spec: string, source: 'flag' | 'config'): TargetRange {
  const text = spec.trim();
  const dash = text.indexOf('-');
  const minText = dash < 0 ? text : text.slice(0, dash);
  const maxText = dash < 0 ? '' : text.slice(dash + 1);
  const min = minText === '' ? DEFAULT_MIN : parseVersion(minText);
  const max = maxText === '' ? null : parseVersion(maxText);
  if (text === '' || !min || (maxText !== '' && !max) || (dash >= 0 && minText === '' && maxText === '')) {
    throw new TargetSpecError(`"${spec}" is not a Blender version or range; expected e.g. 4.2 (4.2 and later), 4.2-4.5, or -4.5`);
  }
  if (max && compare(max, min) < 0) throw new TargetSpecError(`"${spec}": the range ends (${maxText}) before it starts (${minText})`);
  return { min, maxExclusive: max ? [max[0], max[1] + 1] : null, source };
}

/** `bl_info = {…, "blender": (2, 80, 0), …}` in a text: the minimum version, or null. */
export function blInfoMinimum(text: string): Version | null {
  const info = /^bl_info\s*=\s*\{/m.exec(text);
  if (!info) return null;
  const m = /["']blender["']\s*:\s*[(\[]\s*(\d+)\s*,\s*(\d+)/.exec(text.slice(info.index, info.index + 4000));
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** An extension's `blender_manifest.toml` text: its range, or null (not TOML, or no `blender_version_min`). */
export function manifestRange(text: string): TargetRange | null {
  let data: Record<string, unknown>;
  try {
    data = parseToml(text) as Record<string, unknown>;
  } catch {
    return null;
  }
  const min = typeof data.blender_version_min === 'string' ? parseVersion(data.blender_version_min) : null;
  if (!min) return null;
  const max = typeof data.blender_version_max === 'string' ? parseVersion(data.blender_version_max) : null;
  return { min, maxExclusive: max, source: 'blender_manifest.toml' };
}

/**
 * The range an add-on declares, read from disk: `root` is its folder (a package, with its
 * `blender_manifest.toml` and `__init__.py`) or its single file. The default where it declares none.
 */
export function declaredTarget(root: string, readText: (file: string) => string | null = readIfThere): TargetRange {
  const isFile = root.endsWith('.py');
  if (!isFile) {
    const manifest = readText(path.join(root, 'blender_manifest.toml'));
    const fromManifest = manifest === null ? null : manifestRange(manifest);
    if (fromManifest) return fromManifest;
  }
  const init = readText(isFile ? root : path.join(root, '__init__.py'));
  const min = init === null ? null : blInfoMinimum(init);
  return min ? { min, maxExclusive: null, source: 'bl_info' } : DEFAULT_TARGET;
}

function readIfThere(file: string): string | null {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : null;
  } catch {
    return null;
  }
}
