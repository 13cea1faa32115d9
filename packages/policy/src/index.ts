export { generateApiKeySecret, hashApiKeySecret, API_KEY_PREFIX_LENGTH } from './api-key-secret.ts';
export { KeyAuthenticator, type KeyAuthenticatorOptions, type Principal } from './key-authenticator.ts';
export { BudgetGuard, type BudgetGuardOptions, type CallEstimate, type CallIdentity, type Reservation } from './budget-guard.ts';
export { periodEnd, periodStart, minuteStart } from './budget-periods.ts';
export { countEmbeddingTokens, countPromptTokens, TokenCountCache } from './count-prompt-tokens.ts';
export { estimateUsage } from './estimate-usage.ts';
export { usd } from './limit-errors.ts';
export { PolicyStore, type BudgetValues, type CustomerValues, type KeyValues, type PolicyStoreOptions, type TeamValues } from './policy-store.ts';
export { parseUsdMicros, readCustomerHeader, readRunLimitHeaders } from './read-limit-headers.ts';
