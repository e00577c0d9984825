// --stdin-filename PATH, for editors that pipe a buffer (as ruff's option of that name): the text comes
// from stdin, and everything else from PATH as if `bgsafe PATH` were run: the add-on it belongs to, its
// pyproject.toml ([tool.bgsafe]), the Blender versions the add-on declares and its other files, all read
// from disk as they are there (a bl_info edited in the buffer only counts once saved). PATH need not exist
// (an unsaved buffer). Nothing is ever written to disk: a dry
// run prints the diff of the buffer (or --format text/json/sarif); --write prints the fixed buffer, whole,
// to stdout (the buffer as it was when nothing changes), for the editor to put in its place.
import { existsSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { addonOfFile, discover, type DiscoveredFile, type DiscoveryProblem } from './discover.js';
import { decodeSource, encodeSource, type DecodedSource } from './read.js';
import type { RunReport } from './report.js';

/** The buffer as bytes → text, byte-exactly (a BOM and Latin-1 kept, as for a file read from disk). */
export function decodeStdin(bytes: Uint8Array): DecodedSource {
  return decodeSource(bytes);
}

/** The file PATH names, as discover() would give it; built the same way when PATH does not exist. */
export async function stdinFile(p: string, cwd: string): Promise<{ files: DiscoveredFile[]; problems: DiscoveryProblem[] }> {
  const abs = path.resolve(cwd, p);
  if (p.toLowerCase().endsWith('.zip')) return { files: [], problems: [{ path: p, message: '--stdin-filename takes the path of a .py file, not a .zip' }] };
  if (existsSync(abs)) {
    if (!statSync(abs).isFile()) return { files: [], problems: [{ path: p, message: '--stdin-filename takes the path of a file, not a folder' }] };
    return discover([p], cwd, () => false);
  }
  const dir = path.dirname(abs);
  const real = path.join(existsSync(dir) ? realpathSync(dir) : dir, path.basename(abs));
  return { files: [{ absPath: real, ...addonOfFile(real) }], problems: [] };
}

/** With --write: the fixed buffer, encoded as it came (or as it was, when nothing changed or it failed). */
export function fixedBuffer(report: RunReport, input: DecodedSource): Buffer {
  const fr = report.files.find((f) => !f.created);
  const text = fr && fr.changed ? fr.output : input.text;
  return encodeSource(text, input);
}

/** With --write: the new files the buffer's fixes need, which bgsafe does not create from stdin. */
export function uncreatedNote(report: RunReport, p: string): string {
  const created = report.files.filter((f) => f.created);
  if (created.length === 0) return '';
  return `bgsafe: the fixed buffer needs ${created.map((f) => f.path).join(', ')}, which --stdin-filename does not create; run \`bgsafe --write ${p}\` once to create it\n`;
}
