import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

/** The checkout's root (tests run from dist/test/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
