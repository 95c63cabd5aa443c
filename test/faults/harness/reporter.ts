/**
 * A vitest reporter (npm run test:faults adds it beside the default one): once every
 * scenario ran, prints the reliability table of the rows they recorded (report.ts).
 */
import type { Reporter, TestModule } from 'vitest/node';
import { formatTable, type ReliabilityRow } from './report.js';

export default class ReliabilityTableReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows: ReliabilityRow[] = [];
    for (const module of [...testModules].sort((a, b) => a.moduleId.localeCompare(b.moduleId)))
      for (const test of module.children.allTests()) {
        const row = test.meta().reliability;
        if (row) rows.push(row);
      }
    if (rows.length === 0) return;
    process.stdout.write(`\nFault suite: reconciliation per scenario\n\n${formatTable(rows)}\n\n`);
  }
}
