/**
 * The mode a configuration resolves to. In a file of its own, importing nothing, so the posture
 * checks that `resolve.ts` runs can name it without importing the resolver back.
 */
export type Mode = 'development' | 'production';
