import { randomBytes } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { vectorParameter } from '../schema/vector/semantic-vectors.ts';

/** One prompt to search among: its semantic partition and its embedding. */
export interface EmbeddedPrompt {
  /** Hex hash of everything in the request but the last user message (and the targets). */
  partition: string;
  embedding: readonly number[];
}

/** A prompt's nearest earlier prompt of its partition. */
export interface EarlierNeighbour {
  /** Position of the prompt in the input. */
  index: number;
  /** Position of its nearest earlier prompt. */
  earlierIndex: number;
  /** Cosine similarity of their embeddings, in [-1, 1]. */
  similarity: number;
}

/** How the search holds the database. */
export interface NearestEarlierOptions {
  /**
   * True when every query of `db` goes through one shared session (PGlite): the prompts then go in
   * a temporary table of that session, dropped at the end, and each statement runs on its own, so
   * the gateway's other queries go between them instead of waiting for the whole search. False for
   * a pool of connections (Postgres): everything runs in one transaction on one connection, and
   * the table is dropped when it ends.
   */
  sharedSession: boolean;
}

/** Rows per insert: three parameters each, far under Postgres' 65,535. */
const INSERT_BATCH = 500;
/**
 * Inner products computed per search statement, at most (probes × the prompts before them): each
 * statement takes a second or two at 1,536 dimensions, inside the query timeout, and on a shared
 * session the gateway's queries wait for one statement at most.
 */
const PRODUCTS_PER_STATEMENT = 200_000;

/** `embedding` scaled to length 1 (a zero or non-finite one is left for vectorParameter to refuse). */
function unitLength(embedding: readonly number[]): readonly number[] {
  const norm = Math.sqrt(embedding.reduce((sum, value) => sum + value * value, 0));
  return norm > 0 && Number.isFinite(norm) ? embedding.map((value) => value / norm) : embedding;
}

/** Probes [start, end) whose searches together compute at most {@link PRODUCTS_PER_STATEMENT} products (one probe at least). */
function probeChunks(count: number): [number, number][] {
  const chunks: [number, number][] = [];
  let start = 1;
  while (start < count) {
    let end = start + 1;
    let products = start;
    while (end < count && products + end <= PRODUCTS_PER_STATEMENT) {
      products += end;
      end += 1;
    }
    chunks.push([start, end]);
    start = end;
  }
  return chunks;
}

/**
 * Fills `table` with the prompts (unit vectors: the inner product is then the cosine, at a third
 * of its arithmetic) and finds each probe's nearest earlier prompt, a chunk of probes per
 * statement. Each probe reads only its partition's earlier rows, through the (partition, position)
 * index; the vectors are kept in the rows (`storage main`) rather than TOASTed, which would
 * decompress one per comparison.
 */
async function search(db: GantryDb, table: SQL, prompts: readonly EmbeddedPrompt[]): Promise<EarlierNeighbour[]> {
  await db.execute(sql`alter table ${table} alter column embedding set storage main`);
  const rows = prompts.map((prompt, index) => sql`(${index}, ${prompt.partition}, ${vectorParameter(unitLength(prompt.embedding))})`);
  for (let start = 0; start < rows.length; start += INSERT_BATCH) {
    await db.execute(sql`insert into ${table} (position, partition, embedding) values ${sql.join(rows.slice(start, start + INSERT_BATCH), sql`, `)}`);
  }
  await db.execute(sql`create index on ${table} (partition, position)`);
  await db.execute(sql`analyze ${table}`);
  const found: EarlierNeighbour[] = [];
  for (const [start, end] of probeChunks(prompts.length)) {
    // `<#>` is the negative inner product: ascending, the most similar first.
    const result = await db.execute<{ position: number; earlier: number; similarity: number }>(sql`
      select probe.position, nearest.position as earlier, nearest.similarity
      from ${table} as probe
      cross join lateral (
        select candidate.position, -(candidate.embedding <#> probe.embedding)::float8 as similarity
        from ${table} as candidate
        where candidate.partition = probe.partition and candidate.position < probe.position
        order by candidate.embedding <#> probe.embedding, candidate.position desc limit 1
      ) as nearest
      where probe.position >= ${start} and probe.position < ${end}
      order by probe.position`);
    for (const row of result.rows) found.push({ index: Number(row.position), earlierIndex: Number(row.earlier), similarity: Math.max(-1, Math.min(1, Number(row.similarity))) });
  }
  return found;
}

/**
 * For each prompt, its nearest earlier prompt (lower position) in the same partition by cosine
 * similarity, found with pgvector; prompts with nothing earlier in their partition have none.
 * `prompts` are in the order they were asked. The search is exact: each prompt is compared with
 * every earlier prompt of its partition (2,000 prompts of one partition: about 2 million
 * products). Throws a RangeError on embeddings of unequal lengths or unusable ones (zero,
 * non-finite), and fails without the pgvector extension.
 */
export async function nearestEarlierPrompts(db: GantryDb, prompts: readonly EmbeddedPrompt[], options: NearestEarlierOptions): Promise<EarlierNeighbour[]> {
  if (prompts.length < 2) return [];
  const dimensions = prompts[0]!.embedding.length;
  const uneven = prompts.findIndex((prompt) => prompt.embedding.length !== dimensions);
  if (uneven !== -1) throw new RangeError(`every embedding must have ${dimensions} dimensions, as the first does; prompt ${uneven} has ${prompts[uneven]!.embedding.length}`);
  const columns = sql`(position integer primary key, partition text not null, embedding vector not null)`;
  if (!options.sharedSession) {
    return db.transaction(async (transaction) => {
      await transaction.execute(sql`create temporary table calibration_prompts ${columns} on commit drop`);
      return search(transaction, sql`calibration_prompts`, prompts);
    });
  }
  // Searches at once on the one session each have a table of their own.
  const table = sql.raw(`calibration_prompts_${randomBytes(8).toString('hex')}`);
  await db.execute(sql`create temporary table ${table} ${columns}`);
  try {
    return await search(db, table, prompts);
  } finally {
    await db.execute(sql`drop table if exists ${table}`);
  }
}
