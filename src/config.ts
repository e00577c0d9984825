// `[tool.bgsafe]` in the nearest pyproject.toml (searching upward from each file's folder), and rule
// selection by codes or prefixes. Flags given on the command line win over the file.
import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { Rule } from './types.js';
import { parseTargetSpec, TargetSpecError, type TargetRange } from './versions.js';

export interface FileConfig {
  select?: string[];
  ignore?: string[];
  unsafeFixes?: boolean;
  exclude?: string[];
  /** `target-blender = "4.2"` (or a range, "4.2-4.5"): the Blender versions fixes are for. */
  targetBlender?: TargetRange;
  /** The pyproject.toml this came from, and its folder (exclude globs are relative to it). */
  source: string;
  root: string;
}

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}

export class UsageError extends Error {}

const KEYS = new Set(['select', 'ignore', 'unsafe-fixes', 'exclude', 'target-blender']);

function stringList(v: unknown, key: string, file: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new ConfigError(`[tool.bgsafe] ${key} must be a list of strings, e.g. ${key} = ["BGS001"]`, file);
  }
  return v as string[];
}

export function readConfigFile(file: string): FileConfig | null {
  let data: Record<string, unknown>;
  try {
    data = parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      throw new ConfigError(`invalid TOML: ${e.message.split('\n')[0]}`, file, e.line, e.column);
    }
    throw new ConfigError(`cannot read: ${(e as Error).message}`, file);
  }
  const tool = data.tool as Record<string, unknown> | undefined;
  const section = tool?.bgsafe as Record<string, unknown> | undefined;
  if (section === undefined) return null;
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw new ConfigError('[tool.bgsafe] must be a table', file);
  }
  for (const k of Object.keys(section)) {
    if (!KEYS.has(k)) throw new ConfigError(`unknown key "${k}" in [tool.bgsafe]; known keys: ${[...KEYS].join(', ')}`, file);
  }
  const cfg: FileConfig = { source: file, root: path.dirname(file) };
  if ('select' in section) cfg.select = stringList(section.select, 'select', file);
  if ('ignore' in section) cfg.ignore = stringList(section.ignore, 'ignore', file);
  if ('exclude' in section) cfg.exclude = stringList(section.exclude, 'exclude', file);
  if ('unsafe-fixes' in section) {
    if (typeof section['unsafe-fixes'] !== 'boolean') throw new ConfigError('[tool.bgsafe] unsafe-fixes must be true or false', file);
    cfg.unsafeFixes = section['unsafe-fixes'] as boolean;
  }
  if ('target-blender' in section) {
    const spec = section['target-blender'];
    if (typeof spec !== 'string') throw new ConfigError('[tool.bgsafe] target-blender must be a string, e.g. target-blender = "4.2" or "4.2-4.5"', file);
    try {
      cfg.targetBlender = parseTargetSpec(spec, 'config');
    } catch (e) {
      if (!(e instanceof TargetSpecError)) throw e;
      throw new ConfigError(`[tool.bgsafe] target-blender: ${e.message}`, file);
    }
  }
  return cfg;
}

/** Finds, for a folder, the nearest pyproject.toml that has a [tool.bgsafe] table; cached per folder. */
export class ConfigResolver {
  private cache = new Map<string, FileConfig | null>();

  forDir(dir: string): FileConfig | null {
    const abs = path.resolve(dir);
    const hit = this.cache.get(abs);
    if (hit !== undefined) return hit;
    const file = path.join(abs, 'pyproject.toml');
    let cfg: FileConfig | null = existsSync(file) ? readConfigFile(file) : null;
    if (cfg === null) {
      const parent = path.dirname(abs);
      cfg = parent === abs ? null : this.forDir(parent);
    }
    this.cache.set(abs, cfg);
    return cfg;
  }
}

/**
 * The rules a selection enables. A selector is `ALL`, a code (`BGS001`), a slug (`gpu-in-background`) or a
 * code prefix (`BGS`, `BGS00`). A prefix picks the rules that are on by default; naming a rule's full code
 * or slug (or ALL) also turns on a rule that is off by default. `ignore` then removes rules the same way.
 */
export function selectRules(all: Rule[], select: string[] | undefined, ignore: string[] | undefined): Rule[] {
  const matches = (t: Rule, sel: string, exact: boolean): boolean => {
    const s = sel.trim();
    if (s.toUpperCase() === 'ALL') return true;
    if (t.code === s.toUpperCase() || t.slug === s.toLowerCase()) return true;
    return !exact && t.code.startsWith(s.toUpperCase()) && t.defaultEnabled;
  };
  for (const sel of [...(select ?? []), ...(ignore ?? [])]) {
    const s = sel.trim();
    if (!s) throw new UsageError('empty rule selector');
    const known = s.toUpperCase() === 'ALL' || all.some((t) => t.code.startsWith(s.toUpperCase()) || t.slug === s.toLowerCase());
    if (!known) throw new UsageError(`unknown rule or prefix "${s}" (see \`bgsafe rules\`)`);
  }
  let chosen = select && select.length > 0 ? all.filter((t) => select.some((s) => matches(t, s, false))) : all.filter((t) => t.defaultEnabled);
  if (ignore && ignore.length > 0) {
    chosen = chosen.filter((t) => !ignore.some((s) => s.toUpperCase() === 'ALL' || t.code.startsWith(s.toUpperCase()) || t.slug === s.toLowerCase()));
  }
  return chosen;
}
