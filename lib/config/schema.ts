/**
 * The configuration schema: every setting with its parser, default and description, in one place.
 * Flags, environment variables, --help and the README reference table are all derived from it (keys.ts).
 */
import { z } from 'zod';
import { compilePatterns } from '../../agent/sources/cgroup/patterns.js';
import { parseContainerPorts } from '../../agent/sources/statsd/container-ports/port-setting.js';
import {
  duration,
  globList,
  hostPort,
  int,
  listOf,
  oneOf,
  parsedText,
  path,
  patternList,
  percentiles,
  size,
  text,
  type ValueType,
} from './values.js';

/** Defaults are written in input form ("10s"), so they go through the same parser as user values. */
export type DefaultInput = string | number | readonly string[] | readonly number[];

export interface SettingMeta {
  description: string;
  default: DefaultInput;
  /** Flag name without dashes when the derived one (section-key) is too long, e.g. "sources". */
  flag?: string;
  /** Flag placeholder in --help, e.g. "duration" for --statsd-flush-interval <duration>. */
  placeholder: string;
  hint?: string;
}

/** Setting metadata, looked up by the setting's schema. */
export const settingMeta = z.registry<SettingMeta>();

type SettingOptions = Omit<SettingMeta, 'placeholder' | 'hint'> & { placeholder?: string };

function setting<T>(type: ValueType<T>, options: SettingOptions) {
  // prefault (not default) so the default is parsed like any other input: "10s" -> 10000.
  const schema = type.schema.prefault(options.default);
  settingMeta.add(schema, { placeholder: type.placeholder, hint: type.hint, ...options });
  return schema;
}

const log = {
  level: setting(oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), {
    default: 'info',
    placeholder: 'level',
    description: 'Minimum level of log lines written to stderr.',
  }),
  format: setting(oneOf(['auto', 'json', 'pretty']), {
    default: 'auto',
    description: 'Log line format; auto is pretty when stderr is a terminal and json otherwise.',
  }),
};

const optionalFile = (description: string) =>
  setting(path({ allowEmpty: true }), { default: '', description });

const agent = {
  sources: setting(listOf(['statsd', 'cgroup', 'node', 'self']), {
    default: ['statsd', 'cgroup', 'node', 'self'],
    flag: 'sources',
    description:
      "Metric sources the agent runs; self is the agent's own Prometheus metrics as datapoints (component=agent), read every node.interval.",
  }),
  sink: setting(oneOf(['stdout', 'kafka', 'null']), {
    default: 'stdout',
    flag: 'sink',
    description:
      'Where the agent writes datapoints and task events: JSON lines on stdout, Avro to Kafka (kafka.*), or nowhere.',
  }),
  stateDir: setting(path({ allowEmpty: false }), {
    default: 'data/agent',
    description:
      'Where the agent keeps state across restarts: task states already reported, per-container StatsD ports.',
  }),
  http: setting(hostPort(), {
    default: '127.0.0.1:61001',
    description:
      'Agent HTTP API (health, Prometheus self-metrics, per-container StatsD endpoints), or off. 61001 is the DC/OS node metrics port.',
  }),
  httpTokenFile: optionalFile(
    'File holding a bearer token: when set, every route of the agent HTTP API but /healthz and /readyz wants Authorization: Bearer <token>.',
  ),
};

const URL_PATTERN = /^https?:\/\/[^\s/]+/;
const url = (description: string, defaultValue: string) =>
  setting(
    text({
      allowEmpty: false,
      placeholder: 'url',
      pattern: URL_PATTERN,
      expected: 'expected an http:// or https:// URL',
    }),
    {
      default: defaultValue,
      description,
    },
  );
