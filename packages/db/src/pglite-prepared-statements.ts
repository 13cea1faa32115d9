import pg from 'pg';

/*
 * Postgres parses, analyses and plans every statement sent unnamed, as drizzle sends them. In
 * PGlite's WASM that is most of a small statement's cost: a Responses API turn's insert (its run,
 * its items and the response, one statement) took 677 µs unnamed and 301 µs as a prepared
 * statement. So the embedded database's connection names each statement text it sees a second
 * time, and Postgres keeps its parse and, where it pays, its plan (`plan_cache_mode` auto: a
 * generic plan only once it is estimated no dearer than the custom ones).
 *
 * PGlite is one Postgres session behind every socket connection: a statement one connection
 * prepared exists for the next one, which must not parse it again ("already exists"). So every
 * connection of one database shares pg's record of what was parsed.
 */

/**
 * Distinct statement texts prepared at most: each keeps its parse tree and plan in the session,
 * 10-70 KB (a run read through `run_rows`: 65 KB). The gateway's hot statements are far fewer.
 */
const MAX_PREPARED = 200;
/** Texts seen once, remembered to be prepared if seen again (forgotten all at once past this). */
const MAX_SEEN_ONCE = 2_000;

type QueryConfig = { text: string; name?: string; values?: unknown[] };

/**
 * A `pg.Client` class for one PGlite database's pool: statements with parameters are prepared
 * from their second sight, under names local to that database.
 */
export function preparingClientFor(): typeof pg.Client {
  const parsedStatements: Record<string, string> = {};
  const names = new Map<string, string>();
  const seenOnce = new Set<string>();
  const nameOf = (text: string): string | undefined => {
    const known = names.get(text);
    if (known !== undefined || names.size >= MAX_PREPARED) return known;
    if (!seenOnce.delete(text)) {
      if (seenOnce.size >= MAX_SEEN_ONCE) seenOnce.clear();
      seenOnce.add(text);
      return undefined;
    }
    const name = `gantry_${names.size + 1}`;
    names.set(text, name);
    return name;
  };
  return class PreparingClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      (this as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements = parsedStatements;
    }

    // pg's overloads are many; only a parameterized statement's text is looked at, the rest passes through.
    override query(...args: unknown[]): never {
      const [first, second] = args;
      const config: QueryConfig | undefined =
        typeof first === 'string' ? (Array.isArray(second) ? { text: first, values: second } : undefined)
        : typeof first === 'object' && first !== null && typeof (first as QueryConfig).text === 'string' && typeof (first as { submit?: unknown }).submit !== 'function' ? (first as QueryConfig)
        : undefined;
      const values = Array.isArray(second) ? second : config?.values;
      if (config !== undefined && config.name === undefined && values !== undefined && values.length > 0) {
        const name = nameOf(config.text);
        if (name !== undefined) args[0] = { ...config, name };
        if (name !== undefined && typeof first === 'string') args.splice(1, 1);
      }
      return (super.query as (...rest: unknown[]) => never)(...args);
    }
  };
}
