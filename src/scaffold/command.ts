// `bgsafe scaffold service <addon>` for yargs. The handler prints what it wrote and sets process.exitCode
// (0 written, 2 a usage error); user errors print one line and never throw.
import type { Argv, CommandModule } from 'yargs';
import * as path from 'node:path';
import { scaffoldService, ScaffoldUsageError } from './service.js';
import { parseStart } from './start.js';

interface ScaffoldArgs {
  kind: string;
  addon: string;
  out?: string;
  force: boolean;
  start?: string | string[];
}

export const scaffoldCommand: CommandModule<object, ScaffoldArgs> = {
  command: 'scaffold <kind> <addon>',
  describe: 'write files that run an add-on headless (kind: service — a launcher and the script Blender runs)',
  builder: (y: Argv) =>
    y
      .positional('kind', { type: 'string', choices: ['service'], demandOption: true, describe: 'what to write: service' })
      .positional('addon', { type: 'string', demandOption: true, describe: 'the add-on: a package folder or a module .py' })
      .option('out', { type: 'string', describe: 'folder for the two files (default: the folder that holds the add-on)' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite the files if they exist' })
      .option('start', {
        type: 'string',
        describe:
          'an operator the service script calls after enabling the add-on, for a service that only an operator starts: ' +
          '"IDNAME key=value ..." (e.g. --start "myaddon.start_server port=9876"); repeatable, called in order with ' +
          "EXEC_DEFAULT; the service stops (exit 1) unless it returns {'FINISHED'} or {'RUNNING_MODAL'}",
      })
      .epilog(
        'service: writes <addon>_service.py, a launcher run with python3 that starts `blender --background --factory-startup ' +
          '--python <addon>_service_blender.py` (Blender from $BLENDER, else `blender`) with the add-on in a private scripts ' +
          'folder, passes SIGINT/SIGTERM on and exits with Blender\'s exit code; and <addon>_service_blender.py, which enables ' +
          'the add-on, calls the --start operators, runs its bgsafe_runtime (timers and asyncio) until SIGTERM/SIGINT, disables ' +
          'it and quits with 0.\n\n' +
          'The launcher prints "service: ready: <addon>" on stderr once the add-on is enabled and started, and with ' +
          '--ready-file PATH writes that file then (JSON; removed when the service stops). It starts Blender without the ' +
          "caller's virtualenv, conda, pyenv or other Python installation on PATH (--keep-python-env keeps them); see its --help.\n\n" +
          'Exit codes: 0 written; 2 a usage error (bad path, files exist).',
      ) as unknown as Argv<ScaffoldArgs>,
  handler: (args) => {
    try {
      const start = ([] as string[]).concat(args.start ?? []).map((s) => parseStart(String(s)));
      const r = scaffoldService({ addon: args.addon, out: args.out, force: args.force, start });
      const rel = (p: string): string => path.relative(process.cwd(), p) || p;
      process.stdout.write(
        `wrote ${rel(r.launcher)} (the launcher) and ${rel(r.script)} (run inside Blender)\n` +
          `start the service: python3 ${rel(r.launcher)} [--ready-file PATH]   (BLENDER=/path/to/blender to choose a Blender)\n`,
      );
      for (const op of r.start) {
        const args = ["'EXEC_DEFAULT'", ...Object.entries(op.properties).map(([k, v]) => `${k}=${typeof v === 'boolean' ? (v ? 'True' : 'False') : JSON.stringify(v)}`)];
        process.stdout.write(`after enabling the add-on, the service script calls bpy.ops.${op.idname}(${args.join(', ')})\n`);
      }
      for (const n of r.notes) process.stderr.write(`bgsafe scaffold: note: ${n}\n`);
      process.exitCode = 0;
    } catch (e) {
      if (!(e instanceof ScaffoldUsageError)) throw e;
      process.stderr.write(`bgsafe scaffold: ${e.message}\n`);
      process.exitCode = 2;
    }
  },
};
