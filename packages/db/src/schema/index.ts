export * from './api-keys.ts';
export * from './runs.ts';
export * from './spans.ts';
