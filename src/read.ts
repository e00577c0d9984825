// Stage read: a file's bytes to text, byte-exactly. UTF-8 (with or without BOM) or, where a file is not
// valid UTF-8, Latin-1, which maps every byte to one character and back; the newlines stay as they are
// (CRLF included), and encodeSource gives the same bytes back for the write stage.
import { promises as fs, readFileSync } from 'node:fs';
import { extractZipEntry, readZip, type ZipEntry } from './zip.js';
import type { FileTask } from './protocol.js';

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

export function encodeSource(text: string, like: Omit<DecodedSource, 'text'>): Buffer {
  const body = Buffer.from(text, like.encoding === 'utf-8' ? 'utf8' : 'latin1');
  return like.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}

export async function readSource(file: string): Promise<DecodedSource> {
  return decodeSource(await fs.readFile(file));
}

export type ReadResult = { decoded: DecodedSource; mtimeMs?: number } | { readError: string };

/** A task's file, decoded; with the mtime the write stage compares against before it writes. */
export async function readTask(task: FileTask): Promise<ReadResult> {
  if (task.zip) {
    try {
      return { decoded: decodeSource(zipEntryBytes(task.zip.archive, task.zip.entry)) };
    } catch (e) {
      return { readError: `cannot read from the .zip: ${(e as Error).message}` };
    }
  }
  try {
    const bytes = await fs.readFile(task.absPath);
    const mtimeMs = (await fs.stat(task.absPath)).mtimeMs;
    return { decoded: decodeSource(bytes), mtimeMs };
  } catch (e) {
    return { readError: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

// The last archive read: the files of one add-on come to one thread one after another (pool.ts), so each
// archive is read once, and at most one is held at a time.
let lastZip: { archive: string; buf: Buffer; entries: Map<string, ZipEntry> } | undefined;

/** Drop the archive held for reading (the run is over). */
export function releaseReadCache(): void {
  lastZip = undefined;
}

function zipEntryBytes(archive: string, entry: string): Buffer {
  if (lastZip?.archive !== archive) {
    lastZip = undefined;
    const buf = readFileSync(archive);
    lastZip = { archive, buf, entries: new Map(readZip(buf).map((e) => [e.name, e])) };
  }
  const e = lastZip.entries.get(entry);
  if (!e) throw new Error(`no entry ${entry}`);
  return extractZipEntry(lastZip.buf, e);
}
