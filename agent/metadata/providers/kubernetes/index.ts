export {
  createKubeletProvider,
  DEFAULT_KUBELET_URL,
  DEFAULT_TOKEN_FILE,
  type KubeletProviderOptions,
} from './client.js';
export { KUBERNETES_SKIP_REASONS, type KubernetesSkipReason, mapPodList } from './pod-list.js';
