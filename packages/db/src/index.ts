export { createDatabase, type CreateDatabaseOptions, type Database } from './create-database.ts';
export { migrate, type MigrateResult } from './migrate.ts';
export {
  schema,
  type GantryDb,
  type GantryDbSchema,
  type GantryQueryResult,
  type GantryQueryResultHKT,
} from './gantry-db.ts';
export * from './schema/index.ts';
export {
  findApiKeysByPrefix,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKeyLastUsed,
  type ApiKeySummary,
} from './repositories/api-keys-repository.ts';
export {
  getSpan,
  insertRunsIgnoreExisting,
  insertSpans,
  listSpansByRun,
} from './repositories/recording-repository.ts';
export {
  agentSpanId,
  applyRunDeltas,
  claimRun,
  closeToolSpans,
  endRun,
  getRun,
  listOpenToolSpans,
  listRunSubtree,
  listRuns,
  listSpansOfRuns,
  sumRunTotals,
  type RunTotals,
  timeOutIdleRuns,
  toolSpanId,
  type RunDelta,
  type RunFilter,
  type ToolSpanClose,
} from './repositories/runs-repository.ts';
