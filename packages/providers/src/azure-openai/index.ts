export { createAzureOpenAIProvider, AZURE_OPENAI_DEFAULT_API_VERSION } from './azure-openai-provider.ts';
