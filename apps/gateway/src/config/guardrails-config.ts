import { randomBytes } from 'node:crypto';
import { createPiiScanner, DEFAULT_INJECTION_THRESHOLD, type GuardrailPolicy, type InjectionAction, type PiiAction } from '@gantry/guardrails';
import type { ConfigFile } from './config-schema.ts';
import { ConfigError } from './interpolate-env.ts';

type GuardrailsFile = NonNullable<ConfigFile['guardrails']>;
type LevelFile = NonNullable<GuardrailsFile['models']>[string];

const DEFAULT_PSEUDONYM_TTL_HOURS = 168;

/** One level compiled: each section set there (`false`: off there), absent where the level says nothing. */
interface Level {
  pii?: GuardrailPolicy['pii'] | false;
  injection?: GuardrailPolicy['injection'] | false;
}

/** The guardrails section as the gateway takes it: undefined when nothing is configured. */
export interface GatewayGuardrailsConfig {
  defaults: Level;
  models: ReadonlyMap<string, Level>;
  teams: ReadonlyMap<string, Level>;
  keys: ReadonlyMap<string, Level>;
  pseudonyms: { store: 'database' | 'memory'; key: Buffer; ttlMs: number };
}

function levelOf(file: LevelFile, at: string): Level {
  const level: Level = {};
  if (file.pii === null) level.pii = false;
  else if (file.pii !== undefined) {
    const { detectors, custom, phone_default_country: phoneDefaultCountry, actions } = file.pii;
    let scanner;
    try {
      scanner = createPiiScanner({ ...(detectors === undefined ? {} : { detectors }), ...(custom === undefined ? {} : { custom }), ...(phoneDefaultCountry === undefined ? {} : { phoneDefaultCountry }) });
    } catch (error) {
      throw new ConfigError(`${at}.pii: ${(error as Error).message}`);
    }
    const known = new Set<string>([...(detectors ?? []), ...(custom ?? []).map((spec) => spec.name)]);
    for (const name of Object.keys(actions ?? {})) {
      if (detectors !== undefined && !known.has(name)) throw new ConfigError(`${at}.pii.actions.${name}: no such detector here (detectors: ${[...known].join(', ')})`);
    }
    level.pii = { scanner, actions: new Map(Object.entries(actions ?? {}) as [string, PiiAction][]) };
  }
  if (file.injection === null) level.injection = false;
  else if (file.injection !== undefined) {
    level.injection = { action: (file.injection.action ?? 'flag') as InjectionAction, threshold: file.injection.threshold ?? DEFAULT_INJECTION_THRESHOLD };
  }
  return level;
}

function levelsOf(levels: Readonly<Record<string, LevelFile>> | undefined, at: string): ReadonlyMap<string, Level> {
  return new Map(Object.entries(levels ?? {}).map(([name, level]) => [name, levelOf(level, `${at}.${name}`)]));
}

function keyOf(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new ConfigError('guardrails.pseudonyms.key: must be 32 bytes, as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)');
  return key;
}

/** The `guardrails` section: off unless configured; a database store needs a key. */
export function readGuardrailsConfig(file: ConfigFile['guardrails']): GatewayGuardrailsConfig | undefined {
  if (file === undefined) return undefined;
  const { models, teams, keys, pseudonyms, ...defaults } = file;
  const store = pseudonyms?.store ?? (pseudonyms?.key === undefined ? 'memory' : 'database');
  if (store === 'database' && pseudonyms?.key === undefined) {
    throw new ConfigError('guardrails.pseudonyms.key: the database store seals values with a key: set one (32 bytes, e.g. `openssl rand -base64 32`), or use store: memory');
  }
  return {
    defaults: levelOf(defaults, 'guardrails'),
    models: levelsOf(models, 'guardrails.models'),
    teams: levelsOf(teams, 'guardrails.teams'),
    keys: levelsOf(keys, 'guardrails.keys'),
    pseudonyms: {
      store,
      // Memory maps live and die with the process: a key of its own is enough.
      key: pseudonyms?.key === undefined ? randomBytes(32) : keyOf(pseudonyms.key),
      ttlMs: (pseudonyms?.ttl_hours ?? DEFAULT_PSEUDONYM_TTL_HOURS) * 3_600_000,
    },
  };
}

/** The policy for a call: each section from the most specific level that sets it (key, team, model, defaults). */
export function guardrailPolicyFor(config: GatewayGuardrailsConfig, call: { apiKeyId: string | null; teamId: string | null; model: string }): GuardrailPolicy | undefined {
  // Runs on every call: no array or closure per call.
  const key = call.apiKeyId === null ? undefined : config.keys.get(call.apiKeyId);
  const team = call.teamId === null ? undefined : config.teams.get(call.teamId);
  const model = config.models.get(call.model);
  const pii = key?.pii ?? team?.pii ?? model?.pii ?? config.defaults?.pii;
  const injection = key?.injection ?? team?.injection ?? model?.injection ?? config.defaults?.injection;
  if (!pii && !injection) return undefined;
  return { ...(pii ? { pii } : {}), ...(injection ? { injection } : {}) };
}
