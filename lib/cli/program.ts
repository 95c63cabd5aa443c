/**
 * The commander program. Options are generated from the config schema, so a new setting gets its
 * flag and --help line without touching the CLI. Parsing only collects values; validation is
 * loadConfig's job so flags, environment and file values get the same checks and messages.
 */
import { Command, Option } from 'commander';
import { settingsFor } from '../config/keys.js';
import type { ConfigFlags } from '../config/load.js';
import type { Command as CommandName, SectionName } from '../config/schema.js';
import { packageVersion } from './version.js';

/** What the user asked to run. */
export interface Invocation {
  command: CommandName;
  flags: ConfigFlags;
  /** corral query's statement and output format. */
  query?: { sql: string; format: QueryFormat };
}

export const QUERY_FORMATS = ['table', 'json'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

export interface ProgramOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

const SECTION_TITLES: Record<SectionName, string> = {
  log: 'Logging',
  agent: 'Agent',
  metadata: 'Orchestrator metadata',
  kafka: 'Kafka sink',
  statsd: 'StatsD',
  cgroup: 'Container (cgroup)',
  node: 'Node',
  collector: 'Collector',
};

const COMMANDS: Record<CommandName, string> = {
  agent: 'Run the node agent: receive StatsD metrics and write datapoints to the sink.',
  collector:
    'Run the collector: consume what agents send to Kafka and store it in ClickHouse (embedded or a server).',
  start:
    'Run the agent and the collector in one process, joined by an in-process log, storing into embedded ClickHouse.',
  query: 'Run a read-only SQL query against the configured storage and print a table or JSON lines.',
};

/**
 * Builds the program; `onInvoke` receives the parsed subcommand. Commander errors are thrown
 * (exitOverride) rather than printed, so the caller can print them as one line.
 */
export function buildProgram(output: ProgramOutput, onInvoke: (invocation: Invocation) => void): Command {
  const program = new Command('corral')
    .description('Metrics pipeline for container clusters: cgroup and StatsD metrics, tagged and shipped.')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: output.stdout, writeErr: output.stderr, outputError: () => {} })
    .showSuggestionAfterError();

  for (const [name, description] of Object.entries(COMMANDS) as [CommandName, string][]) {
    const command = program.command(name).description(description);
    command.addOption(new Option('-c, --config <file>', 'YAML or JSON config file (env: CORRAL_CONFIG)'));
    // Commander stores values under camelCase attribute names; remember which key each one is.
    const keyOf = new Map<string, string>();
    for (const setting of settingsFor(name)) {
      const option = new Option(
        `${setting.flag} <${setting.placeholder}>`,
        `${setting.description} (default: ${setting.defaultText}; env: ${setting.env})`,
      ).helpGroup(`${SECTION_TITLES[setting.section]} options:`);
      command.addOption(option);
      keyOf.set(option.attributeName(), setting.key);
    }
    const flagsOf = (options: Record<string, string | undefined>) => {
      const flags: Record<string, string | undefined> = { config: options.config };
      for (const [attribute, key] of keyOf) flags[key] = options[attribute];
      return flags;
    };
    if (name === 'query') {
      command
        .argument(
          '<sql>',
          'the SQL statement (SELECT, SHOW, DESCRIBE, EXPLAIN); tables are in collector.database',
        )
        .addOption(
          new Option('-f, --format <format>', 'output format').choices(QUERY_FORMATS).default('table'),
        );
      command.action((sql: string, options: Record<string, string | undefined>) => {
        onInvoke({
          command: name,
          flags: flagsOf(options),
          query: { sql, format: options.format as QueryFormat },
        });
      });
    } else {
      command.action((options: Record<string, string | undefined>) =>
        onInvoke({ command: name, flags: flagsOf(options) }),
      );
    }
  }
  return program;
}
