// A small zip reader (for .zip add-ons): the central directory, stored and deflated entries. No zip64, no
// encryption.
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  localHeaderOffset: number;
}

export function readZip(buf: Buffer): ZipEntry[] {
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('no end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  if (at === 0xffffffff || count === 0xffff) throw new Error('zip64 is not supported');
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory');
    const flags = buf.readUInt16LE(at + 8);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const name = buf.toString(flags & 0x800 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLen).replace(/\\/g, '/');
    entries.push({
      name,
      method: buf.readUInt16LE(at + 10),
      compressedSize: buf.readUInt32LE(at + 20),
      localHeaderOffset: buf.readUInt32LE(at + 42),
    });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

export function extractZipEntry(buf: Buffer, e: ZipEntry): Buffer {
  const h = e.localHeaderOffset;
  if (buf.readUInt32LE(h) !== 0x04034b50) throw new Error(`bad local header for ${e.name}`);
  const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
  const data = buf.subarray(start, start + e.compressedSize);
  if (e.method === 0) return Buffer.from(data);
  if (e.method === 8) return inflateRawSync(data);
  throw new Error(`${e.name}: unsupported compression method ${e.method}`);
}

// Writing back (`--write` on a .zip add-on): a new archive from the old one's bytes. Every entry that does
// not change is copied byte for byte (local header, extra fields, compressed data, data descriptor, central
// record); only its offset in the central directory is updated. A changed entry keeps its name, its place,
// its compression method, its attributes and its other extra fields, and gets the new data, CRC, sizes, and
// the time of the write (also in an extended-timestamp extra field, where it has one). New entries go at
// the end, with the attributes of the entry that asked for them.

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const DESCRIPTOR = 0x08074b50;

interface RawEntry {
  name: string;
  central: Buffer;
  flags: number;
  method: number;
  localHeaderOffset: number;
  /** The local header, data and any data descriptor: [start, end). */
  spanEnd: number;
}

export interface ZipAddition {
  name: string;
  data: Buffer;
  /** An existing entry whose attributes (version made by, external attributes) the new one takes. */
  like?: string;
}

function findEnd(buf: Buffer): number {
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) if (buf.readUInt32LE(i) === END) return i;
  throw new Error('no end of central directory');
}

function rawEntries(buf: Buffer): { entries: RawEntry[]; end: number; cdOffset: number } {
  const end = findEnd(buf);
  if (buf.readUInt16LE(end + 4) !== 0 || buf.readUInt16LE(end + 6) !== 0) throw new Error('multi-disk archives are not supported');
  const count = buf.readUInt16LE(end + 10);
  const cdOffset = buf.readUInt32LE(end + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) throw new Error('zip64 is not supported');
  const entries: RawEntry[] = [];
  let at = cdOffset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL) throw new Error('bad central directory');
    const flags = buf.readUInt16LE(at + 8);
    const compressedSize = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const len = 46 + nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
    const central = buf.subarray(at, at + len);
    const h = buf.readUInt32LE(at + 42);
    if (compressedSize === 0xffffffff || buf.readUInt32LE(at + 24) === 0xffffffff || h === 0xffffffff) throw new Error('zip64 is not supported');
    if (h + 30 > buf.length || buf.readUInt32LE(h) !== LOCAL) throw new Error('bad local header');
    let spanEnd = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28) + compressedSize;
    if (flags & 0x8) spanEnd += spanEnd + 4 <= buf.length && buf.readUInt32LE(spanEnd) === DESCRIPTOR ? 16 : 12;
    if (spanEnd > buf.length) throw new Error('an entry runs past the end of the archive');
    entries.push({
      name: buf.toString(flags & 0x800 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLen).replace(/\\/g, '/'),
      central,
      flags,
      method: buf.readUInt16LE(at + 10),
      localHeaderOffset: h,
      spanEnd,
    });
    at += len;
  }
  return { entries, end, cdOffset };
}

/** The names of an archive's entries. */
export function zipEntryNames(buf: Buffer): Set<string> {
  return new Set(readZip(buf).map((e) => e.name));
}

function dosTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** Extra fields with the extended timestamp's modification time set to `unix`; NTFS times (0x000a) and
 *  zip64 sizes (0x0001) are dropped rather than left stale. */
function refreshExtra(extra: Buffer, unix: number): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 4 <= extra.length) {
    const id = extra.readUInt16LE(i);
    const size = extra.readUInt16LE(i + 2);
    const field = Buffer.from(extra.subarray(i, i + 4 + size));
    i += 4 + size;
    if (id === 0x000a || id === 0x0001) continue; // (a zip64 field would hold the old sizes)
    if (id === 0x5455 && size >= 5 && field[4] & 1) field.writeUInt32LE(unix >>> 0, 5);
    parts.push(field);
  }
  if (i < extra.length) parts.push(Buffer.from(extra.subarray(i)));
  return Buffer.concat(parts);
}

/** What a local header (from byte 6) and a central record (from byte 8) hold alike, in the same order. */
interface EntryFields {
  flags: number;
  method: number;
  time: number;
  date: number;
  crc: number;
  compressed: number;
  size: number;
}

function writeEntryFields(b: Buffer, at: number, f: EntryFields): void {
  b.writeUInt16LE(f.flags, at);
  b.writeUInt16LE(f.method, at + 2);
  b.writeUInt16LE(f.time, at + 4);
  b.writeUInt16LE(f.date, at + 6);
  b.writeUInt32LE(f.crc, at + 8);
  b.writeUInt32LE(f.compressed, at + 12);
  b.writeUInt32LE(f.size, at + 16);
}

