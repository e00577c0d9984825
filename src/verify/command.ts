// `bgsafe verify <addons..>` for yargs. The handler prints and sets process.exitCode (0 all passed, 1 any
// failed, 2 could not run); user errors print one line, never a stack trace, and never throw.
import type { Argv, CommandModule } from 'yargs';
import { formatMatrixText, formatVerifyJson, formatVerifyText } from './format.js';
import { verifyMatrix } from './matrix.js';
import { VerifyUsageError } from './types.js';
import { abortAll, DEFAULT_TIMEOUT_S, exitCodeFor, verifyAddons } from './verify.js';

interface VerifyArgs {
  addons: string[];
  blender?: string | string[];
  timeout: number;
  script?: string;
  format: 'text' | 'json';
  jobs?: number;
  'keep-temp': boolean;
}

export const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify <addons..>',
  describe: 'run add-ons in real headless Blender: enabled at start-up and from a script, disabled, enabled again',
  builder: (y: Argv) =>
    y
      .positional('addons', { type: 'string', array: true, demandOption: true, describe: 'add-ons: a module.py, a package folder or a .zip' })
      .option('blender', { type: 'string', describe: 'the Blender to run (default: $BLENDER, else `blender` on PATH); repeat it to verify on several versions in one run (one row per add-on and version, then a table)' })
      .option('timeout', { type: 'number', default: DEFAULT_TIMEOUT_S, describe: 'seconds one Blender run may take before it is killed and reported as a hang' })
      .option('script', { type: 'string', describe: 'a Python file run inside Blender after the add-on is enabled, to exercise it headless' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'stdout: text, or json (a VerifyReport, "version": 1)' })
      .option('jobs', { alias: 'j', type: 'number', describe: 'Blender processes at once (default: the number of cores)' })
      .option('keep-temp', { type: 'boolean', default: false, describe: "keep each add-on's temporary Blender folders (printed to stderr)" })
      .epilog(
        'Each add-on runs in fresh `blender --background` processes with its own temporary preferences and scripts folder ' +
          '(never your own): enabled at start-up from saved preferences, and with addon_utils.enable; then disabled and ' +
          'enabled again; then --script. Failures name the exception, the add-on\'s file:line and the bgsafe rule that fixes it.\n\n' +
          'With several --blender, the JSON is a VerifyMatrixReport: `rows` (one per add-on and Blender) and `table`.\n\n' +
          'Exit codes: 0 all passed; 1 any failed (exception, crash or hang); 2 could not run (bad path, no Blender).',
      ) as unknown as Argv<VerifyArgs>,
  handler: async (args) => {
    const onSignal = (sig: NodeJS.Signals) => {
      abortAll();
      process.stderr.write(`bgsafe verify: interrupted (${sig}); Blender processes stopped\n`);
      process.exit(130);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const blenders = args.blender === undefined ? [] : Array.isArray(args.blender) ? args.blender.map(String) : [String(args.blender)];
      const options = { timeout: args.timeout, script: args.script, jobs: args.jobs, keepTemp: args['keep-temp'] };
      if (blenders.length > 1) {
        const matrix = await verifyMatrix(args.addons, blenders, options);
        process.stdout.write(args.format === 'json' ? `${JSON.stringify(matrix, null, 2)}\n` : formatMatrixText(matrix));
        process.exitCode = matrix.status === 'pass' ? 0 : matrix.status === 'fail' ? 1 : 2;
        return;
      }
      const report = await verifyAddons(args.addons, { ...options, blender: blenders[0] });
      process.stdout.write(args.format === 'json' ? formatVerifyJson(report) : formatVerifyText(report));
      process.exitCode = exitCodeFor(report);
    } catch (e) {
      if (!(e instanceof VerifyUsageError)) throw e;
      process.stderr.write(`bgsafe verify: ${e.message.split('\n').join('\nbgsafe verify: ')}\n`);
      process.exitCode = 2;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
