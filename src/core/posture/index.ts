export { type PersistenceFacts, persistenceWarnings } from './persistence.ts';
export { checkTopology, type StoreFacts, type TopologyInput } from './topology.ts';
