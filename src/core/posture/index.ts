export { checkTopology, type StoreFacts, type TopologyInput } from './topology.ts';
