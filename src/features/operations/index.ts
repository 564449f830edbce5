export { type OperationsOptions, operationsRoutes, type ReadinessCheck } from './routes.ts';
