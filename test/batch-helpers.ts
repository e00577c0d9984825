// Shared by the shard, merge and github-format tests: the real binary, temporary trees, and a canonical
// form of a report that sorts every array and object key (so "equal after sorting" means just that,
// independently of the order bgsafe merge itself chooses).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { repoRoot } from './helpers.js';

export const bin = path.join(repoRoot, 'bin', 'bgsafe.js');
export const DEBIAN_ADDONS = '/usr/share/blender/scripts/addons';
export const NO_DEBIAN = "no /usr/share/blender/scripts/addons: install Debian's blender (apt-get install -y --no-install-recommends blender)";

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function bgsafe(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Result {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(tag: string): string {
  return mkdtempSync(path.join(tmpdir(), `bgsafe-${tag}-`));
}

/** Write files (path relative to `root` → text), making folders as needed. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const abs = path.join(root, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
}

/** A copy of the project's whole small add-ons (fixtures/addons) as `<dir>/addons`. */
export function fixtureBatch(tag: string): string {
  const dir = tempDir(tag);
  cpSync(path.join(repoRoot, 'fixtures', 'addons'), path.join(dir, 'addons'), { recursive: true });
  return dir;
}

/** Every file under `dir` (relative path → base64 of its bytes). */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical).map((x) => [JSON.stringify(x), x] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, x]) => x);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  return v;
}

/** A JSON text with every array sorted and every object's keys sorted. */
export function sortedJson(text: string): string {
  return `${JSON.stringify(canonical(JSON.parse(text)), null, 2)}\n`;
}

/** Lines sorted, for text outputs compared "after sorting". */
export const sortedLines = (s: string): string => s.split('\n').sort().join('\n');

/** The shard the documented rule gives a key: 1 + (first 4 bytes of SHA-256(key), big-endian) mod N. The
 *  shell one-liner from the docs where sha256sum exists, else node's SHA-256. */
export function documentedShard(key: string, count: number): number {
  const r = spawnSync('sh', ['-c', 'printf %s "$1" | sha256sum | cut -c1-8', 'sh', key], { encoding: 'utf8' });
  const hex = r.status === 0 && /^[0-9a-f]{8}$/.test(r.stdout.trim()) ? r.stdout.trim() : createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 8);
  return 1 + (parseInt(hex, 16) % count);
}

const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schema', 'report.schema.json'), 'utf8'));
/** ajv's verdict on a JSON report against schema/report.schema.json: null, or its errors. */
export function schemaErrors(report: unknown): string | null {
  const ajv = new (Ajv as unknown as typeof Ajv.default)({ allErrors: true });
  return ajv.validate(schema, structuredClone(report)) ? null : JSON.stringify(ajv.errors, null, 2);
}
