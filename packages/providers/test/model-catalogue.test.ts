import { describe, expect, it } from 'vitest';
import { BUILT_IN_PRICES, familyOfProviderType, findModelFamily, MODEL_CATALOGUE, MODEL_FAMILIES, PriceBook } from '../src/index.ts';

describe('model catalogue', () => {
  it('lists every built-in priced model by name, in the family it is priced under', () => {
    for (const family of MODEL_FAMILIES) {
      for (const name of Object.keys(BUILT_IN_PRICES[family])) {
        expect(MODEL_CATALOGUE[family].models, `${family}: ${name}`).toContain(name);
        expect(findModelFamily(name), name).toBe(family);
      }
    }
  });

  it('places dated snapshots in the family of their base name', () => {
    expect(findModelFamily('gpt-4o-2024-08-06')).toBe('openai');
    expect(findModelFamily('o3-mini-2025-01-31')).toBe('openai');
    expect(findModelFamily('claude-sonnet-4-20250514')).toBe('anthropic');
    expect(findModelFamily('gemini-2.0-flash-001')).toBe('gemini');
  });

  it('places models released after the list in their family by name pattern, priced or not', () => {
    const unpriced = new PriceBook();
    for (const [model, family, type] of [
      ['gpt-7', 'openai', 'openai'],
      ['chatgpt-4o-latest', 'openai', 'openai'],
      ['o5-pro', 'openai', 'openai'],
      ['ft:gpt-4o-mini-2024-07-18:acme::9abc', 'openai', 'openai'],
      ['claude-opus-5', 'anthropic', 'anthropic'],
      ['gemini-3-pro-preview', 'gemini', 'gemini'],
    ] as const) {
      expect(findModelFamily(model), model).toBe(family);
      expect(unpriced.lookup(type, type, model), model).toBeUndefined();
    }
  });

  it('places no family on names no family serves under its own name', () => {
    for (const model of ['llama3', 'mistral-large-latest', 'text-embedding-004', 'gpt4', 'o', 'omni-x', 'my-gpt-4o', 'claude']) {
      expect(findModelFamily(model), model).toBeUndefined();
    }
  });

  it('maps provider types to the family they serve, and openai-compatible to none', () => {
    expect(familyOfProviderType('openai')).toBe('openai');
    expect(familyOfProviderType('azure-openai')).toBe('openai');
    expect(familyOfProviderType('anthropic')).toBe('anthropic');
    expect(familyOfProviderType('gemini')).toBe('gemini');
    expect(familyOfProviderType('openai-compatible')).toBeUndefined();
  });
});
