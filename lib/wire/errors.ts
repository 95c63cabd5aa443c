/**
 * Why a message could not be decoded. Every reason but `registry_unavailable` means the
 * message itself is bad (poison: dead-letter it); `registry_unavailable` is transient (retry).
 */
export type WireErrorReason =
  /** The first bytes are not the format's marker (C3 01, or Confluent's 00). */
  | 'bad_marker'
  /** Single-object encoding: no known schema version has this fingerprint. */
  | 'unknown_fingerprint'
  /** Confluent: the registry has no schema with this id. */
  | 'unknown_schema_id'
  /** The writer's schema cannot be read into the current schema, or is not an Avro schema. */
  | 'incompatible_schema'
  /** The message ends before its header or datum does. */
  | 'truncated'
  /** The datum does not decode with its writer's schema (bad index, trailing bytes, ...). */
  | 'invalid_datum'
  /** Confluent: the registry could not be asked (network, timeout, 5xx). */
  | 'registry_unavailable';

export class WireError extends Error {
  override readonly name = 'WireError';

  constructor(
    readonly reason: WireErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
