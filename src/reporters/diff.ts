// The default format: a unified diff of every change, with a/ b/ headers so `git apply` and
// `patch -p1` take it as it is. Findings the diff cannot show are listed by the stderr summary.
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { FileReport, RunReport } from '../runner.js';
import type { Reporter } from './reporter.js';
import { colorPatch, colors } from '../color.js';

/** A unified diff of one file with a/ b/ headers, as `git apply` and `patch -p1` take it. */
export function fileDiff(f: FileReport): string {
  if (!f.changed) return '';
  const patch = createTwoFilesPatch(f.created ? '/dev/null' : `a/${f.path}`, `b/${f.path}`, f.original, f.output, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
  return patch.endsWith('\n') ? patch : `${patch}\n`;
}

/** Every changed file's diff; with color, coloured as `git diff` colours it (src/color.ts). */
export function formatDiff(report: RunReport, color = false): string {
  const c = colors(color);
  return report.files.map((f) => colorPatch(fileDiff(f), c)).join('');
}

export const diffReporter: Reporter = {
  // After --write the changes are already on disk: a diff then would only be applied twice by a
  // `bgsafe --write | git apply` pipeline, so nothing is printed and the summary says what was written.
  stdout: (report, { write, color }) => (write ? '' : formatDiff(report, color === true)),
  summaryToStderr: true,
};
