export type { Target } from './target.ts';
export { ModelResolver, type ModelAlias } from './model-resolver.ts';
export { callWithFallback, type Attempt } from './call-with-fallback.ts';