const metadata = {
  provider: setting(oneOf(['auto', 'mesos', 'docker', 'kubernetes', 'none']), {
    default: 'auto',
    flag: 'metadata',
    description:
      'Where container dimensions and task states come from; auto tries the kubelet, a Mesos agent and the Docker Engine in that order, else none (cgroup paths only).',
  }),
  interval: setting(duration({ min: '1s' }), {
    default: '30s',
    description:
      'How often metadata is refreshed (also soon after a container starts, and on provider events).',
  }),
  timeout: setting(duration({ min: '100ms' }), {
    default: '5s',
    description: 'Most time one metadata refresh may take; a slow API never delays metrics.',
  }),
  clusterId: setting(text({ allowEmpty: true }), {
    default: '',
    description:
      'The cluster_id dimension of every datapoint (Docker Swarm reports its own when this is empty).',
  }),
  labelsInclude: setting(globList(), {
    default: [],
    description: 'Orchestrator labels kept as dimensions (glob patterns); empty keeps all but the excluded.',
  }),
  labelsExclude: setting(globList(), {
    default: [],
    description:
      'Labels dropped (glob patterns), besides the bookkeeping labels always dropped unless included (compose config hashes, pod-template-hash, io.kubernetes.*).',
  }),
  labelMaxLength: setting(int({ min: 1 }), {
    default: 256,
    description: 'Label values longer than this many characters are cut.',
  }),
  mesosUrl: url('Mesos agent API.', 'http://127.0.0.1:5051'),
  mesosUser: setting(text({ allowEmpty: true }), {
    default: '',
    description: 'Mesos basic auth user (with mesosPasswordFile).',
  }),
  mesosPasswordFile: optionalFile('File holding the Mesos basic auth password.'),
  mesosTokenFile: optionalFile(
    'File holding a bearer token for the Mesos agent (DC/OS service account token).',
  ),
  mesosCaFile: optionalFile('PEM CA certificate for an https Mesos agent URL.'),
  mesosCertFile: optionalFile('PEM client certificate for the Mesos agent (with mesosKeyFile).'),
  mesosKeyFile: optionalFile('PEM client key for the Mesos agent.'),
  dockerSocket: setting(path({ allowEmpty: false }), {
    default: '/var/run/docker.sock',
    description: 'Docker Engine API socket.',
  }),
  kubeletUrl: url(
    'Kubelet API: https://<node>:10250 with a service account token, or the read-only http://<node>:10255.',
    'https://127.0.0.1:10250',
  ),
  kubeletTokenFile: setting(path({ allowEmpty: true }), {
    default: '/var/run/secrets/kubernetes.io/serviceaccount/token',
    description: 'Bearer token for the kubelet, read on every refresh (tokens rotate); "" sends none.',
  }),
  kubeletCaFile: setting(path({ allowEmpty: true }), {
    default: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
    description: 'PEM CA certificate of the kubelet; a missing file falls back to the system CAs.',
  }),
  kubeletInsecure: setting(oneOf(['false', 'true']), {
    default: 'false',
    description: "Accept the kubelet's certificate without checking it (self-signed serving certificates).",
  }),
  nodeName: setting(text({ allowEmpty: true }), {
    default: '',
    description:
      'This node as Kubernetes names it (the downward API spec.nodeName); "" takes it from the pods.',
  }),
};

const cgroup = {
  root: setting(path({ allowEmpty: true }), {
    default: '',
    description:
      'Root of the cgroup filesystem (e.g. a host path mounted into the agent container); empty detects the mounts from /proc/self/mountinfo.',
  }),
  interval: setting(duration({ min: '1s' }), {
    default: '10s',
    description: 'How often container resource metrics are read from cgroups.',
  }),
  patterns: setting(patternList(compilePatterns), {
    default: [],
    description:
      'Extra container patterns, tried before the built-in ones: "runtime:regex" matched against cgroup paths, with a named group id.',
  }),
  systemdServices: setting(oneOf(['auto', 'always', 'never']), {
    default: 'auto',
    description:
      'Report systemd services (system.slice/<name>.service) as tasks: auto does when no container runtime was found.',
  }),
  rescan: setting(oneOf(['events', 'interval']), {
    default: 'events',
    description:
      'When the cgroup tree is walked for containers: events walks as soon as directories appear or vanish (inotify) and at least every 6 intervals; interval walks every interval.',
  }),
  openFiles: setting(int({ min: 0 }), {
    default: 16384,
    description:
      'Most cgroup and /proc files kept open between scrapes (re-reading an open file costs a fraction of opening it; each holds ~4.7 KiB of kernel memory); at most half the open-file limit is used; 0 opens and closes every file.',
  }),
};

const node = {
  interval: setting(duration({ min: '1s' }), {
    default: '10s',
    description: 'How often node metrics are read from /proc and statfs.',
  }),
  procRoot: setting(path({ allowEmpty: false }), {
    default: '/proc',
    description:
      'Where procfs is mounted (a host /proc mounted into the agent container, or a test fixture).',
  }),
};

