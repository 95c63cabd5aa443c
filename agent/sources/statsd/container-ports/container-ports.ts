import type { Logger } from 'pino';
import type { RateLimitedLog } from '../../../../lib/log/rate-limited.js';
import { formatAddress } from '../listen-address.js';
import { kernelDropsOf, ReceiveArea } from '../native-udp-listener.js';
import {
  openUdpListener,
  type PacketConsumer,
  type UdpReceiverChoice,
  usesNativeReceiver,
} from '../source.js';
import type { UdpListener } from '../udp-listener.js';
import type { PortRange } from './port-setting.js';
import { type ContainerEndpoint, readPortsState, writePortsState } from './state-file.js';

export { type PortRange, parseContainerPorts } from './port-setting.js';
export type { ContainerEndpoint } from './state-file.js';

export interface ContainerPortsOptions {
  /** Address the per-container sockets bind to. */
  host: string;
  /** The ports handed out, lowest free first; or "ephemeral": whatever the kernel picks. */
  ports: PortRange | 'ephemeral';
  /** Where the endpoints are kept across agent restarts; null keeps them in memory only. */
  stateFile: string | null;
  /** As statsd.udpReceiver: native (recvmmsg addon), dgram, or auto (native when built). */
  receiver: UdpReceiverChoice;
  maxPacketSize: number;
  recvBufferSize: number;
  consumer: PacketConsumer;
  log: RateLimitedLog;
  logger: Logger;
}

/** Plain counters, read at scrape time (registerContainerPortMetrics). */
export class ContainerPortStats {
  /** Listeners opened and closed. */
  opened = 0;
  closed = 0;
  /** Containers refused a port because every port of the range was taken (once per container). */
  exhausted = 0;
  /** Binds that failed because another process holds the port (the next port is tried; once per sync). */
  portInUse = 0;
  /** Binds that failed for another reason (once per container); the shared port serves it. */
  bindErrors = 0;
  /** State file reads and writes that failed. */
  stateFileErrors = 0;
}

interface Served {
  readonly endpoint: ContainerEndpoint;
  readonly listener: UdpListener;
}

/** Why a container has no port; it is counted once and retried at every sync. */
type Refusal = 'exhausted' | 'bind_error';

/**
 * One UDP port per container: every line that arrives on it belongs to that container,
 * whatever the line says (a port is given to exactly one container). sync() follows the
 * list of running containers: new ones get a port, gone ones release theirs. A container
 * keeps its port while it runs, across agent restarts too (the state file), so whatever
 * was told the port (STATSD_UDP_PORT at launch) stays right.
 *
 * All native listeners share one receive area: a batch is consumed before the next socket
 * is read, so a hundred ports cost one 4 MiB area, not a hundred.
 */
