// Before any file is read: which files to skip while walking folders, and which rules each file gets.
// Both come from [tool.bgsafe] in the nearest pyproject.toml (per folder) and the run's options; a broken
// pyproject.toml is reported once, and the files under it get no rules.
import * as path from 'node:path';
import { ConfigError, ConfigResolver, selectRules, type FileConfig } from './config.js';
import { makeExcluder, type DiscoveredFile, type ExcludeTest } from './discover.js';
import { displayPath } from './report.js';
import type { FileError, Rule } from './types.js';
import { declaredTarget, DEFAULT_TARGET, type TargetRange } from './versions.js';

export interface PlanOptions {
  select?: string[];
  ignore?: string[];
  unsafeFixes?: boolean;
  exclude?: string[];
  config?: boolean;
  /** `--target-blender`: the Blender versions fixes are for, instead of what each add-on declares. */
  targetBlender?: TargetRange;
}

/** One file's plan: its rules, or none because its pyproject.toml is broken. */
export type RulesPlan = { f: DiscoveredFile; display: string; rules: Rule[]; unsafe: boolean; target: TargetRange };
export type FilePlan = RulesPlan | { f: DiscoveredFile; display: string; configError: true };

export interface Planner {
  /** For discover(): the command line's and the config files' exclude globs. */
  exclude: ExcludeTest;
  plan(f: DiscoveredFile): FilePlan;
  /** The Blender versions an add-on's fixes are for: --target-blender, else its pyproject.toml's
   *  target-blender, else what it declares (blender_manifest.toml, bl_info). Read once per add-on. */
  target(f: DiscoveredFile): TargetRange;
}

/** Config errors are pushed onto `errors`, once per file. */
export function makePlanner(options: PlanOptions, catalogue: Rule[], cwd: string, errors: FileError[]): Planner {
  const useConfig = options.config !== false;
  const resolver = new ConfigResolver();
  const cliExclude = makeExcluder(options.exclude ?? [], cwd);
  const badConfigs = new Set<string>();
  const configFor = (dir: string): FileConfig | null | 'error' => {
    try {
      return useConfig ? resolver.forDir(dir) : null;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      if (!badConfigs.has(e.file)) {
        badConfigs.add(e.file);
        errors.push({ path: displayPath(e.file, cwd), kind: 'config', message: e.message, line: e.line, column: e.column });
      }
      return 'error';
    }
  };
  // Config excludes apply while walking folders, relative to the config's own folder.
  const excluders = new Map<string, ExcludeTest>();
  const exclude = (abs: string, isDir: boolean): boolean => {
    if (cliExclude(abs, isDir)) return true;
    const cfg = configFor(path.dirname(abs));
    if (!cfg || cfg === 'error' || !cfg.exclude) return false;
    let ex = excluders.get(cfg.source);
    if (!ex) {
      ex = makeExcluder(cfg.exclude, cfg.root);
      excluders.set(cfg.source, ex);
    }
    return ex(abs, isDir);
  };
  const rulesCache = new Map<string, { rules: Rule[]; unsafe: boolean }>();
  const rulesFor = (cfg: FileConfig | null): { rules: Rule[]; unsafe: boolean } => {
    const key = cfg?.source ?? '';
    let hit = rulesCache.get(key);
    if (!hit) {
      hit = {
        rules: selectRules(catalogue, options.select ?? cfg?.select, options.ignore ?? cfg?.ignore),
        unsafe: options.unsafeFixes ?? cfg?.unsafeFixes ?? false,
      };
      rulesCache.set(key, hit);
    }
    return hit;
  };
  const targets = new Map<string, TargetRange>();
  const target = (f: DiscoveredFile, cfg: FileConfig | null): TargetRange => {
    if (options.targetBlender) return options.targetBlender;
    if (cfg?.targetBlender) return cfg.targetBlender;
    let t = targets.get(f.addonRoot);
    if (!t) targets.set(f.addonRoot, (t = f.zip ? DEFAULT_TARGET : declaredTarget(f.addonRoot)));
    return t;
  };
  return {
    exclude,
    plan(f) {
      const display = displayPath(f.absPath, cwd);
      const cfg = configFor(path.dirname(f.absPath));
      if (cfg === 'error') return { f, display, configError: true };
      return { f, display, ...rulesFor(cfg), target: target(f, cfg) };
    },
    target(f) {
      const cfg = configFor(path.dirname(f.absPath));
      return target(f, cfg === 'error' ? null : cfg);
    },
  };
}
