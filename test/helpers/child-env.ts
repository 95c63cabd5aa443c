/**
 * The environment a spawned corral CLI gets: this process's, minus every CORRAL_* variable
 * (the config loader refuses names it does not know, and a test's own switches must not
 * become the child's settings), plus what the test sets.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('CORRAL_'));
  return { ...Object.fromEntries(inherited), ...extra };
}
