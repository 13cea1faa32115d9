import type { ProviderOptions } from '@gantry/spec';

/**
 * Block fields Anthropic has and the canonical model does not (`cache_control` on blocks and tools,
 * `citations` on text): kept in `providerOptions.anthropic` on the way in, spread back onto the
 * block on the way out, so an Anthropic client passing through to Anthropic keeps its prompt caching.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching
 */
const EXTRA_KEYS = ['cache_control', 'citations'] as const;

export function anthropicExtras(block: Record<string, unknown>): { providerOptions?: ProviderOptions } {
  let extras: Record<string, unknown> | undefined;
  for (const key of EXTRA_KEYS) {
    if (block[key] !== undefined && block[key] !== null) (extras ??= {})[key] = block[key];
  }
  return extras === undefined ? {} : { providerOptions: { anthropic: extras } };
}

export function withAnthropicExtras<T extends Record<string, unknown>>(block: T, part: { providerOptions?: ProviderOptions }): T {
  const extras = part.providerOptions?.anthropic;
  return extras === undefined ? block : { ...block, ...extras };
}
