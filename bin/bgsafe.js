#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm ci` through the prepare script, or `npm run build`).
import('../dist/src/cli.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist')) {
    process.stderr.write('bgsafe: not built yet; run `npm ci` (or `npm run build`) in the bgsafe checkout first\n');
    process.exit(2);
  }
  throw e;
});
