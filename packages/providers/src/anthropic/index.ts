export {
  createAnthropicProvider,
  countAnthropicTokens,
  ANTHROPIC_DEFAULT_BASE_URL,
  ANTHROPIC_VERSION,
  type AnthropicProvider,
} from './anthropic-provider.ts';
