/**
 * What each fault scenario reports: one row of the reliability table (docs/reliability.md),
 * kept in the test's metadata for the table reporter (reporter.ts) and printed by the test.
 */
import type { TestContext } from 'vitest';

export interface ReliabilityRow {
  scenario: string;
  /** Datapoints (StatsD increments of 1, or test datapoints put on the topic) sent. */
  sent: number;
  /** Of them, stored in ClickHouse (duplicated rows counted as often as they are stored). */
  stored: number;
  /** Rows stored more than once for the same (series, time). */
  duplicates: number;
  /** Datapoints not stored, each under a documented limit, by reason. */
  dropped: Record<string, number>;
  /** From the fault's end until everything sent before it was stored; null when the scenario has no end to time. */
  recoveryMs: number | null;
}

declare module 'vitest' {
  interface TaskMeta {
    reliability?: ReliabilityRow;
  }
}

/** Records the scenario's row (before its assertions, so a failing reconciliation still shows its numbers). */
export function report(context: TestContext, row: ReliabilityRow): void {
  context.task.meta.reliability = row;
  console.log(formatTable([row]));
}

const droppedText = (dropped: Record<string, number>) => {
  const entries = Object.entries(dropped).filter(([, n]) => n > 0);
  return entries.length === 0 ? '0' : entries.map(([reason, n]) => `${n} ${reason}`).join(', ');
};

/** The rows as a Markdown table. */
export function formatTable(rows: readonly ReliabilityRow[]): string {
  const lines = [
    '| scenario | sent | stored | duplicates | dropped with reason | recovery |',
    '| --- | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.scenario} | ${r.sent} | ${r.stored} | ${r.duplicates} | ${droppedText(r.dropped)} | ${
        r.recoveryMs === null ? 'n/a' : `${(r.recoveryMs / 1000).toFixed(1)} s`
      } |`,
    );
  return lines.join('\n');
}
