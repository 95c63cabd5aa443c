/**
 * A ContainerStatus.containerID is `<runtime>://<id>` (containerd://, cri-o://, docker://).
 * Every CRI runtime uses a 64-hex id, and that id is what the container's cgroup path carries
 * (agent/sources/cgroup/patterns.ts matches only 64 hex), so anything else could never join.
 */
const CONTAINER_ID = /^[a-z][a-z0-9+.-]*:\/\/([0-9a-f]{64})$/;

/** The runtime's container id without the scheme, or undefined when it is not `<runtime>://<64 hex>`. */
export function parseContainerId(containerId: string): string | undefined {
  return CONTAINER_ID.exec(containerId)?.[1];
}