const kafka = {
  brokers: setting(globList(), {
    default: ['127.0.0.1:9092'],
    description: 'Kafka bootstrap brokers, host:port, comma-separated.',
  }),
  topicPrefix: setting(text({ allowEmpty: true }), {
    default: 'corral.',
    description: 'Prefix of the topics: <prefix>metrics, <prefix>events, <prefix>metadata (compacted).',
  }),
  compression: setting(oneOf(['gzip', 'lz4', 'snappy', 'zstd', 'none']), {
    default: 'lz4',
    description:
      "Compression of produced record batches, in Kafka's formats (snappy framed as the Java client writes it, lz4 frames, zstd frames), which every Kafka client reads. lz4 gets a flush into Kafka soonest; gzip sends about a third fewer bytes for more CPU and latency (docs/benchmarks.md).",
  }),
  schemaRegistryUrl: setting(
    text({
      allowEmpty: true,
      placeholder: 'url',
      pattern: URL_PATTERN,
      expected: 'expected an http:// or https:// URL, or empty',
    }),
    {
      default: '',
      description:
        'Confluent Schema Registry: when set, messages use its wire format (schema ids registered at start, subjects <topic>-value) instead of Avro single-object encoding. Credentials may go in the URL (https://user:password@host).',
    },
  ),
  maxRequestBytes: setting(size({ min: 1024, max: '1GiB' }), {
    default: 1_000_000,
    description:
      "Most bytes of records (keys and values before compression) one produce request carries; a send of more goes as several requests in one transaction. Kafka refuses a partition's record batch larger than the topic's max.message.bytes (the broker's message.max.bytes, 1 MB by default) even when every record is smaller: keep this at or under it.",
  }),
  requestTimeout: setting(duration({ min: '100ms' }), {
    default: '30s',
    description:
      "Most time one Kafka request may take: a produce request before its batch stays spooled for a retry; the collector's fetches and commits.",
  }),
  tls: setting(oneOf(['off', 'on']), {
    default: 'off',
    description: 'TLS to the brokers (on by itself when a CA or client certificate file is given).',
  }),
  tlsCaFile: optionalFile('PEM CA certificate of the brokers.'),
  tlsCertFile: optionalFile('PEM client certificate (with tlsKeyFile).'),
  tlsKeyFile: optionalFile('PEM client key.'),
  saslMechanism: setting(oneOf(['none', 'plain', 'scram-sha-256', 'scram-sha-512']), {
    default: 'none',
    description: 'SASL authentication to the brokers.',
  }),
  saslUsername: setting(text({ allowEmpty: true }), { default: '', description: 'SASL user name.' }),
  saslPasswordFile: optionalFile('File holding the SASL password.'),
  spoolDir: setting(path({ allowEmpty: false }), {
    default: 'data/agent/spool',
    description:
      'Where batches wait while Kafka is unreachable or slow; replayed in order, also after a restart. Under corral start, <spoolDir>/local holds the in-process log (one spool per topic, each of spoolMaxBytes).',
  }),
  spoolMaxBytes: setting(size({ min: 1024 * 1024, max: '1TiB' }), {
    default: '1GiB',
    description: 'Spool capacity; when full, the oldest segment is dropped (counted).',
  }),
  spoolFsync: setting(oneOf(['always', 'interval', 'never']), {
    default: 'interval',
    description:
      'When spooled batches are forced to disk: every batch, every second, or when the OS decides.',
  }),
};