export class ContainerPorts {
  readonly stats = new ContainerPortStats();
  private readonly served = new Map<string, Served>();
  /** Ports from the state file not yet reopened (taken at start): retried by sync. */
  private readonly remembered = new Map<string, number>();
  private readonly refused = new Map<string, Refusal>();
  private area: ReceiveArea | null = null;
  /** Kernel drops of the listeners closed so far: their sockets are gone, their drops stay counted. */
  private closedKernelDrops = 0;
  /** sync, start and close run one at a time, in call order. */
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ContainerPortsOptions) {
    const { ports } = options;
    if (ports !== 'ephemeral' && !(ports.from >= 1 && ports.from <= ports.to && ports.to <= 65_535)) {
      throw new RangeError(`bad container port range ${ports.from}-${ports.to}`);
    }
  }

  /** Containers that have a port now. */
  get size(): number {
    return this.served.size;
  }

  /**
   * Loads the state file and reopens the saved endpoints at once, so the containers that
   * kept running while the agent restarted keep their ports and lose nothing until the first
   * sync (which closes those that are gone).
   */
  start(): Promise<void> {
    return this.enqueue(async () => {
      const { stateFile } = this.options;
      if (stateFile === null) return;
      let saved: ContainerEndpoint[] = [];
      try {
        saved = await readPortsState(stateFile);
      } catch (error) {
        this.stats.stateFileErrors++;
        this.options.log.warn(
          'container_ports_state',
          { err: error, file: stateFile },
          'StatsD container port state unreadable: ports are handed out afresh',
        );
      }
      for (const { containerId, port } of saved) {
        if (this.served.has(containerId) || !this.portAllowed(port)) continue;
        const served = await this.bind(containerId, port);
        if (served === 'in_use' || served === 'error') this.remembered.set(containerId, port);
      }
      await this.save();
    });
  }

  /**
   * Serves exactly these containers: a port for each one not served yet (its remembered port,
   * else the lowest free one), and the ports of the others closed and released. Containers
   * still refused a port are tried again.
   */
  sync(containerIds: readonly string[]): Promise<void> {
    return this.enqueue(async () => {
      const wanted = new Set(containerIds);
      let changed = false;
      // Release first, so a port freed now can go to a container that starts now.
      for (const [id, served] of this.served) {
        if (wanted.has(id)) continue;
        this.served.delete(id);
        await this.closeListener(served.listener);
        this.stats.closed++;
        changed = true;
        this.options.logger.info(
          { containerId: id, port: served.endpoint.port },
          'StatsD container port closed',
        );
      }
      for (const id of this.remembered.keys()) if (!wanted.has(id)) this.remembered.delete(id);
      for (const id of this.refused.keys()) if (!wanted.has(id)) this.refused.delete(id);
      // Ports another process holds are probed once per sync, not once per new container.
      const heldElsewhere = new Set<number>();
      for (const id of wanted) {
        if (id === '' || this.served.has(id)) continue;
        if (await this.open(id, heldElsewhere)) changed = true;
      }
      if (changed) await this.save();
    });
  }

  /** Every container's endpoint, sorted by container id. */
  endpoints(): ContainerEndpoint[] {
    return [...this.served.values()]
      .map((s) => ({ ...s.endpoint }))
      .sort((a, b) => (a.containerId < b.containerId ? -1 : a.containerId > b.containerId ? 1 : 0));
  }

  /**
   * Datagrams the kernel dropped because a port's socket buffer was full, over every port this
   * agent has served (closed ones included); null with the dgram receiver, which cannot tell.
   */
  kernelDrops(): number | null {
    if (!usesNativeReceiver(this.options.receiver)) return null;
    let drops = this.closedKernelDrops;
    for (const { listener } of this.served.values()) drops += kernelDropsOf(listener) ?? 0;
    return drops;
  }

  /** The port of a container, if it has one. */
  portOf(containerId: string): number | undefined {
    return this.served.get(containerId)?.endpoint.port;
  }

  /**
   * Closes every listener (what they hold is still read). The state file keeps the
   * endpoints, so the next start gives the same containers the same ports.
   */
  close(): Promise<void> {
    return this.enqueue(async () => {
      this.closed = true;
      const all = [...this.served.values()];
      this.served.clear();
      await Promise.all(all.map((s) => this.closeListener(s.listener)));
      this.stats.closed += all.length;
    });
  }

  private async closeListener(listener: UdpListener): Promise<void> {
    await listener.close();
    this.closedKernelDrops += kernelDropsOf(listener) ?? 0;
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => (this.closed ? undefined : task()));
    // A failed task must not wedge the ones after it.
    this.queue = run.catch(() => {});
    return run;
  }

  private portAllowed(port: number): boolean {
    const { ports } = this.options;
    return ports === 'ephemeral' || (port >= ports.from && port <= ports.to);
  }

  /** Gives a container a port; false when none could be had. */
  private async open(containerId: string, heldElsewhere: Set<number>): Promise<boolean> {
    const remembered = this.remembered.get(containerId);
    if (remembered !== undefined) {
      this.remembered.delete(containerId);
      const result = await this.bind(containerId, remembered);
      if (result === 'opened') return true;
      if (result === 'error') return false;
      heldElsewhere.add(remembered);
    }
    const { ports } = this.options;
    if (ports === 'ephemeral') return (await this.bind(containerId, 0)) === 'opened';
    const taken = new Set<number>(heldElsewhere);
    for (const s of this.served.values()) taken.add(s.endpoint.port);
    for (const port of this.remembered.values()) taken.add(port);
    for (let port = ports.from; port <= ports.to; port++) {
      if (taken.has(port)) continue;
      const result = await this.bind(containerId, port);
      if (result === 'opened') return true;
      if (result === 'error') return false;
      heldElsewhere.add(port);
    }
    this.refuse(containerId, 'exhausted', () =>
      this.options.log.warn(
        'container_ports_exhausted',
        { containerId, from: ports.from, to: ports.to },
        'no free StatsD container port: the container is served by the shared port only',
      ),
    );
    return false;
  }

  /** Binds one port for a container: opened, in_use (another process has it) or error. */
  private async bind(containerId: string, port: number): Promise<'opened' | 'in_use' | 'error'> {
    const { options } = this;
    const onPacket = (packet: Buffer) => options.consumer.ingestPacket(packet, containerId);
    const onError = (error: Error) =>
      options.log.warn('socket_error', { err: error, containerId }, 'StatsD container port socket error');
    try {
      const { listener, receiver } = await openUdpListener(
        { host: options.host, port },
        options.receiver,
        {
          recvBufferSize: options.recvBufferSize,
          maxPacketSize: options.maxPacketSize,
          area: usesNativeReceiver(options.receiver) ? this.sharedArea() : undefined,
        },
        onPacket,
        onError,
      );
      const endpoint = { containerId, host: options.host, port: listener.address.port };
      this.served.set(containerId, { endpoint, listener });
      this.refused.delete(containerId);
      this.stats.opened++;
      options.logger.info(
        { containerId, address: formatAddress(listener.address), receiver },
        'StatsD container port opened',
      );
      return 'opened';
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        this.stats.portInUse++;
        return 'in_use';
      }
      this.refuse(containerId, 'bind_error', () =>
        options.log.warn(
          'container_port_bind_error',
          { err: error, containerId, host: options.host, port },
          'StatsD container port could not be opened: the container is served by the shared port only',
        ),
      );
      return 'error';
    }
  }

  /** Counts and logs a container without a port, once until it gets one or goes. */
  private refuse(containerId: string, reason: Refusal, logIt: () => void): void {
    if (this.refused.get(containerId) === reason) return;
    this.refused.set(containerId, reason);
    if (reason === 'exhausted') this.stats.exhausted++;
    else this.stats.bindErrors++;
    logIt();
  }

  /** The receive area of the native listeners, made on first use (dgram ones need none). */
  private sharedArea(): ReceiveArea {
    this.area ??= new ReceiveArea(this.options.maxPacketSize);
    return this.area;
  }

  private async save(): Promise<void> {
    const { stateFile } = this.options;
    if (stateFile === null) return;
    // Ports not reopened yet stay reserved in the file until a sync says their container is gone.
    const reserved = [...this.remembered].map(([containerId, port]) => ({
      containerId,
      host: this.options.host,
      port,
    }));
    try {
      await writePortsState(stateFile, [...this.endpoints(), ...reserved]);
    } catch (error) {
      this.stats.stateFileErrors++;
      this.options.log.warn(
        'container_ports_state',
        { err: error, file: stateFile },
        'StatsD container port state not saved: ports may change at the next agent start',
      );
    }
  }
}
