import { DEFAULT_CACHE_SETTINGS, type AnswerJudgeName, type CacheConfig, type CacheSettings } from '@gantry/cache';
import type { ConfigFile } from './config-schema.ts';
import { ConfigError } from './interpolate-env.ts';

type CacheFile = NonNullable<ConfigFile['cache']>;
type Level = NonNullable<CacheFile['models']>[string];

/**
 * `cache.semantic.embedding_model: local` (a reserved name, never an alias or provider/model):
 * embed with the model shipped in @gantry/cache's dependencies, on a worker thread, with no
 * network and no provider call (so no span and no ledger entry for the embedding).
 */
export const LOCAL_EMBEDDING_MODEL = 'local';

/** How semantic mode embeds, judges and bounds its error. */
export interface SemanticCacheSettings {
  /** The embeddings model (alias or provider/model) called through Gantry, or {@link LOCAL_EMBEDDING_MODEL}. */
  embeddingModel: string;
  judge: AnswerJudgeName;
  judgeModel: string | undefined;
  judgeThreshold: number;
  delta: number;
  anyTurn: boolean;
}

/** The cache section as the gateway takes it. */
export interface GatewayCacheConfig extends CacheConfig {
  /** Set when `cache.semantic` is: required by any `semantic` mode. */
  semantic: SemanticCacheSettings | undefined;
}

function settingsOf(level: Level): Partial<CacheSettings> {
  const settings: Partial<CacheSettings> = {};
  if (level.mode !== undefined) settings.mode = level.mode;
  if (level.ttl_seconds !== undefined) settings.ttlSeconds = level.ttl_seconds;
  if (level.scope !== undefined) settings.scope = level.scope;
  if (level.cache_sampled !== undefined) settings.cacheSampled = level.cache_sampled;
  if (level.hit_charge !== undefined) settings.hitCharge = level.hit_charge;
  return settings;
}

function levelsOf(levels: Readonly<Record<string, Level>> | undefined): Record<string, Partial<CacheSettings>> {
  return Object.fromEntries(Object.entries(levels ?? {}).map(([name, level]) => [name, settingsOf(level)]));
}

function semanticOf(file: CacheFile['semantic']): SemanticCacheSettings | undefined {
  if (file === undefined) return undefined;
  const judge = file.judge ?? 'exact';
  if (judge === 'llm' && file.judge_model === undefined) throw new ConfigError('cache.semantic.judge_model: the llm judge needs a chat model (alias or provider/model) to ask');
  return { embeddingModel: file.embedding_model, judge, judgeModel: file.judge_model, judgeThreshold: file.judge_threshold ?? 0.9, delta: file.delta ?? 0.02, anyTurn: file.any_turn ?? false };
}

/** Where `semantic` mode is asked for, if anywhere: `cache.mode`, `cache.models.<m>.mode`, `cache.keys.<k>.mode`. */
function semanticModeAt(file: CacheFile): string | undefined {
  if (file.mode === 'semantic') return 'cache.mode';
  for (const [group, levels] of [['models', file.models], ['keys', file.keys]] as const) {
    const name = Object.entries(levels ?? {}).find(([, level]) => level.mode === 'semantic')?.[0];
    if (name !== undefined) return `cache.${group}.${name}.mode`;
  }
  return undefined;
}

/** The `cache` section: off everywhere unless configured; `semantic` mode needs `cache.semantic`. */
export function readCacheConfig(file: ConfigFile['cache']): GatewayCacheConfig {
  if (file === undefined) return { defaults: DEFAULT_CACHE_SETTINGS, models: {}, keys: {}, semantic: undefined };
  const { models, keys, semantic, ...defaults } = file;
  const semanticAt = semanticModeAt(file);
  if (semanticAt !== undefined && semantic === undefined) {
    throw new ConfigError(`${semanticAt}: semantic mode needs cache.semantic.embedding_model (the embeddings model prompts are compared with, or \`${LOCAL_EMBEDDING_MODEL}\` for the built-in one)`);
  }
  return { defaults: { ...DEFAULT_CACHE_SETTINGS, ...settingsOf(defaults) }, models: levelsOf(models), keys: levelsOf(keys), semantic: semanticOf(semantic) };
}
