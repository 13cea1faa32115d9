export { createGeminiProvider, GEMINI_DEFAULT_BASE_URL } from './gemini-provider.ts';
