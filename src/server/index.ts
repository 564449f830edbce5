export { type ListenOptions, SERVER_ENV, type ServerSettings, settingsFromEnv } from './env.ts';
export { type RunningServer, type StartOptions, startServer } from './start.ts';
