export { operationsFeature } from './feature.ts';
export { type OperationsOptions, operationsRoutes, type ReadinessCheck } from './routes.ts';
