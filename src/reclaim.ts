// Tree lifetime. A tree-sitter tree, and each node object a rule touches, hold native memory that V8
// neither sees nor counts: the 0.25 Node binding has no tree.delete() and reports no external memory, so
// they are freed only when a GC finds their JS objects dead, and then only in a later turn of the event
// loop (Node runs the binding's finalizers from setImmediate). A tree costs about 30 bytes per character
// parsed and a node object about 600 bytes, so a big file holds tens of MB; V8, seeing a small heap, would
// let hundreds of MB of them pile up, and malloc keeps what a thread once held. So where no tree is held
// (between files, between passes of the fix loop) a full GC runs, and the finalizers are let run.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Below this many characters parsed since the last collection, there is too little to free. */
const MIN_PARSED = 16 * 1024;
/** A collection waits until this many times its own duration has passed since the last one ended, so that
 *  collecting (and the finalizers) take at most about a fifth of a thread's time, and a program with a large
 *  heap calling the API in its own thread collects seldom. Over Debian's 1,011 add-on files on two workers:
 *  4 gives 147 MB in 7.9 s, 6 gives 155 MB in 7.3 s, no collection 409 MB in 6.0 s. */
const SPACING = 8;

let parsed = 0;
let lastEnd = 0;
let lastMs = 0;
let collect: (() => void) | null | undefined;

export function noteParsed(chars: number): void {
  parsed += chars;
}

/** Collect if enough was parsed and collecting is not too frequent, then let the finalizers free the
 *  dead trees before the caller parses again. Call it only where the caller holds no tree. */
export async function reclaimTrees(): Promise<void> {
  if (parsed < MIN_PARSED) return;
  const start = performance.now();
  if (start - lastEnd < SPACING * lastMs) return;
  const gc = (collect ??= exposeGc());
  if (!gc) return;
  parsed = 0;
  gc();
  lastEnd = performance.now();
  lastMs = lastEnd - start;
  await new Promise((resolve) => setImmediate(resolve));
}

/** V8's gc(), taken from a fresh context with the flag on for just that moment. */
function exposeGc(): (() => void) | null {
  if (typeof globalThis.gc === 'function') return globalThis.gc as () => void;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
