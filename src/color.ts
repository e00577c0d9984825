// Colour for what a person reads on a terminal: the diff, the text format, and the hunks of --interactive.
// picocolors does the escapes; whether to colour is decided here, per stream, instead of by picocolors'
// own guess (which colours a pipe whenever $CI is set, and would break `bgsafe --color auto | git apply`).
import pc from 'picocolors';

export type ColorMode = 'auto' | 'always' | 'never';
export const COLOR_MODES: ColorMode[] = ['auto', 'always', 'never'];

export type Colors = ReturnType<typeof pc.createColors>;

/**
 * Whether to colour what goes to `stream`. `--color always` / `never` win; with `auto`, FORCE_COLOR (set
 * and not `0` or `false`) turns colour on and then NO_COLOR (set and not empty, https://no-color.org)
 * turns it off, the order Node's own tty.getColorDepth uses; else colour when the stream is a terminal
 * whose TERM is not `dumb`.
 */
export function colorEnabled(mode: ColorMode, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function colors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}

/** Colour one line, keeping a CR at its end (a CRLF file's line) outside the escapes. */
function paint(line: string, f: (s: string) => string): string {
  if (line === '') return line;
  return line.endsWith('\r') ? `${f(line.slice(0, -1))}\r` : f(line);
}

/**
 * Colour a unified diff of one file as `git diff` does: the ---/+++ header bold, hunk headers cyan,
 * removed lines red, added lines green. Only the escapes are added: without them the text is the same.
 * The header is the lines before the first @@; inside hunks a line that starts with `---` is a removal.
 */
export function colorPatch(patch: string, c: Colors): string {
  if (!c.isColorSupported) return patch;
  let inHunk = false;
  return patch
    .split('\n')
    .map((line) => {
      if (line.startsWith('@@')) {
        inHunk = true;
        return paint(line, c.cyan);
      }
      if (!inHunk) return paint(line, c.bold);
      if (line.startsWith('+')) return paint(line, c.green);
      if (line.startsWith('-')) return paint(line, c.red);
      if (line.startsWith('\\')) return paint(line, c.dim);
      return line;
    })
    .join('\n');
}
