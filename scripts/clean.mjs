// Remove dist/ so that tests deleted from test/ do not linger as compiled files.
import { rmSync } from 'node:fs';
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
