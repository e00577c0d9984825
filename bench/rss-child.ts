// `node rss-child.js <out-file> <script> [args…]`: runs a Node script (the bgsafe CLI) in this process and,
// as the process exits, writes its peak RSS in KiB to <out-file>. The bench uses it when GNU time is
// missing; worker threads run inside this process, so process.resourceUsage().maxRSS includes them.
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [node, , out, script, ...rest] = process.argv;
process.argv = [node, script, ...rest];
process.on('exit', () => writeFileSync(out, `${process.resourceUsage().maxRSS}\n`));
await import(pathToFileURL(script).href);
