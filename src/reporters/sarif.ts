// SARIF 2.1.0, for code-scanning tools (GitHub, GitLab, IDEs): the rules, one result per finding with its
// location, and each fix as replacements in the original file.
import type { RunReport } from '../runner.js';
import type { Rule } from '../types.js';
import { explainRule } from '../rules-doc.js';
import type { Reporter } from './reporter.js';

export function toSarif(report: RunReport, rules: Rule[], toolVersion: string): object {
  const index = new Map(rules.map((t, i) => [t.code, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'bgsafe',
            version: toolVersion,
            rules: rules.map((t) => ({
              id: t.code,
              name: t.slug,
              shortDescription: { text: t.summary },
              fullDescription: { text: t.docs.whatItFinds },
              help: { text: explainRule(t) },
              properties: { fix: t.fixKind, defaultEnabled: t.defaultEnabled },
            })),
          },
        },
        results: report.files.flatMap((f) =>
          f.findings.map((x) => ({
            ruleId: x.code,
            ...(index.has(x.code) ? { ruleIndex: index.get(x.code) } : {}),
            level: 'warning',
            message: { text: x.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: f.path },
                  region: { startLine: x.startPos.line, startColumn: x.startPos.column, endLine: x.endPos.line, endColumn: x.endPos.column },
                },
              },
            ],
            // A fix found on the file as read: its edits are offsets into that text.
            ...(x.fix
              ? {
                  fixes: [
                    {
                      description: { text: `${x.fix.description} (${x.fix.safety} fix)` },
                      artifactChanges: [
                        {
                          artifactLocation: { uri: f.path },
                          replacements: x.fix.edits.map((e) => ({
                            deletedRegion: { charOffset: e.start, charLength: e.end - e.start },
                            insertedContent: { text: e.text },
                          })),
                        },
                        ...(x.fix.createFiles ?? []).map((c) => ({
                          artifactLocation: { uri: `${f.path.split('/').slice(0, -1).concat(c.path).join('/')}` },
                          replacements: [{ deletedRegion: { charOffset: 0, charLength: 0 }, insertedContent: { text: c.text } }],
                        })),
                      ],
                    },
                  ],
                }
              : {}),
          })),
        ),
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: report.errors.map((e) => ({
              level: 'error',
              message: { text: `${e.kind}: ${e.message}` },
              locations: [
                {
                  physicalLocation: {
                    artifactLocation: { uri: e.path },
                    ...(e.line !== undefined ? { region: { startLine: e.line, startColumn: e.column ?? 1 } } : {}),
                  },
                },
              ],
            })),
          },
        ],
      },
    ],
  };
}

export function formatSarif(report: RunReport, rules: Rule[], toolVersion: string): string {
  return `${JSON.stringify(toSarif(report, rules, toolVersion), null, 2)}\n`;
}

export const sarifReporter: Reporter = {
  stdout: (report, { rules, toolVersion }) => formatSarif(report, rules, toolVersion),
  summaryToStderr: false,
};
