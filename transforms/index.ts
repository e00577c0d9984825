// The central table of rules, in code order. `bgsafe rules`, `bgsafe explain`, the README's table and
// the tests all read it.
import type { Transform } from '../src/types.js';
import { gpuInBackground } from './gpu-in-background.js';
import { keymapWithoutGuard } from './keymap-without-guard.js';
import { uiRegistrationGate } from './ui-registration-gate.js';

export const allTransforms: Transform[] = [gpuInBackground, keymapWithoutGuard, uiRegistrationGate];

export function transformByCode(code: string): Transform | undefined {
  const c = code.toUpperCase();
  return allTransforms.find((t) => t.code === c || t.slug === code.toLowerCase());
}
