// Stage write: with --write, each changed file replaces its original atomically (if the original did not
// change on disk meanwhile), and the new files that applied fixes asked for are created, never over an
// existing file. In a dry run the created files are only reported.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DiscoveredFile } from './discover.js';
import { encodeSource, type DecodedSource } from './read.js';
import { displayPath, emptyReport, type FileReport } from './report.js';

/** Write atomically: a temporary file in the same folder, the original's mode, then rename over it. */
export async function writeAtomic(file: string, data: Buffer): Promise<void> {
  const st = await fs.stat(file);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.bgsafe-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, 'wx', st.mode & 0o7777);
  try {
    await handle.writeFile(data);
    await handle.chmod(st.mode & 0o7777);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** Create a new file atomically and never over an existing one: write a temporary file, then hard-link
 *  it into place (which fails if the name exists), then remove the temporary name. */
export async function createAtomic(file: string, data: Buffer, mode = 0o644): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.bgsafe-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  await fs.writeFile(tmp, data, { flag: 'wx', mode });
  try {
    await fs.link(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** How a changed file was read: what writing it back needs besides its fixed text. */
export interface WriteBack {
  encoding: Omit<DecodedSource, 'text'>;
  mtimeMs?: number;
}

/** Write one changed file's output over it; sets `written`, or adds the reason it was not written. */
export async function writeFixed(fr: FileReport, f: DiscoveredFile, how: WriteBack): Promise<void> {
  if (f.zip) {
    fr.errors.push({
      path: fr.path,
      kind: 'write',
      message: `not written: it is inside ${path.basename(f.zip.archive)}, which bgsafe does not rewrite; unzip it, run \`bgsafe --write\` on the folder, and zip it again`,
    });
    return;
  }
  try {
    const now = await fs.stat(f.absPath);
    if (now.mtimeMs !== how.mtimeMs) throw Object.assign(new Error('the file changed while bgsafe ran; run bgsafe again'), { code: 'CHANGED' });
    await writeAtomic(f.absPath, encodeSource(fr.output, how.encoding));
    fr.written = true;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    fr.errors.push({ path: fr.path, kind: 'write', message: `not written: ${err.code === 'CHANGED' ? err.message : err.code ?? err.message}` });
  }
}

/**
 * The new files that applied fixes asked for (Fix.createFiles), once per path. A path that exists already,
 * or that would land outside the add-on of the file asking, is not created. With write, a file is created
 * only when a file asking for it was written.
 */
export async function createRequestedFiles(reports: FileReport[], files: DiscoveredFile[], cwd: string, write: boolean): Promise<FileReport[]> {
  const out = new Map<string, FileReport>();
  const rootOf = new Map(files.map((f) => [f.absPath, f.addonRoot]));
  for (const fr of reports) {
    if (!fr.changed || fr.createFiles.length === 0) continue;
    const root = rootOf.get(fr.absPath) ?? path.dirname(fr.absPath);
    for (const c of fr.createFiles) {
      const abs = path.resolve(path.dirname(fr.absPath), c.path);
      const rel = path.relative(root === fr.absPath ? path.dirname(root) : root, abs);
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        fr.errors.push({ path: fr.path, kind: 'internal', message: `internal error: a fix asked to create ${c.path}, outside the add-on; not created; please report it` });
        continue;
      }
      const existing = out.get(abs);
      if (existing) {
        if (existing.output !== c.text) fr.errors.push({ path: fr.path, kind: 'internal', message: `internal error: fixes asked for two different versions of ${existing.path}; the first was kept; please report it` });
        if (fr.written && write && !existing.written) await createOne(existing);
        continue;
      }
      try {
        await fs.lstat(abs);
        continue; // it exists: never touched
      } catch {
        // absent: create it
      }
      const created: FileReport = { ...emptyReport({ absPath: abs, addon: fr.addon }, displayPath(abs, cwd)), output: c.text, changed: true, created: true };
      out.set(abs, created);
      if (write && fr.written) await createOne(created);
    }
  }
  return [...out.values()];
}

async function createOne(fr: FileReport): Promise<void> {
  try {
    await fs.mkdir(path.dirname(fr.absPath), { recursive: true });
    await createAtomic(fr.absPath, Buffer.from(fr.output, 'utf8'));
    fr.written = true;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    fr.errors.push({ path: fr.path, kind: 'write', message: `not created: ${err.code ?? err.message}` });
  }
}
