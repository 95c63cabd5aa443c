/**
 * Which orchestrator labels become dimensions. Labels are the user's own grouping keys
 * (team, app, version), but orchestrators also attach bookkeeping (compose file paths,
 * config hashes, pod-template hashes) that only multiplies series; those are dropped by
 * default, and overlong values (a JSON blob in a label) are cut.
 */

/** Dropped unless include names them: bookkeeping labels of compose, Kubernetes and OCI images. */
export const DEFAULT_EXCLUDED_LABELS: readonly string[] = [
  'com.docker.compose.config-hash',
  'com.docker.compose.container-number',
  'com.docker.compose.depends_on',
  'com.docker.compose.image',
  'com.docker.compose.oneoff',
  'com.docker.compose.project.config_files',
  'com.docker.compose.project.environment_file',
  'com.docker.compose.project.working_dir',
  'com.docker.compose.replace',
  'com.docker.compose.version',
  'io.kubernetes.*',
  'annotation.*',
  'controller-revision-hash',
  'pod-template-hash',
  'pod-template-generation',
  'statefulset.kubernetes.io/pod-name',
  'batch.kubernetes.io/controller-uid',
  'controller-uid',
  'org.opencontainers.image.*',
];

export interface LabelFilterOptions {
  /** Glob patterns ("team", "app.*"); when not empty, only matching labels are kept. */
  include: readonly string[];
  /** Glob patterns dropped (after include). */
  exclude: readonly string[];
  /** Values longer than this many characters are cut to it. */
  maxValueLength: number;
  /** Keep the DEFAULT_EXCLUDED_LABELS too. */
  keepBookkeeping?: boolean;
}

/** "*" matches any run of characters (dots and slashes included); everything else is literal. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\/]/g, '\\$&').replaceAll('*', '.*');
  return new RegExp(`^${escaped}$`);
}

export class LabelFilter {
  private readonly include: RegExp[];
  private readonly exclude: RegExp[];
  private readonly bookkeeping: RegExp[];
  /** Decisions by label key: a node has few distinct keys, and they repeat on every refresh. */
  private readonly decisions = new Map<string, boolean>();

  constructor(private readonly options: LabelFilterOptions) {
    this.include = options.include.map(globToRegExp);
    this.exclude = options.exclude.map(globToRegExp);
    this.bookkeeping = options.keepBookkeeping === true ? [] : DEFAULT_EXCLUDED_LABELS.map(globToRegExp);
  }

  /** The labels to keep, cut to the value cap; undefined when none are left. */
  apply(labels: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
    if (labels === undefined) return undefined;
    let kept: Record<string, string> | undefined;
    for (const key of Object.keys(labels).sort()) {
      if (!this.keeps(key)) continue;
      const value = String(labels[key]);
      kept ??= {};
      kept[key] =
        value.length > this.options.maxValueLength ? value.slice(0, this.options.maxValueLength) : value;
    }
    return kept;
  }

  keeps(key: string): boolean {
    let keep = this.decisions.get(key);
    if (keep === undefined) {
      const included = this.include.some((r) => r.test(key));
      keep =
        (this.include.length === 0 || included) &&
        !this.exclude.some((r) => r.test(key)) &&
        // Bookkeeping goes unless an include pattern asked for it.
        (included || !this.bookkeeping.some((r) => r.test(key)));
      if (this.decisions.size < 10_000) this.decisions.set(key, keep);
    }
    return keep;
  }
}
