export * from './config/index.ts';
export * from './errors/index.ts';
export {
  type CounterMetric,
  createMetrics,
  type GaugeMetric,
  type GaugeSpec,
  type HistogramMetric,
  LATENCY_BUCKETS,
  type MetricLabels,
  type MetricSpec,
  type Metrics,
  type MetricsRegistrar,
} from './metrics.ts';
export { parseOrigin } from './origin.ts';
export type {
  AuditLog,
  CookieSessionStart,
  GuardedAttempt,
  GuardedSubject,
  LoginGuard,
  OpenSqlTransaction,
  RequestMeta,
  SecondFactorGate,
  SecurityNoticeKind,
  SecurityNotices,
  SessionIssuer,
  SignInMethodSource,
  SignInMethods,
  TokenResponse,
  TwoFactorChallenge,
  VerificationSender,
} from './ports.ts';
export { signInMethodsOf } from './ports.ts';
export * from './posture/index.ts';
export type { Principal } from './principal.ts';
export * from './secrets/index.ts';
export { toUserView, type UserView } from './user-view.ts';
