// Two `bgsafe --write` runs on the same add-ons at once: the second waits. Before it reads anything, a
// --write run takes a lock per add-on root (in sorted order, so two runs cannot wait on each other), a file
// in the system's temporary folder named by a hash of the root's real path and holding the owner's pid. A
// run that finds a lock held waits for it (saying so on stderr, once), then discovers and analyses the tree
// as the first run left it, so it finds nothing left to do. A lock whose process is gone (killed with
// SIGKILL) is taken over. openWriteSession ties the locks and the SIGINT / SIGTERM handling (write.ts) to a run.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { displayPath } from './report.js';
import { watchSignals } from './write.js';

export function lockPath(root: string): string {
  const h = createHash('sha256').update(root).digest('hex').slice(0, 24);
  return path.join(tmpdir(), `bgsafe-write-${h}.lock`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const heldBy = new WeakMap<WriteLocks, string[]>();

/** No lock yet. */
export function newLocks(): WriteLocks {
  const held: string[] = [];
  const locks: WriteLocks = {
    waited: false,
    release() {
      for (const l of held.splice(0)) {
        try {
          if (readFileSync(l, 'utf8').split('\n')[0] === String(process.pid)) rmSync(l, { force: true });
        } catch {
          // gone already
        }
      }
    },
  };
  heldBy.set(locks, held);
  return locks;
}

export interface WriteLocks {
  /** Whether another run held one of the locks (the tree may have changed meanwhile). */
  waited: boolean;
  /** Remove the locks (synchronous: also used from a signal handler). */
  release(): void;
}

/** Take the lock of every root; `onWait` is called once when another run holds one. `locks` (from an
 *  earlier call, or new) can be released while this waits. */
export async function lockRoots(roots: string[], onWait: (root: string, pid: number) => void, locks = newLocks()): Promise<WriteLocks> {
  const held = heldBy.get(locks)!;
  const mine = `${process.pid}\n`;
  for (const root of [...new Set(roots)].sort()) {
    const file = lockPath(root);
    let told = false;
    let emptySince = 0;
    for (;;) {
      try {
        writeFileSync(file, `${mine}${root}\n`, { flag: 'wx', mode: 0o644 });
        held.push(file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          // No lock to be had (a read-only temporary folder): go on without one rather than refuse.
          break;
        }
      }
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // released meanwhile: try again
      }
      const pid = Number(text.split('\n')[0]);
      if (!text) {
        // Being written by its owner right now; a lock that stays empty is left over.
        emptySince ||= Date.now();
        if (Date.now() - emptySince > 2000) rmSync(file, { force: true });
      } else if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) {
        // Its owner is gone: take it over, if it is still the same lock.
        try {
          if (readFileSync(file, 'utf8') === text) rmSync(file, { force: true });
        } catch {
          // gone already
        }
        continue;
      } else if (!told) {
        told = true;
        locks.waited = true;
        onWait(root, pid);
      }
      await sleep(50);
    }
  }
  return locks;
}

/** A run's locks and signal handling (nothing at all for a dry run). */
export interface WriteSession {
  /** Discover, take the locks of the add-ons found, and discover again if another run had them. */
  lock<T extends { files: Array<{ addonRoot: string }> }>(discover: () => Promise<T>): Promise<T>;
  /** For the write stage (write.ts): set while writing; says which signal stopped it. */
  signals?: ReturnType<typeof watchSignals>;
  /** Release the locks and the signal handlers. */
  close(): void;
}

export function openWriteSession(write: boolean, cwd: string, onWait?: (message: string) => void): WriteSession {
  const locks = newLocks();
  const session: WriteSession = {
    async lock(discover) {
      const found = await discover();
      if (!write) return found;
      // The handlers first: a signal while waiting for a lock releases the ones already taken.
      session.signals = watchSignals(() => locks.release());
      await lockRoots(found.files.map((f) => f.addonRoot), (root, pid) => onWait?.(`waiting for another bgsafe --write (pid ${pid}) on ${displayPath(root, cwd)}`), locks);
      return locks.waited ? discover() : found;
    },
    close() {
      // The locks before the handlers: a signal in between still ends the process with them released.
      locks.release();
      session.signals?.dispose();
    },
  };
  return session;
}
