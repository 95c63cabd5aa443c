import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A container's own StatsD endpoint. */
export interface ContainerEndpoint {
  containerId: string;
  host: string;
  port: number;
}

/** What the state file holds: JSON {version: 1, endpoints: [{containerId, host, port}]}. */
export interface PortsState {
  version: 1;
  endpoints: ContainerEndpoint[];
}

function isEndpoint(value: unknown): value is ContainerEndpoint {
  if (typeof value !== 'object' || value === null) return false;
  const { containerId, host, port } = value as Record<string, unknown>;
  return (
    typeof containerId === 'string' &&
    containerId !== '' &&
    typeof host === 'string' &&
    Number.isInteger(port) &&
    (port as number) > 0 &&
    (port as number) <= 65_535
  );
}

/**
 * Reads the endpoints saved by a previous run. A missing file is a first start (no
 * endpoints); an unreadable or malformed one throws, so the caller can say so and go on.
 */
export async function readPortsState(file: string): Promise<ContainerEndpoint[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const parsed = JSON.parse(text) as { version?: unknown; endpoints?: unknown };
  if (parsed?.version !== 1 || !Array.isArray(parsed.endpoints)) {
    throw new Error(`${file}: expected {"version": 1, "endpoints": [...]}`);
  }
  // One bad entry costs that entry, not every container's port.
  return parsed.endpoints
    .filter(isEndpoint)
    .map(({ containerId, host, port }) => ({ containerId, host, port }));
}

/** Writes the endpoints atomically: a temp file renamed over the old one, never half a file. */
export async function writePortsState(file: string, endpoints: readonly ContainerEndpoint[]): Promise<void> {
  const state: PortsState = { version: 1, endpoints: [...endpoints] };
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 1)}\n`);
  await rename(temp, file);
}
