export * from './api-keys.ts';
export * from './budgets.ts';
export * from './customers.ts';
export * from './limits.ts';
export * from './runs.ts';
export * from './spans.ts';
export * from './teams.ts';
export * from './responses.ts';
