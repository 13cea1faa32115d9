import { describe, expect, it } from 'vitest';
import { fromDatabaseError } from '../src/plugins/error-handler-plugin.ts';

/** How drizzle reports a failed query: its own message names the query and parameters; Postgres's error is the cause. */
function drizzleFailure(cause: unknown): Error {
  return new Error('Failed query: insert into "teams" ("id", "name") values ($1, $2)\nparams: 0190,secret-team', { cause });
}

describe('database errors as clients see them', () => {
  it('answers a value Postgres cannot store with a 400 that names the problem, not the query', () => {
    const error = fromDatabaseError(drizzleFailure({ code: '22P05', severity: 'ERROR', message: 'unsupported Unicode escape sequence' }));
    expect(error).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(error!.message).toContain('unsupported Unicode escape sequence');
    expect(error!.message).not.toMatch(/insert|params|secret-team|\$1/);
  });

  it('answers any other database failure with a 503 that shows no query, parameters or rows', () => {
    for (const failure of [drizzleFailure({ code: '57P01', severity: 'FATAL', message: 'terminating connection due to administrator command' }), drizzleFailure(new Error('Connection terminated'))]) {
      const error = fromDatabaseError(failure);
      expect(error).toMatchObject({ status: 503, code: 'unavailable' });
      expect(error!.message).not.toMatch(/insert|params|secret-team/);
    }
  });

  it('leaves errors that did not come from the database to the rest of the handler', () => {
    expect(fromDatabaseError(new Error('something else'))).toBeUndefined();
  });
});
