/** The statsd.containerPorts setting: kept apart so the config schema loads no listener code. */

export interface PortRange {
  from: number;
  to: number;
}

const PORT_RANGE = /^(\d{1,5})-(\d{1,5})$/;

/**
 * Reads the text form of the setting: "off" (null), "ephemeral", or a range "FROM-TO" of
 * ports 1-65535 with FROM <= TO. Throws with what is expected otherwise.
 */
export function parseContainerPorts(text: string): PortRange | 'ephemeral' | null {
  if (text === 'off') return null;
  if (text === 'ephemeral') return 'ephemeral';
  const match = PORT_RANGE.exec(text);
  const from = Number(match?.[1]);
  const to = Number(match?.[2]);
  if (match === null || from < 1 || to > 65_535 || from > to) {
    throw new Error(
      'expected "off", "ephemeral" or a port range FROM-TO (1-65535, FROM <= TO), e.g. 8126-8999',
    );
  }
  return { from, to };
}
