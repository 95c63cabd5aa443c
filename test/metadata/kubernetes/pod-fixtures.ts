import { readFileSync } from 'node:fs';

const fixturesDir = new URL('../../fixtures/metadata/kubernetes/', import.meta.url);

export const POD_FIXTURES = [
  'deployment-containerd',
  'statefulset-crio',
  'bare-pod-docker',
  'crashloop-oom',
  'job-completed',
  'evicted',
  'pending',
] as const;

export type PodFixture = (typeof POD_FIXTURES)[number];

/** A fresh copy of a fixture pod, so a test can change it without affecting others. */
export function loadPod(name: PodFixture): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`${name}.json`, fixturesDir), 'utf8')) as Record<string, unknown>;
}

/** A PodList as the kubelet serializes it. */
export function podList(...items: unknown[]): {
  kind: 'PodList';
  apiVersion: 'v1';
  metadata: object;
  items: unknown[];
} {
  return { kind: 'PodList', apiVersion: 'v1', metadata: {}, items };
}
