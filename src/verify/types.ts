// The data `bgsafe verify` produces. The JSON format is this, serialised as is (see format.ts).

export interface PythonFrame {
  file: string;
  line: number;
  function: string;
  /** The source line, when Python printed it. */
  code: string;
}

export interface PythonError {
  /** Exception class, e.g. `AttributeError`. */
  type: string;
  message: string;
  /** Outermost call first, as in a traceback. */
  frames: PythonFrame[];
  /** The traceback as Python printed it. */
  text: string;
}

/** How the add-on was enabled. */
export type VerifyCase = 'startup' | 'script';

/** `startup`: enabled at start-up from saved preferences; `enable`: addon_utils.enable; `disable`;
 *  `re-enable`; `script`: the --script; `prep`: writing the preferences; `quit`: Blender exiting. */
export type VerifyStep = 'prep' | 'startup' | 'enable' | 'disable' | 're-enable' | 'script' | 'quit';

export interface VerifyFailure {
  case: VerifyCase;
  step: VerifyStep;
  /** `exception`: a Python exception; `not-enabled`: no exception but the add-on is not (or still)
   *  enabled; `crash`: Blender died (signal or non-zero exit); `hang`: killed after --timeout;
   *  `internal`: bgsafe's driver failed. */
  kind: 'exception' | 'not-enabled' | 'crash' | 'hang' | 'internal';
  /** One line: the exception as Python prints its last line, or what happened. */
  message: string;
  exception?: { type: string; message: string };
  /** The add-on's own frame, innermost: the path is the user's (inside a zip: `x.zip!/dir/file.py`). */
  location?: { file: string; line: number; function: string; code: string };
  /** Full traceback (or crash log's Python stack) as printed. */
  traceback?: string;
  /** The bgsafe rule whose errorPatterns match the exception, if one does. */
  rule?: { code: string; slug: string };
  /** `bgsafe --write <path>`, when a rule covers the failure and the add-on is a file or folder. */
  fix?: string;
  /** Crash: the signal (`SIGSEGV`) or exit code. */
  signal?: string;
  exitCode?: number;
}

export interface AddonReport {
  /** The argument as given. */
  path: string;
  /** Python module name Blender imports it as. */
  module?: string;
  kind?: 'file' | 'folder' | 'zip';
  status: 'pass' | 'fail' | 'error';
  /** Blender's version as it reported itself. */
  blenderVersion?: string;
  /** Steps that ran to the end without failing, per case, in order. */
  passed: Array<{ case: VerifyCase; step: VerifyStep }>;
  failures: VerifyFailure[];
  /** status `error`: why it could not be verified (bad path, not an add-on, Blender would not run). */
  error?: string;
  durationMs: number;
}

export interface VerifyReport {
  /** Version of this JSON shape. */
  version: 1;
  tool: { name: 'bgsafe'; version: string };
  blender: { path: string; version?: string };
  /** `pass` only when every add-on passed. */
  status: 'pass' | 'fail' | 'error';
  addons: AddonReport[];
  durationMs: number;
}

export interface VerifyOptions {
  /** Blender executable; resolved by `findBlender` when absent. */
  blender?: string;
  /** Seconds a single Blender run may take before it is killed and reported as a hang. Default 60. */
  timeout?: number;
  /** A Python file run inside Blender after the add-on is enabled. */
  script?: string;
  /** Blender processes at once. Default: the number of cores. */
  jobs?: number;
  /** Rules to name for failures; default `allRules`. */
  rules?: VerifyRule[];
  /** Keep the temporary folders (their paths are printed to stderr). */
  keepTemp?: boolean;
  /** Environment for finding Blender and for Blender itself (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** A user error: printed as one line, exit code 2, never a stack trace. */
export class VerifyUsageError extends Error {
  override name = 'VerifyUsageError';
}

/** What verify needs of a rule to name it for a failure (a Rule fits). */
export interface VerifyRule {
  code: string;
  slug: string;
  errorPatterns?: RegExp[];
  errorFrames?: RegExp[];
  fixKind?: 'safe' | 'unsafe' | 'report-only';
  defaultEnabled?: boolean;
}
