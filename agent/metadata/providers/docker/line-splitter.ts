/**
 * Cuts a text stream into lines whatever the chunking: a line split across chunks is joined,
 * several lines in one chunk come out one by one. A line longer than the cap is dropped (and
 * reported) rather than buffered without bound: a stream that never sends a newline must not eat
 * the agent's memory.
 */
export class LineSplitter {
  private partial = '';
  /** Inside a line already reported as too long: drop text up to its newline. */
  private dropping = false;

  constructor(
    private readonly maxLineLength: number,
    private readonly onTooLong: () => void,
  ) {}

  /** The lines chunk completes, without their newlines. */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, newline);
      start = newline + 1;
      if (this.dropping) {
        this.dropping = false;
        continue;
      }
      const line = this.partial + piece;
      this.partial = '';
      if (line.length > this.maxLineLength) this.onTooLong();
      else lines.push(line);
    }
    if (!this.dropping) {
      this.partial += chunk.slice(start);
      if (this.partial.length > this.maxLineLength) {
        this.partial = '';
        this.dropping = true;
        this.onTooLong();
      }
    }
    return lines;
  }
}
