import { describe, expect, it } from 'vitest';
import { BUILT_IN_PRICES, MODEL_CATALOGUE, PriceBook, type ModelCatalogue, type Provider } from '@gantry/providers';
import { NotFoundError } from '@gantry/spec';
import { ModelResolver } from '../src/model-resolver.ts';
import type { ModelAlias } from '../src/routing-options.ts';

function providers(...entries: [name: string, type: string][]): Map<string, Provider> {
  return new Map(entries.map(([name, type]) => [name, { name, type } as Provider]));
}

const configured = providers(['local', 'openai-compatible'], ['work', 'openai'], ['backup', 'azure-openai'], ['claude', 'anthropic']);
const aliases: Record<string, ModelAlias> = { fast: { targets: ['local/llama3'] } };

function targetIds(resolver: ModelResolver, model: string): string[] {
  return resolver.resolve(model).map((target) => target.id);
}

describe('model resolver', () => {
  it('sends a bare built-in name to the first configured provider of its family', () => {
    const resolver = new ModelResolver(configured, aliases);
    expect(targetIds(resolver, 'gpt-4o-mini')).toEqual(['work/gpt-4o-mini']);
    expect(targetIds(resolver, 'gpt-4o-mini-2024-07-18')).toEqual(['work/gpt-4o-mini-2024-07-18']);
    expect(targetIds(resolver, 'claude-sonnet-4-5')).toEqual(['claude/claude-sonnet-4-5']);
    expect(targetIds(new ModelResolver(providers(['backup', 'azure-openai']), {}), 'o4-mini')).toEqual(['backup/o4-mini']);
  });

  it('resolves a catalogued model that has no price', () => {
    const resolver = new ModelResolver(configured, aliases);
    expect(new PriceBook().lookup('claude', 'anthropic', 'claude-opus-5')).toBeUndefined();
    expect(targetIds(resolver, 'claude-opus-5')).toEqual(['claude/claude-opus-5']);

    const named: ModelCatalogue = { ...MODEL_CATALOGUE, openai: { providerTypes: ['openai'], models: ['acme-large'], patterns: [] } };
    expect(new PriceBook().lookup('work', 'openai', 'acme-large')).toBeUndefined();
    expect(targetIds(new ModelResolver(configured, aliases, named), 'acme-large')).toEqual(['work/acme-large']);
  });

  it('refuses a bare name that is priced but not in the catalogue, and still serves it as provider/model', () => {
    const withoutOpenai: ModelCatalogue = { ...MODEL_CATALOGUE, openai: { providerTypes: ['openai', 'azure-openai'], models: [], patterns: [] } };
    const resolver = new ModelResolver(configured, aliases, withoutOpenai);
    expect(BUILT_IN_PRICES.openai['gpt-4o-mini']).toBeDefined();
    expect(() => resolver.resolve('gpt-4o-mini')).toThrow(NotFoundError);
    expect(() => resolver.resolve('gpt-4o-mini')).toThrow(/unknown model 'gpt-4o-mini'/);
    expect(targetIds(resolver, 'work/gpt-4o-mini')).toEqual(['work/gpt-4o-mini']);
  });

  it('never sends a bare name to an openai-compatible provider', () => {
    const resolver = new ModelResolver(providers(['local', 'openai-compatible']), aliases);
    expect(() => resolver.resolve('gpt-4o-mini')).toThrow(NotFoundError);
    expect(() => resolver.resolve('llama3')).toThrow(/unknown model 'llama3'.*configured providers: local.*alias \(fast\)/);
  });

  it('names the family and the provider types it needs when none of them is configured', () => {
    const resolver = new ModelResolver(configured, aliases);
    expect(() => resolver.resolve('gemini-2.5-flash')).toThrow(
      /model 'gemini-2\.5-flash' belongs to the gemini family, and no provider of type gemini is configured: address a model as provider\/model \(configured providers: local, work, backup, claude\)/,
    );
  });

  it('resolves aliases and provider/model before any catalogue lookup', () => {
    const resolver = new ModelResolver(configured, { 'gpt-4o': { targets: ['local/llama3'] } });
    expect(targetIds(resolver, 'gpt-4o')).toEqual(['local/llama3']);
    expect(targetIds(resolver, 'local/gpt-4o')).toEqual(['local/gpt-4o']);
  });
});
