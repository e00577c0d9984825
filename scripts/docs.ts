// Regenerates the rule table in README.md from the rules' metadata (`npm run docs`).
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../src/version.js';
import { withRuleTable } from '../src/rules-doc.js';
import { allRules } from '../rules/index.js';

const readme = path.join(packageRoot, 'README.md');
const text = readFileSync(readme, 'utf8');
const next = withRuleTable(text, allRules);
if (next !== text) writeFileSync(readme, next);
process.stdout.write(next === text ? 'README.md rule table is up to date\n' : 'README.md rule table updated\n');