function compress(method: number, data: Buffer): { method: number; bytes: Buffer } {
  if (method === 0) return { method: 0, bytes: data };
  return { method: 8, bytes: deflateRawSync(data) };
}

/**
 * The archive `buf` with the entries in `changes` (by name) given new contents and `additions` appended.
 * Throws on what it cannot write faithfully (zip64, several disks, an encrypted entry to change).
 */
export function rewriteZip(buf: Buffer, changes: Map<string, Buffer>, additions: ZipAddition[], now = new Date()): Buffer {
  const { entries, end } = rawEntries(buf);
  const names = new Set(entries.map((e) => e.name));
  for (const name of changes.keys()) if (!names.has(name)) throw new Error(`no entry ${name}`);
  for (const a of additions) if (names.has(a.name)) throw new Error(`${a.name} exists already`);
  if (entries.length + additions.length >= 0xffff) throw new Error('too many entries (zip64 is not supported)');
  const { time, date } = dosTime(now);
  const unix = Math.floor(now.getTime() / 1000);
  const out: Buffer[] = [];
  let pos = 0;
  const push = (b: Buffer): void => {
    out.push(b);
    pos += b.length;
  };
  // Whatever precedes the first entry (a stub) is kept.
  const byOffset = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  if (byOffset.length > 0 && byOffset[0].localHeaderOffset > 0) push(buf.subarray(0, byOffset[0].localHeaderOffset));
  const centrals = new Map<RawEntry, Buffer>();
  for (const e of byOffset) {
    const offset = pos;
    const data = changes.get(e.name);
    if (!data) {
      push(buf.subarray(e.localHeaderOffset, e.spanEnd));
      const c = Buffer.from(e.central);
      c.writeUInt32LE(offset, 42);
      centrals.set(e, c);
      continue;
    }
    if (e.flags & 0x1) throw new Error(`${e.name} is encrypted`);
    const h = e.localHeaderOffset;
    const nameLen = buf.readUInt16LE(h + 26);
    const localExtra = refreshExtra(buf.subarray(h + 30 + nameLen, h + 30 + nameLen + buf.readUInt16LE(h + 28)), unix);
    const { method, bytes } = compress(e.method, data);
    const crc = crc32(data);
    const flags = e.flags & ~0x8 & ~0x6; // no data descriptor; the deflate-level bits no longer say anything
    const needed = Math.max(buf.readUInt16LE(h + 4), method === 8 ? 20 : 10);
    const fields: EntryFields = { flags, method, time, date, crc, compressed: bytes.length, size: data.length };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(needed, 4);
    writeEntryFields(local, 6, fields);
    local.writeUInt16LE(nameLen, 26);
    local.writeUInt16LE(localExtra.length, 28);
    push(Buffer.concat([local, buf.subarray(h + 30, h + 30 + nameLen), localExtra, bytes]));
    const c = e.central;
    const cNameLen = c.readUInt16LE(28);
    const cExtraLen = c.readUInt16LE(30);
    const centralExtra = refreshExtra(c.subarray(46 + cNameLen, 46 + cNameLen + cExtraLen), unix);
    const head = Buffer.from(c.subarray(0, 46));
    head.writeUInt16LE(Math.max(c.readUInt16LE(6), needed), 6);
    writeEntryFields(head, 8, fields);
    head.writeUInt16LE(centralExtra.length, 30);
    head.writeUInt32LE(offset, 42);
    centrals.set(e, Buffer.concat([head, c.subarray(46, 46 + cNameLen), centralExtra, c.subarray(46 + cNameLen + cExtraLen)]));
  }
  const added: Buffer[] = [];
  for (const a of additions) {
    const offset = pos;
    const like = a.like ? entries.find((e) => e.name === a.like) : undefined;
    const nameBytes = Buffer.from(a.name, 'utf8');
    const flags = /[^\x00-\x7f]/.test(a.name) ? 0x800 : 0;
    const { bytes } = compress(8, a.data);
    const crc = crc32(a.data);
    const fields: EntryFields = { flags, method: 8, time, date, crc, compressed: bytes.length, size: a.data.length };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4);
    writeEntryFields(local, 6, fields);
    local.writeUInt16LE(nameBytes.length, 26);
    push(Buffer.concat([local, nameBytes, bytes]));
    const c = Buffer.alloc(46);
    c.writeUInt32LE(CENTRAL, 0);
    c.writeUInt16LE(like ? like.central.readUInt16LE(4) : (3 << 8) | 20, 4); // made by: as its sibling, else Unix
    c.writeUInt16LE(20, 6);
    writeEntryFields(c, 8, fields);
    c.writeUInt16LE(nameBytes.length, 28);
    c.writeUInt16LE(like ? like.central.readUInt16LE(36) : 0, 36);
    c.writeUInt32LE(like ? like.central.readUInt32LE(38) : ((0o100644 << 16) >>> 0), 38);
    c.writeUInt32LE(offset, 42);
    added.push(Buffer.concat([c, nameBytes]));
  }
  const cdStart = pos;
  // The central directory in its old order, then the new entries.
  for (const e of entries) push(centrals.get(e)!);
  for (const c of added) push(c);
  const eocd = Buffer.from(buf.subarray(end));
  eocd.writeUInt16LE(entries.length + additions.length, 8);
  eocd.writeUInt16LE(entries.length + additions.length, 10);
  eocd.writeUInt32LE(pos - cdStart, 12);
  eocd.writeUInt32LE(cdStart, 16);
  push(eocd);
  return Buffer.concat(out);
}
