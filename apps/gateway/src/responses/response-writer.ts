import { insertResponses, type GantryDb, type StoredResponseInput } from '@gantry/db';

interface Pending {
  input: StoredResponseInput;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Most responses written in one statement. */
const MAX_BATCH = 64;

/**
 * Writes responses as their calls finish, several in one statement: while one write is in flight,
 * the responses finishing meanwhile wait and go together in the next (a group commit: one round
 * trip and one commit for many calls under load, none added to a lone call). Each caller's promise
 * settles when its own row is committed — a response is still written before its last byte
 * leaves. A batch the database refuses is written again one response at a time, so a row that
 * cannot be written fails only its own call.
 */
export class ResponseWriter {
  private queue: Pending[] = [];
  private writing = false;

  constructor(private readonly db: GantryDb) {}

  write(input: StoredResponseInput): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await insertResponses(this.db, batch.map((pending) => pending.input));
          for (const pending of batch) pending.resolve();
        } catch (error) {
          if (batch.length === 1) batch[0]!.reject(error);
          else for (const pending of batch) await insertResponses(this.db, [pending.input]).then(pending.resolve, pending.reject);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
