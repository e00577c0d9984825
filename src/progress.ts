// Progress on stderr for a batch that takes more than a moment: files done / total, the rate, and the
// add-on of the last file analysed, on one line that yocto-spinner redraws and clears at the end. Only on a
// terminal: never in a pipe, a file or CI (where nobody watches the line and the escapes would be noise),
// and never with --quiet, --no-progress or --interactive. What bgsafe prints on stdout meanwhile cannot tear
// the line (yocto-spinner moves it out of the way), and nothing of it is left on the screen afterwards.
import yoctoSpinner, { type Spinner } from 'yocto-spinner';

/** A run shorter than this shows no progress at all. */
export const PROGRESS_DELAY_MS = 500;
/** Redraw the text at most this often (the spinner's own frames run at its own pace). */
const UPDATE_MS = 100;

export interface ProgressEvent {
  /** Files analysed so far, of `total`. */
  done: number;
  total: number;
  /** The add-on of the file just analysed ('' before the first). */
  addon: string;
}

export interface Progress {
  update(e: ProgressEvent): void;
  /** Clear the line (and stop the timer): call before printing the report. */
  stop(): void;
}

const none: Progress = { update: () => {}, stop: () => {} };

/** Whether a progress line is shown at all: stderr a terminal, TERM not dumb, not CI, not turned off. */
export function progressWanted(opts: { quiet: boolean; progress: boolean; interactive: boolean }, stream: { isTTY?: boolean } = process.stderr, env: NodeJS.ProcessEnv = process.env): boolean {
  if (opts.quiet || !opts.progress || opts.interactive) return false;
  return stream.isTTY === true && env.TERM !== 'dumb' && !('CI' in env);
}

/** `12/340 files · 85 files/s · my_addon` */
export function progressText(e: ProgressEvent, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? (e.done * 1000) / elapsedMs : 0;
  const parts = [`${e.done}/${e.total} files`, `${rate >= 10 ? Math.round(rate) : rate.toFixed(1)} files/s`];
  if (e.addon) parts.push(e.addon);
  return parts.join(' · ');
}

/** A progress line that appears only once the run has lasted PROGRESS_DELAY_MS; `none` when not wanted. */
export function startProgress(wanted: boolean, stream: NodeJS.WriteStream = process.stderr, delayMs = PROGRESS_DELAY_MS): Progress {
  if (!wanted) return none;
  const started = Date.now();
  let last: ProgressEvent = { done: 0, total: 0, addon: '' };
  let spinner: Spinner | undefined;
  let lastDraw = 0;
  // While the line shows, SIGINT / SIGTERM stop it (the cursor shown again) and exit 130 / 143: files are
  // only being read then (the line is gone before anything is written).
  const timer = setTimeout(() => {
    spinner = yoctoSpinner({ text: progressText(last, Date.now() - started), stream }).start();
  }, delayMs);
  timer.unref();
  return {
    update(e) {
      last = e;
      const now = Date.now();
      if (spinner && (now - lastDraw >= UPDATE_MS || e.done === e.total)) {
        lastDraw = now;
        spinner.text = progressText(e, now - started);
      }
    },
    stop() {
      clearTimeout(timer);
      spinner?.stop();
      spinner = undefined;
    },
  };
}
