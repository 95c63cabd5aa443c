/**
 * The containers of a made-up cluster, as the collector benchmarks spread them: container c
 * runs task `<framework>-app-<c % 20>` of one of 4 frameworks, on one of 16 nodes, with 3
 * labels. Frozen, as the agent's metadata registry shares them.
 */
import type { Dimensions } from '../../lib/model/dimensions.js';

const FRAMEWORKS = ['marathon', 'spark', 'kafka', 'jenkins'];

export function clusterContainerDimensions(c: number): Readonly<Dimensions> {
  const framework = FRAMEWORKS[c % FRAMEWORKS.length]!;
  const task = `${framework}-app-${c % 20}`;
  return Object.freeze({
    cluster_id: 'prod-eu-1',
    agent_id: `6a1b4c6e-92d1-4b7f-a1cf-3f1f1d6c0e55-S${c % 16}`,
    hostname: `node-${String(c % 16).padStart(3, '0')}.eu-west-1.internal`,
    framework_id: `6a1b4c6e-92d1-4b7f-a1cf-3f1f1d6c0e55-000${c % FRAMEWORKS.length}`,
    framework_name: framework,
    framework_role: 'services',
    executor_id: `${task}.instance-${c}`,
    task_id: `${task}.instance-${c}._app.1`,
    task_name: task,
    container_id: `${c.toString(16).padStart(8, '0')}-c0ffee-4b7f-a1cf-3f1f1d6c0e55`,
    labels: Object.freeze({ team: `team-${c % 7}`, tier: 'backend', version: '2.14.1' }),
  });
}
