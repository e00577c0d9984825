// Review (--interactive, -i): each fix is shown as its hunk on stderr, and a key on the terminal decides:
// y apply, n skip, a apply this and every later fix of the same rule, q quit (keep the fixes accepted so
// far, skip the rest). The fix loop (fixes.ts) offers each pass's fixes before applying them and applies only
// the accepted ones; a skipped fix is not offered again in a later pass (see Declined in fixes.ts for how a
// fix is known across passes). Only accepted fixes are written; Ctrl-C or Ctrl-D stops with nothing written.
//
// The review runs in analyseFile (analyse.ts), which asks a FixReviewer before each pass.
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { FixReviewer } from './analyse.js';
import { applyEdits } from './syntax/edits.js';
import { lineStarts, positionOf } from './syntax/source.js';
import { colorPatch, colors, type Colors } from './color.js';
import type { Finding } from './types.js';

export type Answer = 'apply' | 'skip' | 'all' | 'quit';

/** The hunk(s) one fix makes to `source`, without the file header. */
export function fixHunk(path: string, source: string, fix: Finding, c: Colors): string {
  const patch = createTwoFilesPatch(`a/${path}`, `b/${path}`, source, applyEdits(source, fix.fix!.edits), undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
  return colorPatch(patch.endsWith('\n') ? patch : `${patch}\n`, c).split('\n').slice(2).join('\n');
}

/** Keys from a terminal in raw mode, one character at a time, buffered (keys typed ahead are kept). */
class Keys {
  private queue: string[] = [];
  private waiting: ((k: string) => void) | undefined;
  private readonly onData = (d: string): void => {
    for (const ch of d) {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(ch);
      } else this.queue.push(ch);
    }
  };
  private readonly restore = (): void => {
    if (this.input.isTTY) this.input.setRawMode(false);
  };
  constructor(private readonly input: NodeJS.ReadStream) {
    input.setRawMode(true);
    input.setEncoding('utf8');
    input.on('data', this.onData);
    input.resume();
    process.on('exit', this.restore);
  }
  next(): Promise<string> {
    const k = this.queue.shift();
    if (k !== undefined) return Promise.resolve(k);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
  close(): void {
    this.input.off('data', this.onData);
    this.restore();
    this.input.pause();
    process.off('exit', this.restore);
  }
}

/** The reviewer on a terminal: hunks and questions on `out` (stderr), keys from `input` (stdin). */
export class TerminalReviewer implements FixReviewer {
  private keys: Keys | undefined;
  private readonly all = new Set<string>();
  private quit = false;
  applied = 0;
  skipped = 0;
  private readonly c: Colors;

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly out: NodeJS.WriteStream,
    color: boolean,
  ) {
    this.c = colors(color);
  }

  async review(path: string, source: string, fixes: Finding[]): Promise<Finding[]> {
    const accepted: Finding[] = [];
    const starts = lineStarts(source);
    for (const f of fixes) {
      if (this.quit) {
        this.skipped++;
        continue;
      }
      if (this.all.has(f.code)) {
        accepted.push(f);
        this.applied++;
        continue;
      }
      const pos = positionOf(starts, f.start);
      const c = this.c;
      const created = f.fix!.createFiles?.length ? `\n  also creates: ${f.fix!.createFiles.map((x) => x.path).join(', ')} (beside ${path})` : '';
      this.out.write(`\n${c.bold(`${path}:${pos.line}:${pos.column}:`)} ${c.bold(c.red(f.code))} ${f.message}\n  fix (${f.fix!.safety}): ${f.fix!.description}${created}\n${fixHunk(path, source, f, c)}`);
      const answer = await this.ask(f.code);
      if (answer === 'apply' || answer === 'all') {
        accepted.push(f);
        this.applied++;
        if (answer === 'all') this.all.add(f.code);
      } else {
        this.skipped++;
        if (answer === 'quit') this.quit = true;
      }
    }
    return accepted;
  }

  private async ask(code: string): Promise<Answer> {
    this.keys ??= new Keys(this.input);
    const prompt = `Apply this fix? [y]es, [n]o, [a]ll ${code} fixes, [q]uit: `;
    this.out.write(this.c.bold(prompt));
    for (;;) {
      const k = await this.keys.next();
      if (k === '\u0003' || k === '\u0004') {
        this.close();
        this.out.write('\nbgsafe: review interrupted; nothing was written\n');
        process.exit(130);
      }
      const answer: Answer | undefined = ({ y: 'apply', n: 'skip', a: 'all', q: 'quit' } as Record<string, Answer>)[k.toLowerCase()];
      if (answer) {
        this.out.write(`${{ apply: 'yes', skip: 'no', all: `all ${code}`, quit: 'quit' }[answer]}\n`);
        return answer;
      }
      if (k === '\r' || k === '\n' || k === ' ') continue;
      this.out.write(`\n  y: apply this fix; n: skip it (it stays skipped); a: apply it and every later ${code} fix; q: skip the rest and write what was accepted\n${this.c.bold(prompt)}`);
    }
  }

  /** Give the terminal back (cooked mode, stdin paused). */
  close(): void {
    this.keys?.close();
    this.keys = undefined;
  }
}
