/** Reading an agent's spool segments on disk, as a check that a flush reached the spool. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFrame } from '../../../lib/spool/frame.js';
import { metricBatchFromRecord } from '../../../lib/wire/datapoint-codec.js';
import { singleObjectCodec } from '../../../lib/wire/single-object.js';

const decoder = singleObjectCodec('MetricBatch').decoder;

/**
 * Names of the datapoints in every whole MetricBatch frame written to the segments of
 * `spoolDir` so far (acknowledged or not; a frame still being written is not whole yet).
 */
export function spooledDatapointNames(spoolDir: string): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(spoolDir).filter((f) => f.endsWith('.seg'))) {
    const data = readFileSync(join(spoolDir, file));
    for (let at = 0; at < data.length; ) {
      const frame = decodeFrame(data, at);
      if (frame.kind !== 'record') break;
      at += frame.frameBytes;
      try {
        for (const point of metricBatchFromRecord(decoder.decode(frame.record.value)).datapoints)
          names.add(point.name);
      } catch {
        // Not a MetricBatch (a task event or metadata record).
      }
    }
  }
  return names;
}
