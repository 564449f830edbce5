export { derivePurposeKey } from './derive-key.ts';
export { newId } from './ids.ts';
export { generateSecret, randomBase64Url } from './random.ts';
