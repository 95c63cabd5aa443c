import { REJECT_CODE_COUNT } from './reject-reason.js';

/** Plain counters on the hot path; the self-metrics registry reads them at scrape time. */
export class StatsdStats {
  packets = 0;
  bytes = 0;
  lines = 0;
  /** Indexed by RejectCode. */
  readonly rejected: number[] = new Array<number>(REJECT_CODE_COUNT).fill(0);
  tcpConnections = 0;

  get rejectedTotal(): number {
    let total = 0;
    for (const n of this.rejected) total += n;
    return total;
  }
}
