export { type DevSecret, loadOrCreateDevSecret } from './dev-secret.ts';
export {
  CORE_KEY_PURPOSES,
  createKeyring,
  type Keyring,
  type PurposeKey,
  type SecretEntry,
} from './keyring.ts';
export { HOW_TO_GENERATE, secretWeakness } from './strength.ts';
