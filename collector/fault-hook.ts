/**
 * Test hook, not a feature: CORRAL_COLLECTOR_CRASH_AFTER=insert makes the collector SIGKILL
 * itself right after its first data insert is acknowledged, before the offsets are committed:
 * the one moment the delivery protocol exists for (docs/delivery.md, test/faults/collector-crash.test.ts).
 */
export const CRASH_AFTER_ENV = 'CORRAL_COLLECTOR_CRASH_AFTER';

/** The hook for the chunk writer, or undefined when the variable is not set. */
export function crashHook(env: Readonly<Record<string, string | undefined>>): (() => void) | undefined {
  const value = env[CRASH_AFTER_ENV];
  if (value === undefined || value === '') return undefined;
  if (value !== 'insert')
    throw new Error(`${CRASH_AFTER_ENV}: expected "insert", got ${JSON.stringify(value)}`);
  return () => {
    process.kill(process.pid, 'SIGKILL');
  };
}
