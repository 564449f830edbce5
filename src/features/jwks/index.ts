export { jwksFeature } from './feature.ts';
