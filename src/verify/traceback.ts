// Reading what Blender prints: Python tracebacks on stderr, and the "# Python backtrace" section of the
// crash log Blender writes (to $TMPDIR/blender.crash.txt) when it dies of a signal. Pure functions.
import type { PythonError, PythonFrame } from './types.js';

const TRACEBACK_START = 'Traceback (most recent call last):';
// `  File "/path/x.py", line 47, in register`
const FRAME = /^\s*File "(.*)", line (\d+), in (.*)$/;
// Python's faulthandler, as in Blender's crash log: `  File "/path/x.py", line 22 in register`
const CRASH_FRAME = /^\s*File "(.*)", line (\d+) in (.*)$/;
// `AttributeError: 'NoneType' object has no attribute 'keymaps'`, `mod.sub.Error: ...`, or a bare `KeyError`
const EXCEPTION_LINE = /^([A-Za-z_][\w.]*)(?::\s?(.*))?$/;

/** Every traceback in `text` (Blender's stderr), outermost exception last, as Python prints them. */
export function parseTracebacks(text: string): PythonError[] {
  const lines = text.split(/\r?\n/);
  const errors: PythonError[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== TRACEBACK_START) continue;
    const start = i;
    const frames: PythonFrame[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j];
      const m = FRAME.exec(line);
      if (m) {
        frames.push({ file: m[1], line: Number(m[2]), function: m[3], code: '' });
        continue;
      }
      // Source lines, caret lines (3.11+), "[Previous line repeated N more times]": all indented.
      if (/^\s/.test(line) || line === '') {
        const last = frames[frames.length - 1];
        const code = line.trim();
        if (last && !last.code && code && !/^[\^~\s]+$/.test(code) && !code.startsWith('[Previous line')) {
          last.code = code;
        }
        continue;
      }
      break;
    }
    const m = j < lines.length ? EXCEPTION_LINE.exec(lines[j]) : null;
    if (!m || frames.length === 0) continue;
    errors.push({
      type: m[1],
      message: (m[2] ?? '').trim(),
      frames,
      text: lines.slice(start, j + 1).join('\n'),
    });
    i = j;
  }
  return errors;
}

/** The Python stack in a Blender crash log (innermost call first, as faulthandler prints it), or []. */
export function parseCrashLog(text: string): PythonFrame[] {
  const at = text.indexOf('# Python backtrace');
  if (at < 0) return [];
  const frames: PythonFrame[] = [];
  for (const line of text.slice(at).split(/\r?\n/).slice(1)) {
    const m = CRASH_FRAME.exec(line);
    if (m) frames.push({ file: m[1], line: Number(m[2]), function: m[3].trim(), code: '' });
    else if (line.startsWith('#')) break;
  }
  // Make it outermost-first like a traceback.
  return frames.reverse();
}

/** The innermost frame whose file lies in `dir` (the add-on's installed copy), if any. */
export function ownFrame(frames: PythonFrame[], dir: string): PythonFrame | undefined {
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i].file;
    if (f === dir || f.startsWith(prefix)) return frames[i];
  }
  return undefined;
}

/** The version in Blender's first line of output: `Blender 3.4.1` (also `Blender 4.3.2 (hash ...)`). */
export function parseBlenderVersion(text: string): string | undefined {
  return /^Blender (\d+\.\d+(?:\.\d+)?)/m.exec(text)?.[1];
}
