/**
 * docker-compose.yml against the Compose Specification's JSON schema, and proof that the check
 * bites: copies broken on purpose must be rejected.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  COMPOSE_FILE,
  type ComposeFile,
  composeValidator,
  describeErrors,
  parseCompose,
  readCompose,
  readSchema,
} from './compose-file.js';

const validate = composeValidator();
const clone = (compose: ComposeFile): ComposeFile => structuredClone(compose);

describe('docker-compose.yml and the Compose Specification schema', () => {
  it('uses the upstream compose-spec schema', () => {
    const schema = readSchema();
    expect(schema.title).toBe('Compose Specification');
    expect(schema.$id).toBe('compose_spec.json');
    expect(String(schema.$schema)).toMatch(/json-schema\.org\/draft-07\/schema/);
    // Recent enough for what the file uses.
    const service = (schema.definitions as Record<string, { properties: Record<string, unknown> }>).service!;
    expect(Object.keys(service.properties)).toEqual(
      expect.arrayContaining(['pull_policy', 'healthcheck', 'depends_on', 'mem_limit', 'build']),
    );
    expect(JSON.stringify(service.properties.build)).toContain('dockerfile_inline');
  });

  it('is valid', () => {
    const ok = validate(readCompose());
    expect(describeErrors(validate.errors)).toBe('');
    expect(ok).toBe(true);
  });

  it('parses with every YAML anchor and merge key resolved', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    const compose = parseCompose(text);
    expect(Object.keys(compose.services).sort()).toEqual([
      'agent',
      'clickhouse',
      'collector',
      'demo-app',
      'grafana',
      'kafka',
      'kafka-init',
    ]);
    // Merged from x-corral: the three corral services share one locally built image.
    for (const name of ['agent', 'collector', 'demo-app']) {
      expect(compose.services[name]!.image, name).toBe('corral:dev');
      expect(compose.services[name]!.build, name).toMatchObject({ context: '.' });
    }
  });

  const broken: [string, (compose: ComposeFile) => void, RegExp][] = [
    ['an unknown top-level key', (c) => Object.assign(c, { servicez: {} }), /additional properties/],
    [
      'a port of the wrong type',
      (c) => {
        // A boolean where a port number (or a string to interpolate) belongs.
        c.services.agent!.ports = [{ target: true, published: 8125, protocol: 'udp' }];
      },
      /\/ports\/0\/target must be integer,string/,
    ],
    [
      'ports given as a mapping instead of a list',
      (c) => {
        c.services.collector!.ports = { '61002': 61002 } as unknown as string[];
      },
      /must be array/,
    ],
    [
      'an unknown depends_on condition',
      (c) => {
        c.services.collector!.depends_on = { clickhouse: { condition: 'service_ready' } };
      },
      /must be equal to one of the allowed values|must match exactly one schema/,
    ],
    [
      'a misspelled service key',
      (c) => {
        c.services.grafana!.healthckeck = c.services.grafana!.healthcheck;
      },
      /additional properties/,
    ],
    [
      'a volume name the spec does not allow',
      (c) => {
        c.volumes = { ...c.volumes, 'bad/name': {} };
      },
      /additional properties/,
    ],
  ];
  for (const [what, breakIt, message] of broken) {
    it(`rejects a copy with ${what}`, () => {
      const compose = clone(readCompose());
      breakIt(compose);
      expect(validate(compose)).toBe(false);
      expect(describeErrors(validate.errors)).toMatch(message);
    });
  }

  it('rejects a broken copy parsed from YAML text, not only a mutated object', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8').replace(
      /^ {4}image: apache\/kafka:(.*)$/m,
      '    image: apache/kafka:$1\n    stop_signal: [SIGTERM]',
    );
    expect(text).toContain('stop_signal: [SIGTERM]');
    expect(validate(parseCompose(text))).toBe(false);
    expect(describeErrors(validate.errors)).toMatch(/\/services\/kafka\/stop_signal must be string/);
  });
});
