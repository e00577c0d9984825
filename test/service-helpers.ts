// Shared by the e2e tests that start a scaffolded service (a launcher and its Blender) and talk to it.
import { spawnSync, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { findBlender } from '../src/verify/blender.js';

/** The Blenders to run on: Debian's (3.4) and, where $BLENDER4 is set, a 4.x; each with a skip reason. */
export function serviceBlenders(): Array<{ label: string; path: string | undefined; skip: string | false }> {
  let blender3: string | undefined;
  let noBlender: string | false = false;
  try {
    blender3 = findBlender(undefined);
  } catch (e) {
    noBlender = `no Blender (${(e as Error).message.split('\n')[0]}); install Debian's blender or set $BLENDER`;
  }
  const noPython = spawnSync('python3', ['--version']).status === 0 ? false : 'no python3 for the launcher';
  return [
    { label: 'Blender 3.4 (Debian)', path: blender3, skip: noBlender || noPython },
    { label: 'Blender 4 ($BLENDER4)', path: process.env.BLENDER4, skip: process.env.BLENDER4 ? noPython : 'set $BLENDER4 to a Blender 4.x' },
    { label: 'Blender 5.2 ($BLENDER5)', path: process.env.BLENDER5, skip: process.env.BLENDER5 ? noPython : 'set $BLENDER5 to a Blender 5.x' },
  ];
}

/** A TCP port on 127.0.0.1 that is free now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The exit code (or signal) of `p`, or 'timeout' when it has not exited within `ms`. */
export function exited(p: ChildProcess, ms: number): Promise<number | string | null> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(p.exitCode ?? p.signalCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    p.once('exit', (code, sig) => {
      clearTimeout(timer);
      resolve(code ?? sig);
    });
  });
}

/** Kill the whole process group of a detached child (the launcher and its Blender), even if the
 *  launcher itself has exited already. */
export function killGroup(p: ChildProcess | undefined): void {
  if (!p?.pid) return;
  try {
    process.kill(-p.pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
