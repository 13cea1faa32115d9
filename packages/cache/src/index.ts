export { readCacheControls, MAX_CACHE_TTL_SECONDS, type CacheControls } from './cache-controls.ts';
export { exactCacheKey } from './cache-key.ts';
export { cacheConfigured, cacheModes, cacheScopes, DEFAULT_CACHE_SETTINGS, settingsFor, type CacheConfig, type CacheMode, type CacheScope, type CacheSettings } from './cache-settings.ts';
export { ResponseCache, type ResponseCacheOptions } from './response-cache.ts';
export { addObservation, decide, DEFAULT_POLICY_OPTIONS, fitSigmoid, MAX_OBSERVATIONS, type Observation, type PolicyDecision, type PolicyOptions, type SigmoidFit } from './semantic/entry-policy.ts';
export { answerJudgeNames, embeddingJudge, exactJudge, llmJudge, normaliseText, sameAction, type AnswerJudge, type AnswerJudgeName, type JudgeCaller } from './semantic/answer-judges.ts';
export { SemanticLayer, type SemanticLayerOptions } from './semantic/semantic-layer.ts';
export { semanticKey, type SemanticKey } from './semantic/semantic-key.ts';
export { LOCAL_EMBEDDING_DIMENSIONS, LocalEmbedder, type LocalEmbedderOptions, type LocalEmbedderStats } from './semantic/local-embedder.ts';
