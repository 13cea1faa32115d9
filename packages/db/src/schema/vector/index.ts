// Tables that need the pgvector extension live here, never in ../index.ts: their migrations go to
// drizzle/vector/ and are applied only where the extension is available.
export * from './semantic-cache.ts';
