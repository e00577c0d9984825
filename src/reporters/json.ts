// The JSON report, one document for a whole run; its shape is described by schema/report.schema.json
// and versioned by JSON_SCHEMA_VERSION so scripts can tell when it changes.
import type { RunReport } from '../runner.js';
import { fileDiff } from './diff.js';
import type { Reporter } from './reporter.js';

export const JSON_SCHEMA_VERSION = 1;

/** The JSON report; its shape is described by schema/report.schema.json. */
export function toJson(report: RunReport, mode: { write: boolean; check: boolean }, toolVersion: string): object {
  return {
    version: JSON_SCHEMA_VERSION,
    tool: { name: 'bgsafe', version: toolVersion },
    mode: mode.write ? 'write' : 'dry-run',
    ...(report.shard ? { shard: report.shard } : {}),
    summary: report.summary,
    addons: report.addons,
    files: report.files.map((f) => ({
      path: f.path,
      addon: f.addon,
      changed: f.changed,
      created: f.created,
      written: f.written,
      fixesApplied: f.fixesApplied,
      diff: f.changed ? fileDiff(f) : null,
    })),
    findings: report.files.flatMap((f) =>
      f.findings.map((x) => ({
        code: x.code,
        slug: x.slug,
        messageId: x.messageId,
        message: x.message,
        path: x.path,
        range: { start: x.startPos, end: x.endPos, startOffset: x.start, endOffset: x.end },
        // edits and createFiles let `bgsafe merge --format sarif` give the fixes as a run's SARIF does.
        fix: x.fix ? { safety: x.fix.safety, description: x.fix.description, edits: x.fix.edits.map((e) => ({ start: e.start, end: e.end, text: e.text })), ...(x.fix.createFiles ? { createFiles: x.fix.createFiles.map((c) => ({ path: c.path, text: c.text })) } : {}) } : null,
        fixStatus: x.fixStatus,
        applied: x.fixStatus === 'applied' && (mode.write ? f.written : true),
      })),
    ),
    unusedSuppressions: report.unusedSuppressions,
    errors: report.errors.map((e) => ({
      path: e.path,
      kind: e.kind,
      message: e.message,
      line: e.line ?? null,
      column: e.column ?? null,
      code: e.code ?? null,
    })),
  };
}

export function formatJson(report: RunReport, mode: { write: boolean; check: boolean }, toolVersion: string): string {
  return `${JSON.stringify(toJson(report, mode, toolVersion), null, 2)}\n`;
}

export const jsonReporter: Reporter = {
  stdout: (report, context) => formatJson(report, context, context.toolVersion),
  summaryToStderr: false,
};
