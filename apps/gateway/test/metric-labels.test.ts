import { describe, expect, it } from 'vitest';
import { MetricLabels, OTHER_LABEL } from '../src/metrics/metric-labels.ts';

const labels = new MetricLabels({
  providers: [
    { name: 'local', type: 'openai-compatible' },
    { name: 'openai', type: 'openai' },
  ],
  aliases: {
    fast: { targets: ['local/llama3', { ref: 'local/qwen' }], contextWindowFallback: 'local/long-context' },
  },
  pricedModels: ['local/priced-only'],
});

describe('metric labels', () => {
  it('keeps configured providers and turns any other provider name into other', () => {
    expect(labels.provider('local')).toBe('local');
    expect(labels.provider('none')).toBe('none');
    expect(labels.provider('not-configured')).toBe(OTHER_LABEL);
  });

  it("keeps the models the configuration names for a provider: alias targets, fallbacks, pricing keys, its family's catalogue", () => {
    for (const model of ['llama3', 'qwen', 'long-context', 'priced-only']) expect(labels.model('local', model), model).toBe(model);
    expect(labels.model('openai', 'gpt-4o-mini')).toBe('gpt-4o-mini');
    // The catalogue names belong to the provider of that family only.
    expect(labels.model('local', 'gpt-4o-mini')).toBe(OTHER_LABEL);
  });

  it('counts names a client made up as other, dated variants and unknown aliases included', () => {
    expect(labels.model('local', 'made-up')).toBe(OTHER_LABEL);
    expect(labels.model('openai', 'gpt-4o-mini-2099-01-01')).toBe(OTHER_LABEL);
    expect(labels.model('none', 'no-such-alias')).toBe(OTHER_LABEL);
  });

  it('keeps alias names and configured provider/model references for calls that reached no provider', () => {
    expect(labels.model('none', 'fast')).toBe('fast');
    expect(labels.model('none', 'local/llama3')).toBe('local/llama3');
    expect(labels.model('none', 'unknown')).toBe('unknown');
  });
});
