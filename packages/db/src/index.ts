export { createDatabase, DatabaseUnavailableError, DEFAULT_PGLITE_SHARED_BUFFERS_MB, type CreateDatabaseOptions, type Database } from './create-database.ts';
export { DEFAULT_DATABASE_TIMEOUTS, type DatabaseTimeouts } from './postgres-pool.ts';
export { migrate, type MigrateResult } from './migrate.ts';
export { newId } from './new-id.ts';
export { DataDirInUseError, DATA_DIR_LOCK_FILE } from './data-dir-lock.ts';
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
  insertSpanTexts,
  listSpansByRun,
  spanRowTexts,
} from './repositories/recording-repository.ts';
export {
  agentSpanId,
  applyRunDeltas,
  claimRun,
  findRunInScope,
  closeToolSpans,
  endRun,
  getRun,
  listOpenToolSpans,
  listRunSubtree,
  listRuns,
  listSpansOfRuns,
  pinRunTarget,
  type PinnedTargets,
  sumRunTotals,
  type RunTotals,
  timeOutIdleRuns,
  toolSpanId,
  type RunDelta,
  type RunFilter,
  type ToolSpanClose,
} from './repositories/runs-repository.ts';
export {
  canReadResponse,
  deleteResponse,
  findResponseItems,
  getResponseRow,
  insertResponses,
  insertStartedRun,
  listResponseChain,
  listResponseInputItems,
  MAX_RESPONSE_CHAIN,
  type ChainLink,
  type StartedRun,
  type FoundResponseItem,
  type ResponseOwner,
  type StoredResponseInput,
} from './repositories/responses-repository.ts';
export { updateApiKey } from './repositories/api-keys-repository.ts';
export { deleteTeam, getTeam, insertTeam, listTeams, updateTeam } from './repositories/teams-repository.ts';
export { deleteCustomer, getCustomer, insertCustomer, listCustomers, updateCustomer } from './repositories/customers-repository.ts';
export { deleteBudget, deleteBudgetsOf, getBudget, insertBudget, listBudgets, updateBudget } from './repositories/budgets-repository.ts';
export {
  getCounter,
  getRunCounter,
  insertSettledEntries,
  leaseInLedger,
  ledgerEntryWrite,
  reserveInLedger,
  setRunLimits,
  settleInLedger,
  sweepExpiredReservations,
  syncLeasesInLedger,
  type LeaseHold,
  type LeaseSync,
  type LeaseWant,
  type LedgerCheck,
  type LedgerEntryWrite,
  type LedgerOutcome,
  type LedgerRefusal,
  type LedgerReservation,
  type StartedRunCounter,
  type SweptReservations,
} from './repositories/ledger-repository.ts';
export { isDataError } from './repositories/json-rows.ts';
export { spendGroups, sumSpend, type SpendGroup, type SpendRow } from './repositories/spend-repository.ts';
export { pauseRunTree, resumeRunTree } from './repositories/run-status-repository.ts';
export {
  claimStaleReplays,
  datasetNames,
  deleteDataset,
  endReplay,
  findDataset,
  getReplay,
  heartbeatReplays,
  insertDataset,
  insertReplay,
  insertReplayStep,
  listDatasetItemOutlines,
  listDatasetItems,
  listDatasets,
  listReplayItems,
  listReplays,
  listReplayStepOutcomes,
  listReplaySteps,
  loadRunTree,
  selectRootRuns,
  upsertReplayItem,
  type RunSelection,
} from './repositories/evals-repository.ts';
export {
  addCacheHits,
  deleteCacheEntries,
  findCacheEntry,
  sweepExpiredCacheEntries,
  upsertCacheEntry,
  type CacheAddress,
  type CachedAnswer,
  type CacheSelection,
  type NewCacheEntry,
} from './repositories/cache-repository.ts';
export {
  getCacheCalibration,
  insertCacheCalibration,
  listCacheCalibrations,
} from './repositories/cache-calibrations-repository.ts';
export {
  CALIBRATION_SPAN_PREFIX,
  getTrafficSpans,
  listTrafficSpans,
  type TrafficPageQuery,
  type TrafficSpanRow,
  type TrafficVisibility,
} from './repositories/traffic-spans-repository.ts';
export { nearestEarlierPrompts, type EarlierNeighbour, type EmbeddedPrompt, type NearestEarlierOptions } from './repositories/traffic-neighbours-repository.ts';
export {
  cacheSemanticEntries,
  type SemanticEntryRow,
  type SemanticObservation,
} from './schema/vector/semantic-cache.ts';
export { ensureSemanticIndex, semanticIndexName } from './schema/vector/semantic-hnsw-index.ts';
export { indexedEmbedding, vectorFeatures, type IndexedEmbedding, type IndexType, type VectorFeatures } from './schema/vector/semantic-vectors.ts';
export {
  addSemanticObservation,
  deleteSemanticEntries,
  insertSemanticEntries,
  insertSemanticEntry,
  nearestSemanticEntry,
  sweepExpiredSemanticEntries,
  type SemanticEntryInput,
  type SemanticLookupOptions,
  type SemanticNeighbour,
  type SemanticQuery,
  type SemanticSelection,
} from './repositories/semantic-cache-repository.ts';
export { deleteExpiredPseudonyms, insertPseudonyms, listRunPseudonyms } from './repositories/pseudonyms-repository.ts';
