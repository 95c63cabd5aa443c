import type { Datapoint } from '../../../lib/model/datapoint.js';
import type { ContainerRegistry } from '../../metadata/registry.js';

/**
 * Tags each datapoint with who it belongs to: its container's dimensions, or the node's for
 * datapoints of no container. A lookup and a reference per datapoint: the dimensions object
 * is shared, never copied, so this costs the same for 10 labels as for none.
 */
export function attachDimensions(batch: Datapoint[], registry: ContainerRegistry): void {
  for (const point of batch) point.dimensions = registry.dimensionsOf(point.containerId);
}
