import type { ProviderType } from '../provider-config.ts';

/** Model families whose models clients may name without a provider (`gpt-4o-mini`, `claude-sonnet-4-5`). */
export const MODEL_FAMILIES = ['openai', 'anthropic', 'gemini'] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

/** What Gantry knows about the model names of one family. Names only: prices live in the price book. */
export interface FamilyCatalogue {
  /** Provider types that serve this family's models under the family's own names. */
  providerTypes: readonly ProviderType[];
  /**
   * Models known by name. A name also covers its dated snapshots and variants, i.e. any name it
   * starts followed by `-` (`gpt-4o` covers `gpt-4o-2024-08-06`).
   */
  models: readonly string[];
  /** Name patterns of the family, so that models released after this list still resolve (`claude-`, `gpt-`). */
  patterns: readonly RegExp[];
}

/** A catalogue: per family, its provider types and model names. */
export type ModelCatalogue = Readonly<Record<ModelFamily, FamilyCatalogue>>;

/**
 * The model names each family's own API serves, as of November 2026. It decides which configured
 * provider a bare model name goes to; it never decides what a call costs (see `PriceBook`), and
 * a name being priced or not has no bearing on whether it resolves.
 */
export const MODEL_CATALOGUE: ModelCatalogue = {
  // @see https://platform.openai.com/docs/models
  openai: {
    providerTypes: ['openai', 'azure-openai'],
    models: [
      'gpt-5',
      'gpt-5-mini',
      'gpt-5-nano',
      'gpt-4.1',
      'gpt-4.1-mini',
      'gpt-4.1-nano',
      'gpt-4o',
      'gpt-4o-mini',
      'gpt-4-turbo',
      'gpt-3.5-turbo',
      'o1',
      'o1-mini',
      'o3',
      'o3-mini',
      'o4-mini',
      'text-embedding-3-small',
      'text-embedding-3-large',
      'text-embedding-ada-002',
    ],
    patterns: [
      /^gpt-/,
      /^chatgpt-/,
      // o1, o3-pro, o4-mini, …: `o`, a version number, then the end or a variant.
      /^o\d+(-|$)/,
      /^codex-/,
      // Fine-tuned models: `ft:gpt-4o-mini-2024-07-18:org::id`.
      /^ft:/,
    ],
  },
  // @see https://docs.anthropic.com/en/docs/about-claude/models/overview
  anthropic: {
    providerTypes: ['anthropic'],
    models: [
      'claude-opus-4-5',
      'claude-opus-4-1',
      'claude-opus-4',
      'claude-sonnet-4-5',
      'claude-sonnet-4',
      'claude-3-7-sonnet',
      'claude-haiku-4-5',
      'claude-3-5-haiku',
      'claude-3-haiku',
    ],
    patterns: [/^claude-/],
  },
  // @see https://ai.google.dev/gemini-api/docs/models
  gemini: {
    providerTypes: ['gemini'],
    models: ['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.0-flash', 'gemini-2.0-flash-lite', 'gemini-embedding-001'],
    patterns: [/^gemini-/],
  },
};

/** True when `model` is `name` or one of its dated snapshots or variants (`name-…`). */
export function isModelOrVariant(model: string, name: string): boolean {
  return model === name || model.startsWith(`${name}-`);
}

/** The family that serves `model` under that name, by known name first, then by pattern; undefined if none. */
export function findModelFamily(model: string, catalogue: ModelCatalogue = MODEL_CATALOGUE): ModelFamily | undefined {
  for (const family of MODEL_FAMILIES) {
    if (catalogue[family].models.some((name) => isModelOrVariant(model, name))) return family;
  }
  for (const family of MODEL_FAMILIES) {
    if (catalogue[family].patterns.some((pattern) => pattern.test(model))) return family;
  }
  return undefined;
}

/** The family whose models a provider type serves under their own names; undefined for `openai-compatible`. */
export function familyOfProviderType(providerType: string, catalogue: ModelCatalogue = MODEL_CATALOGUE): ModelFamily | undefined {
  return MODEL_FAMILIES.find((family) => (catalogue[family].providerTypes as readonly string[]).includes(providerType));
}
