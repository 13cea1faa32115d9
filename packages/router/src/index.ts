export type { Target } from './target.ts';
export { ModelResolver, type Route } from './model-resolver.ts';
export { Router, type Attempt, type RouteCallOptions } from './router.ts';
export type { RunPins } from './run-pins.ts';
export type { BreakerSnapshot, BreakerState } from './circuit-breakers.ts';
export { DEFAULT_ROUTING_OPTIONS, FALLBACK_CONDITIONS, STRATEGIES, type BreakerOptions, type FallbackCondition, type ModelAlias, type RetryOptions, type RoutingOptions, type Strategy, type TargetSpec } from './routing-options.ts';
export { readAliases, readRoutingOptions, type AliasFile, type RoutingFile } from './read-routing-config.ts';
