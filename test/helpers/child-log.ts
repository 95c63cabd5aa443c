import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * Follows a corral CLI child's stderr: JSON log lines are parsed; plain text (fatal start
 * errors, "corral: ...") is kept as `{ msg, plain: true }`. Calls `onLine` after each line.
 */
export function followLogs(stderr: Readable, onLine: () => void): Record<string, unknown>[] {
  const logs: Record<string, unknown>[] = [];
  createInterface({ input: stderr }).on('line', (text) => {
    logs.push(
      text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { msg: text, plain: true },
    );
    onLine();
  });
  return logs;
}
