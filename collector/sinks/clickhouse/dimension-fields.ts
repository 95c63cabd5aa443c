/**
 * The dimension fields of a row (DIMENSION_COLUMNS), written once per dimensions object:
 * every datapoint of a batch shares its batch's dimensions, so a batch escapes them once.
 */
import { DIMENSION_KEYS, type Dimensions } from '../../../lib/model/dimensions.js';
import { stringMap, tsvString } from './tsv.js';

export class DimensionFields {
  private lastDimensions: Readonly<Dimensions> | undefined;
  private lastContainerId: string | undefined;
  private lastFields = '';

  /**
   * `\t`-led fields of the dimensions and labels. A datapoint's own container id fills
   * container_id when its dimensions have none.
   */
  fields(dimensions: Readonly<Dimensions> | undefined, containerId?: string): string {
    if (dimensions === this.lastDimensions && containerId === this.lastContainerId && this.lastFields !== '')
      return this.lastFields;
    let out = '';
    for (const key of DIMENSION_KEYS) {
      const value = dimensions?.[key] ?? (key === 'container_id' ? containerId : undefined);
      out += value === undefined ? '\t' : `\t${tsvString(value)}`;
    }
    out += `\t${stringMap(dimensions?.labels)}`;
    this.lastDimensions = dimensions;
    this.lastContainerId = containerId;
    this.lastFields = out;
    return out;
  }

  reset(): void {
    this.lastDimensions = undefined;
    this.lastContainerId = undefined;
    this.lastFields = '';
  }
}
