// STUB: to be written.
import type { Transform } from '../src/types.js';

export const gpuInBackground: Transform = {
  code: 'BGS001',
  slug: 'gpu-in-background',
  summary: 'stub',
  fixKind: 'safe',
  defaultEnabled: true,
  docs: { whatItFinds: '', whyItBreaks: '', example: { before: '', after: '' }, fixSafety: '' },
  messages: {},
  prefilter: [],
  check() {},
};
