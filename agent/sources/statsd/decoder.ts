import { isAscii, isUtf8 } from 'node:buffer';
import { EMPTY_LINE, StatsdLine } from './line-parser.js';
import { Reject, type RejectCode } from './reject-reason.js';
import type { StatsdStats } from './stats.js';

/**
 * Receives each well-formed line with the containers of its packet (see
 * StatsdAggregator.ingest); returns a reject reason found while resolving it.
 */
export type LineConsumer = (line: StatsdLine, portContainer: string, addressContainer?: string) => RejectCode;

/** Told about each rejected line (rate-limit any logging in it). */
export type RejectListener = (reason: RejectCode, text: string) => void;

export interface DecoderOptions {
  maxPacketSize: number;
  maxLineLength: number;
}

/**
 * Turns packets (UDP datagrams, or runs of whole lines from TCP) into parsed lines. One bad
 * line never costs the good lines beside it: each is parsed and rejected on its own.
 */
export class StatsdDecoder {
  private readonly line = new StatsdLine();

  constructor(
    private readonly options: DecoderOptions,
    private readonly stats: StatsdStats,
    private readonly consume: LineConsumer,
    private readonly onReject: RejectListener,
  ) {}

  /** A datagram: size-checked whole, then split into lines. */
  decodePacket(packet: Buffer, portContainer: string, addressContainer?: string): void {
    this.stats.packets++;
    this.stats.bytes += packet.length;
    if (packet.length > this.options.maxPacketSize) {
      this.reject(Reject.PacketTooLarge, `${packet.length} bytes`);
      return;
    }
    this.decodeLines(packet, portContainer, addressContainer);
  }

  /** Newline-separated lines; the bytes need not end with a newline. */
  decodeLines(bytes: Buffer, portContainer: string, addressContainer?: string): void {
    // Names, tags and members are only decoded on first sight; validate UTF-8 here once.
    const valid = isAscii(bytes) || isUtf8(bytes);
    const line = this.line;
    const maxLineLength = this.options.maxLineLength;
    const length = bytes.length;
    let start = 0;
    while (start < length) {
      let reason = line.parse(bytes, start, length);
      const end = line.end;
      if (reason !== EMPTY_LINE) {
        this.stats.lines++;
        if (end - start > maxLineLength) reason = Reject.LineTooLong;
        else if (!valid && !isUtf8(bytes.subarray(start, end))) reason = Reject.InvalidUtf8;
        else if (reason === Reject.None) reason = this.consume(line, portContainer, addressContainer);
        if (reason !== Reject.None) this.reject(reason, bytes.toString('utf8', start, end));
      }
      start = end + 1;
    }
  }

  private reject(reason: RejectCode, text: string): void {
    this.stats.rejected[reason]!++;
    this.onReject(reason, text);
  }
}
