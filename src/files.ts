// Reading and writing source files byte-exactly: UTF-8 (with or without BOM) or, where a file is not
// valid UTF-8, Latin-1, which maps every byte to one character and back.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface DecodedSource {
  text: string;
  bom: boolean;
  encoding: 'utf-8' | 'latin1';
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeSource(bytes: Uint8Array): DecodedSource {
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  try {
    return { text: utf8.decode(body), bom, encoding: 'utf-8' };
  } catch {
    return { text: Buffer.from(body).toString('latin1'), bom, encoding: 'latin1' };
  }
}

export function encodeSource(text: string, like: DecodedSource): Buffer {
  const body = Buffer.from(text, like.encoding === 'utf-8' ? 'utf8' : 'latin1');
  return like.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}

export async function readSource(file: string): Promise<DecodedSource> {
  return decodeSource(await fs.readFile(file));
}

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
