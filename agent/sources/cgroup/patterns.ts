/**
 * Which cgroups are containers: regular expressions over a cgroup path relative to the
 * hierarchy root (`/system.slice/docker-<id>.scope`), one per layout a runtime creates.
 */

export type Runtime = 'mesos' | 'docker' | 'kubernetes' | 'podman' | 'systemd' | (string & {});

export interface ContainerPattern {
  runtime: Runtime;
  /** Named groups: `id` (required), `pod` (Kubernetes pod uid, podman pod id), `parent` (Mesos). */
  regex: RegExp;
}

export interface ContainerMatch {
  runtime: Runtime;
  id: string;
  pod?: string;
  parent?: string;
}

const HEX64 = '[0-9a-f]{64}';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** systemd escapes "-" in unit names, so the kubelet writes pod uids with "_" in slice names. */
const UUID_ANY = '[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}';

/**
 * The default patterns, tried in this order (the first match wins):
 * 1. Mesos: `/mesos/<uuid>`, and nested `/mesos/<uuid>/mesos/<uuid>` (its own container, parent = the outer id);
 * 2. Kubernetes, systemd driver: `.../kubepods[-qos]-pod<uid>.slice/{cri-containerd,crio,docker}-<id>.scope`,
 *    below any prefix (kind nodes use `/kubelet.slice/kubelet-kubepods...`); before Docker so
 *    dockershim containers count as Kubernetes;
 * 3. Kubernetes, cgroupfs driver: `.../kubepods[/burstable|/besteffort]/pod<uid>/<id>`;
 * 4. Docker: `/docker/<id>` (cgroupfs driver) and `/system.slice/docker-<id>.scope` (systemd driver);
 * 5. Podman: `/machine.slice/[machine-libpod_pod_<pod>.slice/]libpod-<id>.scope`, rootless under
 *    `/user.slice/user-<uid>.slice/user@<uid>.service/<x>.slice/`;
 * 6. systemd: `/system.slice/<name>.service`, id = the unit name; only with `includeSystemd`
 *    (for hosts without an orchestrator), as are any other patterns whose runtime is 'systemd'.
 * Helper scopes (crio-conmon-<id>, libpod-conmon-<id>) do not match: "conmon" is not hex.
 */
export const DEFAULT_PATTERNS: readonly ContainerPattern[] = [
  {
    runtime: 'mesos',
    // Lazy, so that with deeper nesting `parent` takes the nearest enclosing id.
    regex: new RegExp(`^/mesos/(?:${UUID}/mesos/)*?(?:(?<parent>${UUID})/mesos/)?(?<id>${UUID})$`),
  },
  {
    runtime: 'kubernetes',
    regex: new RegExp(
      `^(?:/[^/]+)*/[^/]*kubepods(?:-[a-z]+)?-pod(?<pod>${UUID_ANY})\\.slice/(?:cri-containerd|crio|docker)-(?<id>${HEX64})\\.scope$`,
    ),
  },
  {
    runtime: 'kubernetes',
    regex: new RegExp(`^(?:/[^/]+)*/kubepods(?:/burstable|/besteffort)?/pod(?<pod>${UUID})/(?<id>${HEX64})$`),
  },
  { runtime: 'docker', regex: new RegExp(`^/docker/(?<id>${HEX64})$`) },
  { runtime: 'docker', regex: new RegExp(`^/system\\.slice/docker-(?<id>${HEX64})\\.scope$`) },
  {
    runtime: 'podman',
    regex: new RegExp(
      `^/(?:machine\\.slice|user\\.slice/user-\\d+\\.slice/user@\\d+\\.service/[^/]+\\.slice)(?:/machine-libpod_pod_(?<pod>${HEX64})\\.slice)?/libpod-(?<id>${HEX64})\\.scope$`,
    ),
  },
  { runtime: 'systemd', regex: /^\/system\.slice\/(?<id>[^/]+\.service)$/ },
];

export interface MatchOptions {
  /** Also try 'systemd' patterns: services are the "containers" of a host without an orchestrator. */
  includeSystemd?: boolean;
}

/** The container a cgroup path belongs to, by the first pattern that matches, or null. */
export function matchContainer(
  path: string,
  patterns: readonly ContainerPattern[] = DEFAULT_PATTERNS,
  options: MatchOptions = {},
): ContainerMatch | null {
  for (const pattern of patterns) {
    if (pattern.runtime === 'systemd' && options.includeSystemd !== true) continue;
    const groups = pattern.regex.exec(path)?.groups;
    const id = groups?.id;
    if (groups === undefined || id === undefined || id === '') continue;
    const match: ContainerMatch = { runtime: pattern.runtime, id };
    if (groups.pod) match.pod = groups.pod.replaceAll('_', '-');
    if (groups.parent) match.parent = groups.parent;
    return match;
  }
  return null;
}

export interface PatternConfig {
  runtime: string;
  /** A regular expression source with named groups `id` (required), `pod`, `parent`. */
  regex: string;
}

/** Builds patterns from configuration, in the given order; throws naming the first bad one. */
export function compilePatterns(configs: readonly PatternConfig[]): ContainerPattern[] {
  return configs.map(({ runtime, regex }, index) => {
    const name = `container pattern ${index + 1} (runtime ${JSON.stringify(runtime)}, /${regex}/)`;
    if (runtime === '') throw new Error(`${name}: runtime is empty`);
    let compiled: RegExp;
    try {
      compiled = new RegExp(regex);
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`);
    }
    // An alternative that matches the empty string lists every named group of the source.
    const groups = Object.keys(new RegExp(`${regex}|`).exec('')?.groups ?? {});
    if (!groups.includes('id'))
      throw new Error(`${name}: has no named group "id", as in (?<id>[0-9a-f]{64})`);
    return { runtime, regex: compiled };
  });
}