const statsd = {
  udp: setting(hostPort(), {
    default: '127.0.0.1:8125',
    description: 'StatsD UDP listen address (port 0 picks a free port), or off.',
  }),
  udpReceiver: setting(oneOf(['auto', 'native', 'dgram']), {
    default: 'auto',
    description:
      'How UDP datagrams are read: native takes up to 64 per system call (recvmmsg addon), dgram uses node:dgram; auto picks native when it is built.',
  }),
  tcp: setting(hostPort(), {
    default: '127.0.0.1:8125',
    description: 'StatsD TCP listen address (newline-delimited lines), or off.',
  }),
  maxPacketSize: setting(size({ min: 1, max: 65_535 }), {
    default: 65_535,
    description: 'Largest accepted UDP datagram; larger ones are dropped whole and counted.',
  }),
  maxLineLength: setting(size({ min: 1, max: 1_048_576 }), {
    default: 16_384,
    description: 'Longest accepted StatsD line; longer lines are dropped and counted.',
  }),
  recvBufferSize: setting(size({ min: 0, max: '1GiB' }), {
    default: '16MiB',
    description: 'UDP socket receive buffer to request from the OS; 0 keeps the OS default.',
  }),
  tcpMaxConnections: setting(int({ min: 1 }), {
    default: 1024,
    description: 'Concurrent StatsD TCP connections; further ones are refused.',
  }),
  flushInterval: setting(duration({ min: '100ms' }), {
    default: '10s',
    description: 'How often aggregated StatsD metrics are flushed as datapoints.',
  }),
  percentiles: setting(percentiles(), {
    default: [50, 90, 95, 99],
    description: 'Timer percentiles computed at each flush, each > 0 and <= 100.',
  }),
  timerSampleCap: setting(int({ min: 1 }), {
    default: 4096,
    description:
      'Timer samples kept per series and interval for exact percentiles; beyond it a sketch is used.',
  }),
  setExactCap: setting(int({ min: 1 }), {
    default: 65_536,
    description:
      'Distinct set members counted exactly per series and interval; beyond it the count is estimated.',
  }),
  idleTtl: setting(duration({ min: '1s' }), {
    default: '5m',
    description: 'Series with no samples for this long are forgotten.',
  }),
  maxSeries: setting(int({ min: 1 }), {
    default: 1_000_000,
    description: 'Series tracked at once; samples for new series beyond it are dropped and counted.',
  }),
  maxSeriesPerContainer: setting(int({ min: 1 }), {
    default: 100_000,
    description:
      'Series tracked at once for a single container, so one noisy container cannot starve others.',
  }),
  containerPorts: setting(parsedText(parseContainerPorts, 'off|ephemeral|from-to'), {
    default: 'off',
    description:
      "Per-container StatsD UDP ports: off, ephemeral (the kernel picks), or a range FROM-TO handed out lowest free first. Every line on a container's port is that container's; ports survive agent restarts (agent.stateDir) and are listed on GET /v0/statsd/endpoints.",
  }),
  containerPortsHost: setting(text({ allowEmpty: false, placeholder: 'host' }), {
    default: '127.0.0.1',
    description:
      'Address the per-container ports bind to; it must be reachable from the containers (the node IP, the bridge gateway, or 0.0.0.0).',
  }),
  containerPortsRecvBufferSize: setting(size({ min: 0, max: '1GiB' }), {
    default: '1MiB',
    description: 'UDP receive buffer requested for each per-container port; 0 keeps the OS default.',
  }),
  attributeByAddress: setting(oneOf(['on', 'off']), {
    default: 'on',
    description:
      "Attribute lines that name no container to the container whose IP sent them (IPs from the orchestrator's metadata; not with metadata none).",
  }),
  addressCacheTtl: setting(duration({ min: '100ms' }), {
    default: '1s',
    description:
      "How long a sender address's container is reused before the metadata is asked again; a metadata change drops it at once.",
  }),
};

