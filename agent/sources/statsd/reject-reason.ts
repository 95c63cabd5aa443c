/**
 * Why a line or packet was rejected. Numeric codes keep the hot path free of string
 * compares; REJECT_REASON_NAMES gives the self-metric label for each.
 */
export const Reject = {
  None: 0,
  EmptyName: 1,
  NoValue: 2,
  UnknownType: 3,
  NotANumber: 4,
  NonFinite: 5,
  InvalidUtf8: 6,
  BadSampleRate: 7,
  MalformedTags: 8,
  BadTimestamp: 9,
  Unsupported: 10,
  LineTooLong: 11,
  PacketTooLarge: 12,
  BadContainer: 13,
} as const;

export type RejectCode = (typeof Reject)[keyof typeof Reject];

export const REJECT_REASON_NAMES: readonly string[] = [
  'none',
  'empty_name',
  'no_value',
  'unknown_type',
  'not_a_number',
  'non_finite',
  'invalid_utf8',
  'bad_sample_rate',
  'malformed_tags',
  'bad_timestamp',
  'unsupported',
  'line_too_long',
  'packet_too_large',
  'bad_container',
];

export const REJECT_CODE_COUNT = REJECT_REASON_NAMES.length;
