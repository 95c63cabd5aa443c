/**
 * docker-compose.yml against corral itself: each corral service's command line and CORRAL_*
 * environment go through the real CLI parser and config loader, and what they configure must
 * agree with the rest of the file (service names, ports, mounts, topics, health checks) and with
 * the files in the repository it mounts or copies.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectorTopics } from '../../collector/sources/kafka/topics.js';
import { buildProgram, type Invocation } from '../../lib/cli/program.js';
import { loadConfig } from '../../lib/config/load.js';
import type { CorralConfig } from '../../lib/config/schema.js';
import { REPO_ROOT } from '../helpers/agent-process.js';
import {
  type ComposeService,
  commandOf,
  corralServices,
  environmentOf,
  publishedPorts,
  readCompose,
  unescapeDollars,
  volumeMounts,
} from './compose-file.js';

const compose = readCompose();
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

/** `node bin/corral.js <command> <flags>` parsed by corral's own commander program. */
function invocationOf(svc: ComposeService): Invocation {
  const args = commandOf(svc).slice(2);
  let invocation: Invocation | undefined;
  let errors = '';
  const program = buildProgram(
    { stdout: () => {}, stderr: (text) => (errors += text) },
    (parsed) => (invocation = parsed),
  );
  try {
    program.parse(args, { from: 'user' });
  } catch (err) {
    throw new Error(`corral ${args.join(' ')}: ${(err as Error).message} ${errors}`);
  }
  if (!invocation) throw new Error(`corral ${args.join(' ')} ran no command`);
  return invocation;
}

/** The configuration the service's corral process would start with. */
function configOf(name: string): CorralConfig {
  const svc = service(name);
  const { command, flags } = invocationOf(svc);
  return loadConfig({ command, flags, env: environmentOf(svc), cwd: REPO_ROOT });
}

