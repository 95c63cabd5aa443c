import type { Dimensions } from '../../../../lib/model/dimensions.js';

/** Drops the keys whose value is undefined, and labels when there are none. */
export function compact(dimensions: Dimensions): Dimensions {
  const result: Dimensions = { ...dimensions };
  for (const key of Object.keys(result) as Array<keyof Dimensions>) {
    if (result[key] === undefined) delete result[key];
  }
  if (result.labels !== undefined && Object.keys(result.labels).length === 0) delete result.labels;
  return result;
}

/**
 * A copy of `dimensions` (labels included, so that whoever filters one container's labels
 * does not change another's) with container_id when there is one.
 */
export function withContainerId(dimensions: Dimensions, containerId: string | undefined): Dimensions {
  const copy: Dimensions = { ...dimensions };
  if (dimensions.labels !== undefined) copy.labels = { ...dimensions.labels };
  if (containerId !== undefined) copy.container_id = containerId;
  return copy;
}
