export * from './config/index.ts';
export * from './errors/index.ts';
export { parseOrigin } from './origin.ts';
export type {
  AuditLog,
  CookieSessionStart,
  GuardedAttempt,
  GuardedSubject,
  LoginGuard,
  RequestMeta,
  SecondFactorGate,
  SecurityNoticeKind,
  SecurityNotices,
  SessionIssuer,
  TokenResponse,
  TwoFactorChallenge,
  VerificationSender,
} from './ports.ts';
export * from './posture/index.ts';
export type { Principal } from './principal.ts';
export * from './secrets/index.ts';
export { toUserView, type UserView } from './user-view.ts';