/** The service a `host:port` or URL names, and the port. */
function target(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** The healthcheck's URL, from a CMD list or a shell string. */
function healthUrl(svc: ComposeService): URL {
  const test = svc.healthcheck?.test;
  const text = Array.isArray(test) ? test.join(' ') : (test ?? '');
  const match = /https?:\/\/\S+/.exec(text);
  if (!match) throw new Error(`no URL in healthcheck ${text}`);
  return new URL(match[0]);
}

describe('the corral services of docker-compose.yml', () => {
  it('are the collector and the agent, both run by the CLI', () => {
    expect(corralServices(compose).map(([name]) => name)).toEqual(['collector', 'agent']);
    expect(invocationOf(service('collector')).command).toBe('collector');
    expect(invocationOf(service('agent')).command).toBe('agent');
  });

  it('need no variable interpolation (the loader sees exactly what the containers get)', () => {
    for (const [name, svc] of corralServices(compose)) {
      const text = JSON.stringify([svc.command, svc.environment]);
      expect(text, name).not.toContain('$');
    }
  });

  for (const [name, svc] of corralServices(compose)) {
    it(`${name}: the real config loader accepts its flags and CORRAL_* environment`, () => {
      const env = environmentOf(svc);
      expect(Object.keys(env).length).toBeGreaterThan(0);
      for (const key of Object.keys(env)) expect(key, `${name} environment`).toMatch(/^CORRAL_[A-Z0-9_]+$/);
      expect(() => configOf(name)).not.toThrow();
    });
  }

  it('the loader would refuse a misspelled variable or flag (the check above can fail)', () => {
    const svc = service('agent');
    const { command, flags } = invocationOf(svc);
    const env = { ...environmentOf(svc), CORRAL_STATSD_FLUSH_INTERVALL: '10s' };
    expect(() => loadConfig({ command, flags, env })).toThrow(/unknown environment variable/);
    const bad = { ...svc, command: [...commandOf(svc), '--statsd-udpp', '0.0.0.0:8125'] };
    expect(() => invocationOf(bad)).toThrow(/unknown option/);
    const wrong = { ...environmentOf(svc), CORRAL_KAFKA_SPOOL_MAX_BYTES: 'a lot' };
    expect(() => loadConfig({ command, flags, env: wrong })).toThrow(/kafka\.spoolMaxBytes/);
  });

  it('collector: ClickHouse server storage, Kafka brokers and an HTTP API on all interfaces', () => {
    const config = configOf('collector');
    expect(config.collector.storage).toBe('server');
    expect(config.collector.clickhouseUrl).toBe('http://clickhouse:8123');
    expect(config.collector.database).toBe('corral');
    expect(config.kafka.brokers).toEqual(['kafka:9092']);
    expect(config.collector.http).toEqual({ host: '0.0.0.0', port: 61002 });
    expect(config.log.format).toBe('json');
  });

  it('agent: Kafka sink, Docker metadata, StatsD and HTTP on all interfaces, host cgroups and /proc', () => {
    const config = configOf('agent');
    expect(config.agent.sink).toBe('kafka');
    expect(config.kafka.brokers).toEqual(['kafka:9092']);
    expect(config.metadata.provider).toBe('docker');
    expect(config.statsd.udp).toEqual({ host: '0.0.0.0', port: 8125 });
    expect(config.statsd.tcp).toEqual({ host: '0.0.0.0', port: 8125 });
    expect(config.agent.http).toEqual({ host: '0.0.0.0', port: 61001 });
    expect(config.agent.sources).toEqual(expect.arrayContaining(['statsd', 'cgroup', 'node']));
    expect(config.log.format).toBe('json');
  });

  it('agent: every host path it reads is mounted read-only where the config looks', () => {
    const config = configOf('agent');
    const mounts = volumeMounts(service('agent'));
    const mountAt = (target: string) => mounts.find((m) => m.target === target);
    expect(mountAt(config.cgroup.root)).toEqual({
      source: '/sys/fs/cgroup',
      target: config.cgroup.root,
      mode: 'ro',
    });
    expect(mountAt(config.node.procRoot)).toEqual({
      source: '/proc',
      target: config.node.procRoot,
      mode: 'ro',
    });
    expect(mountAt(config.metadata.dockerSocket)).toMatchObject({
      source: '/var/run/docker.sock',
      mode: 'ro',
    });
    expect(service('agent').pid).toBe('host');
  });

  it('agent: its state and Kafka spool live in a named volume', () => {
    const config = configOf('agent');
    const state = volumeMounts(service('agent')).find((m) => m.target === '/var/lib/corral');
    expect(state?.source).toBe('agent-state');
    expect(Object.keys(compose.volumes ?? {})).toContain('agent-state');
    expect(config.agent.stateDir).toBe('/var/lib/corral');
    expect(config.kafka.spoolDir.startsWith('/var/lib/corral/')).toBe(true);
  });

  it('the addresses they use are services of the stack, on the ports those listen on', () => {
    const collector = configOf('collector');
    const agent = configOf('agent');
    const clickhouse = target(collector.collector.clickhouseUrl);
    expect(clickhouse).toEqual({ host: 'clickhouse', port: 8123 });
    expect(healthUrl(service('clickhouse')).port).toBe('8123');
    const advertised = environmentOf(service('kafka')).KAFKA_ADVERTISED_LISTENERS ?? '';
    for (const broker of [...collector.kafka.brokers, ...agent.kafka.brokers]) {
      const { host, port } = target(broker);
      expect(compose.services[host], broker).toBeDefined();
      expect(advertised).toContain(`PLAINTEXT://${host}:${port}`);
    }
  });

  it('kafka-init creates the topics the agent writes and the collector reads, metadata compacted', () => {
    const collector = configOf('collector');
    const agent = configOf('agent');
    expect(agent.kafka.topicPrefix).toBe(collector.kafka.topicPrefix);
    const topics = collectorTopics(collector.kafka.topicPrefix, collector.collector.deadLetterTopic);
    const script = unescapeDollars(commandOf(service('kafka-init')).join(' '));
    const created = new Map<string, string>();
    for (const line of script.split('\n').filter((l) => l.includes('--create'))) {
      const topic = /--topic (\S+)/.exec(line)?.[1];
      if (topic) created.set(topic, line);
    }
    expect([...created.keys()].sort()).toEqual(
      [topics.metrics, topics.events, topics.metadata, topics.deadLetter].sort(),
    );
    expect(created.get(topics.metadata)).toContain('--config cleanup.policy=compact');
    for (const [topic, line] of created) expect(line, topic).toContain('--if-not-exists');
    expect(environmentOf(service('kafka')).KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    // The agent's producer sends transactions: a one-node cluster needs these at 1.
    expect(environmentOf(service('kafka'))).toMatchObject({
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    });
  });

  it('publish the ports they listen on, the HTTP APIs on loopback only', () => {
    const agent = configOf('agent');
    const collector = configOf('collector');
    const agentPorts = publishedPorts(service('agent'));
    expect(agentPorts).toContainEqual({
      host: '0.0.0.0',
      published: 8125,
      target: agent.statsd.udp!.port,
      protocol: 'udp',
    });
    expect(agentPorts).toContainEqual({
      host: '0.0.0.0',
      published: 8125,
      target: agent.statsd.tcp!.port,
      protocol: 'tcp',
    });
    expect(agentPorts).toContainEqual({
      host: '127.0.0.1',
      published: 61001,
      target: agent.agent.http!.port,
      protocol: 'tcp',
    });
    expect(publishedPorts(service('collector'))).toEqual([
      { host: '127.0.0.1', published: 61002, target: collector.collector.http!.port, protocol: 'tcp' },
    ]);
  });

  it('are health-checked on their own HTTP APIs: the collector on /readyz, the agent on /healthz', () => {
    const collectorUrl = healthUrl(service('collector'));
    expect(collectorUrl.pathname).toBe('/readyz');
    expect(Number(collectorUrl.port)).toBe(configOf('collector').collector.http!.port);
    const agentUrl = healthUrl(service('agent'));
    expect(agentUrl.pathname).toBe('/healthz');
    expect(Number(agentUrl.port)).toBe(configOf('agent').agent.http!.port);
  });
});

describe('docker-compose.yml as a whole', () => {
  it('demo-app sends StatsD to the agent, on the port the agent listens on', () => {
    const demo = service('demo-app');
    expect(commandOf(demo)).toEqual(['node', 'bin/demo-app.js']);
    const env = environmentOf(demo);
    expect(env.STATSD_HOST).toBe('agent');
    expect(Number(env.STATSD_PORT)).toBe(configOf('agent').statsd.udp!.port);
    expect(demo.depends_on).toEqual({ agent: { condition: 'service_healthy' } });
  });

  it('depends only on services that exist, healthy ones with a health check, finished ones that do not restart', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      const deps = Array.isArray(svc.depends_on) ? {} : (svc.depends_on ?? {});
      for (const [dep, { condition }] of Object.entries(deps)) {
        const other = compose.services[dep];
        expect(other, `${name} -> ${dep}`).toBeDefined();
        if (condition === 'service_healthy')
          expect(other!.healthcheck?.test, `${dep} healthcheck`).toBeDefined();
        if (condition === 'service_completed_successfully')
          expect(other!.restart, `${dep} restart`).toBe('no');
      }
    }
    // The order the stack comes up in.
    expect(service('collector').depends_on).toEqual({
      'kafka-init': { condition: 'service_completed_successfully' },
      clickhouse: { condition: 'service_healthy' },
    });
    expect(service('kafka-init').depends_on).toEqual({ kafka: { condition: 'service_healthy' } });
    expect(service('agent').depends_on).toEqual({
      'kafka-init': { condition: 'service_completed_successfully' },
    });
    expect(service('grafana').depends_on).toEqual({ clickhouse: { condition: 'service_healthy' } });
  });

  it('has a health check, a restart policy and a memory limit for every long-running service', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (name === 'kafka-init') continue;
      expect(svc.restart, name).toBe('unless-stopped');
      expect(svc.mem_limit, name).toMatch(/^\d+[mg]$/);
      if (name !== 'demo-app') expect(svc.healthcheck?.test, name).toBeDefined();
    }
  });

  it('declares every named volume it mounts and mounts every one it declares', () => {
    const declared = Object.keys(compose.volumes ?? {}).sort();
    const used = new Set<string>();
    for (const svc of Object.values(compose.services)) {
      for (const { source } of volumeMounts(svc)) {
        if (source !== '' && !source.startsWith('.') && !source.startsWith('/')) used.add(source);
      }
    }
    expect([...used].sort()).toEqual(declared);
  });

  it('installs the ClickHouse plugin into Grafana and mounts its provisioning where Grafana reads it', () => {
    const grafana = service('grafana');
    expect(environmentOf(grafana).GF_INSTALL_PLUGINS?.split(',')).toContain('grafana-clickhouse-datasource');
    const mounts = Object.fromEntries(volumeMounts(grafana).map((m) => [m.source, m]));
    expect(mounts).toMatchObject({
      './dashboards/provisioning/datasources': {
        target: '/etc/grafana/provisioning/datasources',
        mode: 'ro',
      },
      './dashboards/provisioning/dashboards': { target: '/etc/grafana/provisioning/dashboards', mode: 'ro' },
      './dashboards/provisioning/alerting': { target: '/etc/grafana/provisioning/alerting', mode: 'ro' },
      './dashboards/json': { target: '/var/lib/grafana/dashboards', mode: 'ro' },
      'grafana-data': { target: '/var/lib/grafana' },
    });
  });
});

