import { defineFeature } from '../../feature/index.ts';
import { operationsRoutes } from './routes.ts';

/** `/health` and `/ready` (the database, the stores and the schema, as createAuth opened them). */
export const operationsFeature = defineFeature({
  id: 'operations',
  build: ({ readiness }) => ({ routes: operationsRoutes({ checks: readiness }) }),
});
