/**
 * Counts of metrics a scraper could not read, by source and reason (missing, unreadable,
 * malformed), for the corral_scrape_problems_total self-metric. Kept small on purpose:
 * file names would make the label set grow with the number of containers.
 */
export class ProblemCounts {
  readonly counts = new Map<string, { source: string; reason: string; count: number }>();

  add(source: string, reason: string): void {
    const key = `${source}\u0000${reason}`;
    const entry = this.counts.get(key);
    if (entry === undefined) this.counts.set(key, { source, reason, count: 1 });
    else entry.count++;
  }
}
