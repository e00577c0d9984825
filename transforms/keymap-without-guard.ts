// STUB: to be written.
import type { Transform } from '../src/types.js';

export const keymapWithoutGuard: Transform = {
  code: 'BGS002',
  slug: 'keymap-without-guard',
  summary: 'stub',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: { whatItFinds: '', whyItBreaks: '', example: { before: '', after: '' }, fixSafety: '' },
  messages: {},
  prefilter: [],
  check() {},
};
