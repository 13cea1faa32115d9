/** The embedder as a suite file names it: `defaultTest.options.provider.embedding: { id: file://…/suite-entries/embedding-provider.ts }`. */
export { GantryEmbeddingProvider as default } from '../gantry-embedding-provider.ts';
