export {
  CLUSTER_WORKER_ENV,
  type ClusterOptions,
  createRestartDelay,
  DEFAULT_RESTART_BACKOFF,
  isClusterWorker,
  type RestartBackoff,
  type RunningCluster,
  startCluster,
  startClusterWorker,
} from './cluster.ts';
export { type ListenOptions, SERVER_ENV, type ServerSettings, settingsFromEnv } from './env.ts';
export { attributeToEnv } from './env-attribution.ts';
export { type RunningServer, type StartOptions, startServer } from './start.ts';
