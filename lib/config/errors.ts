/** A configuration problem, reported to the user as one line and exit status 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';

  /**
   * @param key the setting key ("statsd.flushInterval"), or the name as given when it is not one
   *   (an unknown file key or environment variable), or "config" for the config file itself.
   * @param message one line, without a "config error:" prefix.
   */
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** Renders an offending value for a one-line message: quoted strings, compact JSON, capped length. */
export function showValue(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
