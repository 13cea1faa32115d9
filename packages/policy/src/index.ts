export { generateApiKeySecret, hashApiKeySecret, API_KEY_PREFIX_LENGTH } from './api-key-secret.ts';
export { KeyAuthenticator, type KeyAuthenticatorOptions, type Principal } from './key-authenticator.ts';