const collector = {
  groupId: setting(text({ allowEmpty: false }), {
    default: 'corral-collector',
    description:
      'Kafka consumer group: collectors sharing it share the partitions of the metrics, events and metadata topics.',
  }),
  // Kafka brokers accept 6 s to 30 min by default (group.min/max.session.timeout.ms).
  sessionTimeout: setting(duration({ min: '6s', max: '30m' }), {
    default: '10s',
    description:
      "How long a collector may go silent before the group moves its partitions to the others (a crashed collector's partitions wait this long); a pause longer than this costs the partitions, see docs/delivery.md.",
  }),
  storage: setting(oneOf(['embedded', 'server']), {
    default: 'embedded',
    description:
      'Where datapoints are stored: embedded ClickHouse (chdb, in collector.dataDir) or a ClickHouse server (collector.clickhouseUrl).',
  }),
  dataDir: setting(path({ allowEmpty: false }), {
    default: 'data/clickhouse',
    description: 'Data directory of the embedded ClickHouse.',
  }),
  clickhouseUrl: url('ClickHouse server HTTP interface (storage server).', 'http://127.0.0.1:8123'),
  clickhouseUser: setting(text({ allowEmpty: false }), {
    default: 'default',
    description: 'ClickHouse server user.',
  }),
  clickhousePasswordFile: optionalFile('File holding the ClickHouse server password.'),
  database: setting(
    text({
      allowEmpty: false,
      pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
      expected: 'expected a database name ([A-Za-z_][A-Za-z0-9_]*)',
    }),
    {
      default: 'corral',
      description: 'ClickHouse database of the tables (created at start).',
    },
  ),
  cluster: setting(
    text({
      allowEmpty: true,
      pattern: /^[A-Za-z_][A-Za-z0-9_.-]*$/,
      expected: 'expected a cluster name, or empty',
    }),
    {
      default: '',
      description:
        'ClickHouse cluster name: tables become Replicated*MergeTree with Distributed tables over them, created ON CLUSTER (storage server only).',
    },
  ),
  batchRows: setting(int({ min: 1 }), {
    default: 100_000,
    description:
      "Rows per insert: a partition's rows are inserted once this many are waiting (or after batchInterval).",
  }),
  batchInterval: setting(duration({ min: '10ms' }), {
    default: '1s',
    description: 'Longest time consumed rows wait before they are inserted.',
  }),
  batchIdle: setting(duration({ min: '10ms' }), {
    default: '200ms',
    description:
      "A caught-up partition's rows are inserted once nothing new has arrived on it for this long (a burst such as an agent's flush is complete), or after batchInterval; at or above batchInterval it has no effect.",
  }),
  maxBufferedRows: setting(int({ min: 1000 }), {
    default: 1_000_000,
    description:
      'Rows held in memory at most: beyond it consumption pauses (memory stays bounded while ClickHouse is slow or down).',
  }),
  deadLetterTopic: setting(text({ allowEmpty: true }), {
    default: '',
    description:
      'Topic poison messages are copied to, with the reason in headers; empty means <kafka.topicPrefix>deadletter.',
  }),
  ttlDatapoints: setting(duration({ min: '1h' }), {
    default: '30d',
    description: 'How long raw datapoints and timer summaries are kept.',
  }),
  ttlRollups1m: setting(duration({ min: '1h' }), {
    default: '90d',
    description: 'How long the 1-minute rollups are kept.',
  }),
  ttlRollups1h: setting(duration({ min: '1h' }), {
    default: '730d',
    description: 'How long the 1-hour rollups are kept.',
  }),
  ttlEvents: setting(duration({ min: '1h' }), {
    default: '365d',
    description: 'How long task events and task terminations are kept.',
  }),
  http: setting(hostPort(), {
    default: '127.0.0.1:61002',
    description: 'Collector HTTP API (health, readiness, Prometheus /metrics), or off.',
  }),
  httpTokenFile: optionalFile(
    'File holding a bearer token: when set, every route of the collector HTTP API but /healthz and /readyz wants Authorization: Bearer <token>.',
  ),
};

/** Each section's settings, in declaration order (the order of --help and the reference table). */
export const sections = { log, agent, metadata, kafka, statsd, cgroup, node, collector };

export type SectionName = keyof typeof sections;

/** Dotted setting keys such as "statsd.flushInterval". */
export type ConfigKey = {
  [S in SectionName]: `${S}.${Extract<keyof (typeof sections)[S], string>}`;
}[SectionName];

// Sections use prefault({}) so a missing section gets all its defaults.
export const configSchema = z.strictObject({
  log: z.strictObject(log).prefault({}),
  agent: z.strictObject(agent).prefault({}),
  metadata: z.strictObject(metadata).prefault({}),
  kafka: z.strictObject(kafka).prefault({}),
  statsd: z.strictObject(statsd).prefault({}),
  cgroup: z.strictObject(cgroup).prefault({}),
  node: z.strictObject(node).prefault({}),
  collector: z.strictObject(collector).prefault({}),
});

/** The parsed configuration: durations in ms, sizes in bytes, addresses as { host, port } or null. */
export type CorralConfig = z.output<typeof configSchema>;

export type Command = 'agent' | 'collector' | 'start' | 'query';

/** Sections each subcommand takes flags for; a config file may still hold (validated) others. */
export const commandSections: Readonly<Record<Command, readonly SectionName[]>> = {
  agent: ['log', 'agent', 'metadata', 'kafka', 'statsd', 'cgroup', 'node'],
  collector: ['log', 'kafka', 'collector'],
  start: ['log', 'agent', 'metadata', 'kafka', 'statsd', 'cgroup', 'node', 'collector'],
  // Where the data is: the storage settings (and the collector HTTP API of a running corral).
  query: ['log', 'collector'],
};

/** The configuration with every default, for tests and tools. */
export function defaultConfig(): CorralConfig {
  return configSchema.parse({});
}