describe('repository files docker-compose.yml uses', () => {
  /** Bind mounts from the repository (./...), by service. */
  const repoMounts = Object.entries(compose.services).flatMap(([name, svc]) =>
    volumeMounts(svc)
      .filter((m) => m.source.startsWith('./'))
      .map((m) => ({ name, source: m.source })),
  );

  it('mounts some (the check below is not vacuous)', () => {
    expect(repoMounts.length).toBeGreaterThanOrEqual(4);
  });

  for (const { name, source } of repoMounts) {
    it(`${name}: ${source} exists`, (context) => {
      const path = join(REPO_ROOT, source);
      // The Grafana provisioning files are written alongside this stack; until a directory is
      // there, say so rather than fail (Compose would create it empty and Grafana start bare).
      if (source.startsWith('./dashboards/') && !existsSync(path)) {
        context.skip(`${source} does not exist yet (Grafana provisioning is being written separately)`);
      }
      expect(existsSync(path)).toBe(true);
      expect(statSync(path).isDirectory()).toBe(true);
    });
  }

  it('builds the corral image from this checkout, copying only paths that exist', () => {
    const build = service('agent').build;
    expect(typeof build).toBe('object');
    const { context, dockerfile_inline: dockerfile = '' } = build as {
      context: string;
      dockerfile_inline: string;
    };
    expect(existsSync(join(REPO_ROOT, context))).toBe(true);
    const copies = dockerfile.split('\n').filter((l) => /^COPY\s/.test(l.trim()));
    const sources = copies.flatMap((l) => l.trim().split(/\s+/).slice(1, -1));
    expect(sources).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', 'bin', 'lib', 'agent']),
    );
    for (const source of sources) expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
    // Never the host's installed or built trees.
    for (const source of sources) expect(['.', 'node_modules', 'dist']).not.toContain(source);
    expect(dockerfile).toMatch(/^RUN .*npm ci\b/m);
    expect(existsSync(join(REPO_ROOT, 'bin', 'demo-app.js'))).toBe(true);
  });

  it("Grafana's corral-clickhouse data source points at the stack's ClickHouse and corral's database", (context) => {
    const dir = join(REPO_ROOT, 'dashboards', 'provisioning', 'datasources');
    if (!existsSync(dir)) context.skip('dashboards/provisioning/datasources does not exist yet');
    const sources = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap(
        (f) => (parse(readFileSync(join(dir, f), 'utf8'))?.datasources ?? []) as Record<string, unknown>[],
      );
    const datasource = sources.find((d) => d.uid === 'corral-clickhouse');
    if (!datasource) context.skip('no data source with uid corral-clickhouse provisioned yet');
    const json = (datasource!.jsonData ?? {}) as Record<string, unknown>;
    expect(json.host ?? json.server).toBe('clickhouse');
    expect(Number(json.port)).toBe(8123);
    const collector = configOf('collector').collector;
    expect(json.defaultDatabase ?? datasource!.database).toBe(collector.database);
    // The user the collector writes as: ClickHouse's passwordless default user in this stack.
    expect(json.username ?? 'default').toBe(collector.clickhouseUser);
    expect(environmentOf(service('clickhouse')).CLICKHOUSE_SKIP_USER_SETUP).toBe('1');
  });

  it("Grafana's dashboard provider reads the directory dashboards/json is mounted at", (context) => {
    const dir = join(REPO_ROOT, 'dashboards', 'provisioning', 'dashboards');
    if (!existsSync(dir)) context.skip('dashboards/provisioning/dashboards does not exist yet');
    const paths = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .flatMap(
        (f) =>
          (parse(readFileSync(join(dir, f), 'utf8'))?.providers ?? []) as { options?: { path?: string } }[],
      )
      .map((p) => p.options?.path);
    if (paths.length === 0) context.skip('no dashboard provider provisioned yet');
    const mount = volumeMounts(service('grafana')).find((m) => m.source === './dashboards/json');
    expect(paths).toContain(mount?.target);
    expect(readdirSync(join(REPO_ROOT, 'dashboards', 'json')).some((f) => f.endsWith('.json'))).toBe(true);
  });
});
