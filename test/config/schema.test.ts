import { describe, expect, it } from 'vitest';
import { settings, settingsFor } from '../../lib/config/keys.js';
import { configSchema, defaultConfig } from '../../lib/config/schema.js';

describe('configuration schema', () => {
  it('parses an empty input to the documented defaults', () => {
    const config = defaultConfig();
    expect({ ...config, agent: undefined, metadata: undefined, kafka: undefined }).toEqual({
      log: { level: 'info', format: 'auto' },
      agent: undefined,
      metadata: undefined,
      kafka: undefined,
      statsd: {
        udp: { host: '127.0.0.1', port: 8125 },
        udpReceiver: 'auto',
        tcp: { host: '127.0.0.1', port: 8125 },
        maxPacketSize: 65_535,
        maxLineLength: 16_384,
        recvBufferSize: 16 * 1024 * 1024,
        tcpMaxConnections: 1024,
        flushInterval: 10_000,
        percentiles: [50, 90, 95, 99],
        timerSampleCap: 4096,
        setExactCap: 65_536,
        idleTtl: 300_000,
        maxSeries: 1_000_000,
        maxSeriesPerContainer: 100_000,
        containerPorts: null,
        containerPortsHost: '127.0.0.1',
        containerPortsRecvBufferSize: 1024 * 1024,
        attributeByAddress: 'on',
        addressCacheTtl: 1000,
      },
      cgroup: {
        root: '',
        interval: 10_000,
        patterns: [],
        systemdServices: 'auto',
        rescan: 'events',
        openFiles: 16_384,
      },
      node: { interval: 10_000, procRoot: '/proc' },
      collector: {
        groupId: 'corral-collector',
        sessionTimeout: 10_000,
        storage: 'embedded',
        dataDir: 'data/clickhouse',
        clickhouseUrl: 'http://127.0.0.1:8123',
        clickhouseUser: 'default',
        clickhousePasswordFile: '',
        database: 'corral',
        cluster: '',
        batchRows: 100_000,
        batchInterval: 1000,
        batchIdle: 200,
        maxBufferedRows: 1_000_000,
        deadLetterTopic: '',
        ttlDatapoints: 30 * 86_400_000,
        ttlRollups1m: 90 * 86_400_000,
        ttlRollups1h: 730 * 86_400_000,
        ttlEvents: 365 * 86_400_000,
        http: { host: '127.0.0.1', port: 61002 },
        httpTokenFile: '',
      },
    });
    expect(config.agent).toEqual({
      sources: ['statsd', 'cgroup', 'node', 'self'],
      sink: 'stdout',
      stateDir: 'data/agent',
      http: { host: '127.0.0.1', port: 61001 },
      httpTokenFile: '',
    });
    expect(config.kafka).toEqual({
      brokers: ['127.0.0.1:9092'],
      topicPrefix: 'corral.',
      compression: 'lz4',
      schemaRegistryUrl: '',
      maxRequestBytes: 1_000_000,
      requestTimeout: 30_000,
      tls: 'off',
      tlsCaFile: '',
      tlsCertFile: '',
      tlsKeyFile: '',
      saslMechanism: 'none',
      saslUsername: '',
      saslPasswordFile: '',
      spoolDir: 'data/agent/spool',
      spoolMaxBytes: 1024 ** 3,
      spoolFsync: 'interval',
    });
    expect(config.metadata).toEqual({
      provider: 'auto',
      interval: 30_000,
      timeout: 5_000,
      clusterId: '',
      labelsInclude: [],
      labelsExclude: [],
      labelMaxLength: 256,
      mesosUrl: 'http://127.0.0.1:5051',
      mesosUser: '',
      mesosPasswordFile: '',
      mesosTokenFile: '',
      mesosCaFile: '',
      mesosCertFile: '',
      mesosKeyFile: '',
      dockerSocket: '/var/run/docker.sock',
      kubeletUrl: 'https://127.0.0.1:10250',
      kubeletTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      kubeletCaFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
      kubeletInsecure: 'false',
      nodeName: '',
    });
  });

  it('parses native YAML/JSON values and text values alike', () => {
    const config = configSchema.parse({
      agent: { sources: 'statsd,statsd' },
      statsd: { udp: 'off', percentiles: [99.9, '50', 50], recvBufferSize: 0, maxSeries: '12' },
    });
    expect(config.agent.sources).toEqual(['statsd']);
    expect(config.statsd.udp).toBeNull();
    expect(config.statsd.percentiles).toEqual([50, 99.9]);
    expect(config.statsd.recvBufferSize).toBe(0);
    expect(config.statsd.maxSeries).toBe(12);
  });

  it.each([
    ['statsd', 'flushInterval', '99ms', 'expected a duration of at least 100ms'],
    ['statsd', 'idleTtl', '999ms', 'expected a duration of at least 1s'],
    ['statsd', 'maxPacketSize', 65_536, 'expected a size from 1 to 65535 bytes'],
    ['statsd', 'maxPacketSize', 0, 'expected a size from 1 to 65535 bytes'],
    ['statsd', 'maxLineLength', '2MiB', 'expected a size from 1 to 1048576 bytes'],
    ['statsd', 'recvBufferSize', '2GiB', 'expected a size from 0 to 1GiB bytes'],
    ['statsd', 'tcpMaxConnections', 0, 'expected an integer >= 1'],
    ['statsd', 'timerSampleCap', 1.5, 'expected an integer >= 1'],
    ['statsd', 'percentiles', [0], 'percentiles, each > 0 and <= 100'],
    ['statsd', 'percentiles', '50,100.1', 'percentiles, each > 0 and <= 100'],
    ['statsd', 'percentiles', [], 'expected a non-empty comma-separated list of percentiles'],
    ['agent', 'sources', [], 'expected a non-empty comma-separated list of: statsd'],
    ['agent', 'sources', 'statsd,cgroups', 'expected a non-empty comma-separated list of: statsd'],
    ['agent', 'sink', 'file', 'expected one of: stdout, kafka, null'],
    ['log', 'level', 'INFO', 'expected one of: trace, debug, info, warn, error, fatal, silent'],
  ])('rejects %s.%s = %j', (section, key, value, message) => {
    const result = configSchema.safeParse({ [section]: { [key]: value } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([section, key]);
    expect(result.error?.issues[0]?.message).toContain(message);
  });

  it('derives flags and environment variable names from the keys', () => {
    const byKey = new Map(settings.map((s) => [s.key, s]));
    expect(byKey.get('statsd.flushInterval')).toMatchObject({
      flag: '--statsd-flush-interval',
      env: 'CORRAL_STATSD_FLUSH_INTERVAL',
      defaultText: '10s',
      placeholder: 'duration',
    });
    expect(byKey.get('statsd.maxSeriesPerContainer')?.env).toBe('CORRAL_STATSD_MAX_SERIES_PER_CONTAINER');
    expect(byKey.get('agent.sources')).toMatchObject({ flag: '--sources', env: 'CORRAL_AGENT_SOURCES' });
    expect(byKey.get('agent.sink')?.flag).toBe('--sink');
    expect(byKey.get('statsd.percentiles')?.defaultText).toBe('50,90,95,99');
  });

  it('gives every setting a distinct flag and environment variable and a description', () => {
    expect(new Set(settings.map((s) => s.flag)).size).toBe(settings.length);
    expect(new Set(settings.map((s) => s.env)).size).toBe(settings.length);
    for (const s of settings) expect(s.description.length).toBeGreaterThan(10);
  });

  it('gives each subcommand the settings of its sections', () => {
    const sectionsOf = (command: 'agent' | 'collector' | 'start' | 'query') => [
      ...new Set(settingsFor(command).map((s) => s.section)),
    ];
    expect(sectionsOf('agent')).toEqual(['log', 'agent', 'metadata', 'kafka', 'statsd', 'cgroup', 'node']);
    expect(sectionsOf('collector')).toEqual(['log', 'kafka', 'collector']);
    expect(settingsFor('start')).toEqual(settings);
    expect(sectionsOf('query')).toEqual(['log', 'collector']);
  });
});
