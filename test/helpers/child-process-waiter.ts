import type { ChildProcess } from 'node:child_process';

export interface ChildWaitOptions {
  /** The child whose exit rejects the wait. */
  child: ChildProcess;
  /** Checks run on each new output line; the wait registers its check here while pending. */
  waiters: Set<() => void>;
  /** Names the process in the exit error ("agent", "collector"). */
  name: string;
  /** What the wait is for, for the errors. */
  what: string;
  timeoutMs: number;
  /** The end of the errors' messages, e.g. the last log lines. */
  detail: () => string;
}

/** Resolves once `predicate` holds (checked now and on each notification); rejects on timeout or the child's exit. */
export function waitForChild(predicate: () => boolean, options: ChildWaitOptions): Promise<void> {
  const { child, waiters, name, what, timeoutMs, detail } = options;
  return new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!predicate()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${what}; ${detail()}`));
    }, timeoutMs);
    const onExit = () => {
      cleanup();
      reject(new Error(`${name} exited while waiting for ${what}; ${detail()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      waiters.delete(check);
      child.off('exit', onExit);
    };
    waiters.add(check);
    child.once('exit', onExit);
    check();
  });
}
